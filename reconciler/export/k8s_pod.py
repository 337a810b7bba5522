"""The pod template of one :class:`~reconciler.export.k8s_workload.Workload`: its container
(image, command, env from its ConfigMap and Secret, ports, volume mounts), probes from its
health check, and one init container per dependency that waits for that dependency's Service
(a busybox ``nc -z`` loop on the Service's DNS name and port)."""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from urllib.parse import urlsplit

from reconciler.errors import Diagnostic, warning
from reconciler.export.k8s_workload import Workload
from reconciler.jsonvalue import ReadOnlyJSON
from reconciler.model.types import HealthCheck, ProbeKind

__all__ = ["WAIT_IMAGE", "Doc", "files_name", "pod_template", "probes", "secret_name"]

WAIT_IMAGE = "busybox:1.36"
Doc = dict[str, ReadOnlyJSON]  # a manifest part being built (values covariant: any JSON)


def secret_name(work: Workload) -> str:
    return f"{work.name}-secrets"


def files_name(work: Workload) -> str:
    """The ConfigMap of the workload's bind-mounted files."""
    return f"{work.name}-files"


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def _handler(work: Workload, check: HealthCheck) -> Doc | None:
    if check.kind is ProbeKind.HTTP:
        url = urlsplit(check.target)
        port = url.port or (443 if url.scheme == "https" else 80)
        path = url.path or "/"
        if url.query:
            path += f"?{url.query}"
        return {"httpGet": {"path": path, "port": work.host_ports.get(port, port),
                            "scheme": "HTTPS" if url.scheme == "https" else "HTTP"}}
    if check.kind is ProbeKind.TCP:
        text = check.target.rsplit(":", 1)[-1]
        if not text.isdigit():
            return None
        port = int(text)
        return {"tcpSocket": {"port": work.host_ports.get(port, port)}}
    if check.kind is ProbeKind.COMMAND and check.target:
        return {"exec": {"command": shlex.split(check.target)}}  # the target is shlex-joined
    if check.kind is ProbeKind.DOCKER and check.target:
        word, _, rest = check.target.partition(" ")
        if word == "CMD-SHELL":
            return {"exec": {"command": ["/bin/sh", "-c", rest]}}
        if word == "CMD":
            return {"exec": {"command": shlex.split(rest)}}
    return None


def probes(work: Workload, problems: list[Diagnostic]) -> Doc:
    """``readinessProbe`` and ``livenessProbe`` (interval -> periodSeconds, timeout ->
    timeoutSeconds, retries -> failureThreshold) and, for a start period, a ``startupProbe``
    that allows that long before the others count."""
    check = work.health
    if check is None:
        return {}
    handler = _handler(work, check)
    if handler is None:
        res = work.resource
        problems.append(warning(f"{work.address}: its {check.kind.value} health check has no "
                                "probe form and is not exported",
                                res.source if res else None, address=work.address))
        return {}
    timing = {"periodSeconds": _seconds(check.interval), "timeoutSeconds": _seconds(check.timeout),
              "failureThreshold": max(1, check.retries)}
    out: Doc = {"readinessProbe": {**handler, **timing}, "livenessProbe": {**handler, **timing}}
    if check.start_period > 0:
        tries = math.ceil(check.start_period / _seconds(check.interval)) + max(1, check.retries)
        out["startupProbe"] = {**handler, **timing, "failureThreshold": tries}
    return out


def _wait(work: Workload, target: str, by_address: Mapping[str, Workload],
          problems: list[Diagnostic]) -> Doc | None:
    res = work.resource
    dep = by_address.get(target)
    if dep is None or not dep.ports:
        why = "is not exported" if dep is None else "has no port (no Service to wait for)"
        problems.append(warning(f"{work.address}: dependency {target} {why}; the pod does not "
                                "wait for it", res.source if res else None, address=work.address))
        return None
    port = dep.ports[0].port
    script = (f"until nc -z -w 2 {dep.name} {port}; do echo waiting for {dep.name}:{port}; "
              "sleep 2; done")
    return {"name": f"wait-for-{dep.name}"[:63].rstrip("-"), "image": WAIT_IMAGE,
            "command": ["sh", "-c", script]}


def pod_template(work: Workload, labels: Mapping[str, str], config_map: str | None,
                 secret: str | None, by_address: Mapping[str, Workload],
                 problems: list[Diagnostic]) -> Doc:
    """The ``spec.template`` of the workload's Deployment or StatefulSet."""
    container: Doc = {"name": work.name, "image": work.image}
    if work.command is not None:
        container["command"] = list(work.command)
    if work.args is not None:
        container["args"] = list(work.args)
    sources: list[Doc] = []
    if config_map is not None:
        sources.append({"configMapRef": {"name": config_map}})
    if secret is not None:
        sources.append({"secretRef": {"name": secret}})
    if sources:
        container["envFrom"] = sources
    if work.ports:
        container["ports"] = [{"containerPort": p.port, "protocol": p.protocol,
                               "name": f"{p.protocol.lower()}-{p.port}"} for p in work.ports]
    mounts: list[Doc] = [{"name": v.name, "mountPath": v.target}
              | ({"subPath": v.key, "readOnly": True} if v.kind == "file" else {})
              for v in work.volumes]
    if mounts:
        container["volumeMounts"] = mounts
    if work.resources:
        container["resources"] = {k: dict(v) for k, v in work.resources.items()}
    container.update(probes(work, problems))
    spec: Doc = {"containers": [container]}
    waits = [w for t in sorted(set(work.depends_on))
             if (w := _wait(work, t, by_address, problems)) is not None]
    if waits:
        spec["initContainers"] = waits
    pod_volumes: list[Doc] = [{"name": v.name, "emptyDir": {"medium": "Memory"}}
                   for v in work.volumes if v.kind == "tmpfs"]
    if any(v.kind == "file" for v in work.volumes):
        pod_volumes.append({"name": "files", "configMap": {"name": files_name(work)}})
    if pod_volumes:
        spec["volumes"] = pod_volumes
    return {"metadata": {"labels": {k: v for k, v in labels.items() if len(v) <= 63}},
            "spec": spec}
