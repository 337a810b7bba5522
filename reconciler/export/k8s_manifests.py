"""Kubernetes manifests of a project: per workload a Deployment (a StatefulSet when it has
named volumes, with one claim each), a Service for its ports, a ConfigMap for its plain
environment and a Secret for its secret values. ``secrets="external"`` never puts a secret
value in the output: the pod references a Secret the user creates, and a note names it and
its keys. Labels keep the reconciler address (``io.reconciler.address``)."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from reconciler.errors import Diagnostic, Severity
from reconciler.export.k8s_pod import Doc, files_name, pod_template, secret_name
from reconciler.export.k8s_workload import Workload, dns_name, workloads
from reconciler.model.types import DesiredState

__all__ = ["CLAIM_SIZE", "Export", "Manifest", "Metadata", "SecretsMode", "kubernetes"]

SecretsMode = Literal["inline", "external"]
CLAIM_SIZE = "1Gi"
_ORDER = {"ConfigMap": 0, "Secret": 1, "Service": 2, "StatefulSet": 3, "Deployment": 4}


class Metadata(TypedDict, total=False):
    name: str
    labels: dict[str, str]
    annotations: dict[str, str]


class Manifest(TypedDict, total=False):
    """One Kubernetes object as written (a ConfigMap or Secret has ``data``, the rest
    ``spec``)."""

    apiVersion: str
    kind: str
    type: str
    metadata: Metadata
    spec: Doc
    data: dict[str, str]


@dataclass
class Export:
    """The manifests (in apply order: kind, then name), a warning for each thing that does
    not map, and notes on what the user must do (the external Secrets to create)."""

    manifests: list[Manifest] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def unmapped(self) -> bool:
        return any(d.severity in (Severity.WARNING, Severity.ERROR) for d in self.diagnostics)


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
ADDRESS_KEY = "io.reconciler.address"


def _meta(name: str, labels: Mapping[str, str]) -> Metadata:
    """Name and labels; an address too long (or odd) for a label value is an annotation."""
    meta: Metadata = {"name": name, "labels": dict(labels)}
    address = labels.get(ADDRESS_KEY)
    if address is None:
        return meta
    if len(address) > 63 or not _LABEL_VALUE.match(address):
        del meta["labels"][ADDRESS_KEY]
        meta["annotations"] = {ADDRESS_KEY: address}
    return meta


def _labels(project: str, work: Workload) -> dict[str, str]:
    return {"app.kubernetes.io/name": work.name, "app.kubernetes.io/instance": dns_name(project),
            "app.kubernetes.io/managed-by": "reconciler", ADDRESS_KEY: work.address}


def _selector(labels: Mapping[str, str]) -> dict[str, str]:
    return {k: labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}


def _workload(work: Workload, labels: dict[str, str], template: Doc
              ) -> Manifest:
    claims = [v for v in work.volumes if v.kind == "claim"]
    spec: Doc = {"replicas": work.replicas,
                            "selector": {"matchLabels": _selector(labels)}, "template": template}
    if not claims:
        return {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": _meta(work.name, labels), "spec": spec}
    spec["serviceName"] = work.name
    templates: list[Doc] = [
        {"metadata": {"name": v.name, "labels": _selector(labels)},
         "spec": {"accessModes": ["ReadWriteOnce"],
                  "resources": {"requests": {"storage": CLAIM_SIZE}}}} for v in claims]
    spec["volumeClaimTemplates"] = templates
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": _meta(work.name, labels), "spec": spec}


def _service(work: Workload, labels: dict[str, str]) -> Manifest:
    ports: list[Doc] = [{"name": f"{p.protocol.lower()}-{p.port}", "port": p.port,
                         "protocol": p.protocol, "targetPort": p.port} for p in work.ports]
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(work.name, labels),
            "spec": {"selector": _selector(labels), "ports": ports}}


def _secret(work: Workload, labels: dict[str, str]) -> Manifest:
    data = {k: base64.b64encode(v.encode()).decode() for k, v in sorted(work.secret_env.items())}
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": _meta(secret_name(work), labels), "data": data}


def kubernetes(desired: DesiredState, secrets: SecretsMode = "inline",
               files: Mapping[str, str] | None = None) -> Export:
    """Every manifest for ``desired``, sorted (apply order, then name), and a warning for
    each resource or part that does not map. ``files``: the text of the bind-mounted files
    the driver could read, by path (:func:`~reconciler.export.k8s_volumes.bind_sources`)."""
    found, problems = workloads(desired, files)
    out = Export(diagnostics=problems)
    by_address = {w.address: w for w in found}
    for work in found:
        labels = _labels(desired.project, work)
        config_map = f"{work.name}-env" if work.env else None
        if config_map is not None:
            out.manifests.append({"apiVersion": "v1", "kind": "ConfigMap",
                                  "metadata": _meta(config_map, labels),
                                  "data": dict(sorted(work.env.items()))})
        mounted = {v.key: v.content for v in work.volumes if v.kind == "file"}
        if mounted:
            out.manifests.append({"apiVersion": "v1", "kind": "ConfigMap",
                                  "metadata": _meta(files_name(work), labels),
                                  "data": dict(sorted(mounted.items()))})
        secret = secret_name(work) if work.secret_env else None
        if secret is not None and secrets == "inline":
            out.manifests.append(_secret(work, labels))
        elif secret is not None:
            keys = ", ".join(sorted(work.secret_env))
            out.notes.append(f"{work.address}: create Secret '{secret}' with keys {keys} "
                             f"(kubectl create secret generic {secret} --from-literal=KEY=...)")
        if work.ports:
            out.manifests.append(_service(work, labels))
        template = pod_template(work, labels, config_map, secret, by_address, out.diagnostics)
        out.manifests.append(_workload(work, labels, template))
    out.manifests.sort(key=lambda m: (_ORDER[m["kind"]], m["metadata"]["name"]))
    out.diagnostics.sort(key=lambda d: d.sort_key())
    return out
