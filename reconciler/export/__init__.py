"""Exports: the resolved model (a :class:`~reconciler.model.types.DesiredState`) written in
another engine's format. Pure: every module here turns values into values; the CLI reads the
project (``engine/loading.py`` ``load_and_build``) and writes the output.

``k8s_workload`` (container and Compose resources -> :class:`Workload`, with a diagnostic for
everything that does not map), ``k8s_pod`` (the pod template: containers, probes, the init
containers that wait for dependencies), ``k8s_volumes`` (claims, emptyDirs, bind-mounted
files as ConfigMap keys), ``k8s_resources`` (cpu/memory, replicas), ``k8s_manifests``
(Deployments / StatefulSets, Services, ConfigMaps, Secrets) and ``k8s_yaml`` (the
deterministic YAML stream or files).
"""
