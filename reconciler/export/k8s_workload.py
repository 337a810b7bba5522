"""What of the model can run on Kubernetes: container resources (``type: docker``) and Compose
services with an image become :class:`Workload` values; everything else (local processes,
tasks, SSH hosts, packages, files, WireGuard, Compose services that only ``build:``) gets one
warning naming its file:line and why, never a silent drop."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.actuators.container.spec import spec_of as container_spec
from reconciler.errors import Diagnostic, warning
from reconciler.export.k8s_resources import (
    compose_replicas,
    compose_resources,
    container_resources,
)
from reconciler.export.k8s_volumes import Volume
from reconciler.export.k8s_volumes import volumes as mounts_of
from reconciler.model.secrets import is_marker, is_secret_name
from reconciler.model.types import LOCAL_HOST, DesiredState, HealthCheck, Resource

__all__ = ["Port", "Volume", "Workload", "dns_name", "workloads"]

_WHY = {
    "process": "a local process has no image",
    "task": "a one-shot task is not exported",
    "package": "a package is installed on a host, not run in a pod",
    "file": "a managed file lives on a host",
    "wireguard": "WireGuard networks are not exported (use the cluster's network)",
    "swarm_service": "a swarm service runs on its cluster",
}


_HINTS = {"task": "write a Kubernetes Job (or an init container) for it by hand",
          "package": "bake it into the image", "file": "mount it from a ConfigMap",
          "wireguard": "use the cluster's network",
          "swarm_service": "without `cluster:` (and `replicas`, `constraints`, `update`) the "
                           "docker service exports as a Deployment"}


@dataclass(frozen=True, slots=True)
class Port:
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class Workload:
    """One exported container and everything its manifests need."""

    name: str  # a DNS-1123 label
    address: str
    image: str
    command: tuple[str, ...] | None = None  # the image's ENTRYPOINT replaced
    args: tuple[str, ...] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, str] = field(default_factory=dict)  # clear values, never printed
    ports: tuple[Port, ...] = ()
    host_ports: Mapping[int, int] = field(default_factory=dict)  # published -> container
    volumes: tuple[Volume, ...] = ()
    health: HealthCheck | None = None
    depends_on: tuple[str, ...] = ()  # addresses
    replicas: int = 1
    resources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    resource: Resource | None = None


def dns_name(text: str) -> str:
    """A DNS-1123 label from ``text`` (lower case, ``-`` for anything else, at most 63)."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63].strip("-")
    return name or "x"


def _sorted(ports: Sequence[Port]) -> tuple[Port, ...]:
    return tuple(sorted(set(ports), key=lambda p: (p.port, p.protocol)))


def _container_port(text: str) -> tuple[Port | None, int | None]:
    """``[ip:][published:]target[/proto]`` -> the target port and the published one."""
    body, _, proto = text.partition("/")
    parts = body.rsplit(":", 2)
    target = parts[-1]
    published = parts[-2] if len(parts) >= 2 else ""
    if not target.isdigit():
        return None, None
    port = Port(int(target), (proto or "tcp").upper())
    return port, int(published) if published.isdigit() else None


def _compose_ports(definition: Mapping[str, Any]) -> tuple[list[Port], dict[int, int], list[str]]:
    ports: list[Port] = []
    published: dict[int, int] = {}
    bad: list[str] = []
    for item in list(definition.get("ports") or []) + list(definition.get("expose") or []):
        if isinstance(item, Mapping):
            text = f"{item.get('published', '')}:{item.get('target')}/{item.get('protocol', 'tcp')}"
        else:
            text = str(item)
        port, outside = _container_port(text)
        if port is None:
            bad.append(str(item))
            continue
        ports.append(port)
        if outside is not None:
            published[outside] = port.port
    return ports, published, bad


def _argv(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(shlex.split(value))  # Compose splits a string the shell's way, no shell
    return tuple(str(v) for v in value)


def _from_container(res: Resource, files: Mapping[str, str],
                    problems: list[Diagnostic]) -> Workload:
    spec = container_spec(res.spec)
    env, secret_env = {}, {}
    for key, value in sorted(dict(spec.get("env") or {}).items()):
        if is_marker(value) or f"env.{key}" in res.secrets:
            secret_env[key] = res.secrets.get(f"env.{key}", "")
        else:
            env[key] = str(value)
    ports = [Port(int(p["container"]), str(p.get("protocol") or "tcp").upper())
             for p in spec.get("ports") or []]
    published = {int(host): int(p["container"]) for p in spec.get("ports") or []
                 if (host := p.get("host"))}
    return Workload(dns_name(res.name), str(res.address), str(spec["image"]),
                    _argv(spec.get("entrypoint")), _argv(spec.get("command")), env, secret_env,
                    _sorted(ports), published, mounts_of(res, files, problems), res.health,
                    tuple(str(d.target) for d in res.depends_on),
                    resources=container_resources(spec), resource=res)


def _from_compose(res: Resource, files: Mapping[str, str],
                  problems: list[Diagnostic]) -> Workload | None:
    found = res.spec.get("definition")
    definition: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    if not definition.get("image"):
        problems.append(warning(f"{res.address}: a Compose service without an image is not "
                                "exported", res.source, address=str(res.address),
                                hint="build and push the image, then set `image:`"))
        return None
    env, secret_env = {}, {}
    for key, value in sorted(dict(definition.get("environment") or {}).items()):
        text = "" if value is None else str(value)
        if value is None:
            problems.append(warning(f"{res.address}: environment {key} has no value in the "
                                    "Compose file (Compose takes it from its own environment); "
                                    "exported empty", res.source, address=str(res.address),
                                    hint="give it a value (or `${VAR}`) in the file"))
        if is_secret_name(key) or f"env.{key}" in res.secrets:
            secret_env[key] = res.secrets.get(f"env.{key}", text)
        else:
            env[key] = text
    ports, published, bad = _compose_ports(definition)
    problems.extend(warning(f"{res.address}: port {item!r} is not exported (not one port)",
                            res.source, address=str(res.address)) for item in bad)
    service = str(res.spec.get("service", res.name))
    name = service if res.name.startswith("compose.") else f"{res.name.split('.')[0]}-{service}"
    return Workload(dns_name(name), str(res.address), str(definition["image"]),
                    _argv(definition.get("entrypoint")), _argv(definition.get("command")), env,
                    secret_env, _sorted(ports), published,
                    mounts_of(res, files, problems), res.health,
                    tuple(str(d.target) for d in res.depends_on),
                    replicas=compose_replicas(definition),
                    resources=compose_resources(definition), resource=res)


def workloads(desired: DesiredState, files: Mapping[str, str] | None = None
              ) -> tuple[list[Workload], list[Diagnostic]]:
    """The exportable workloads of ``desired`` (sorted by name) and a warning per resource
    (or part of one) that does not map; ``files``: the text of bind-mounted files by path."""
    files = files or {}
    problems: list[Diagnostic] = []
    out: list[Workload] = []
    for res in desired.ordered():
        if res.address.host != LOCAL_HOST:
            problems.append(warning(f"{res.address}: a resource on SSH host "
                                    f"'{res.address.host}' is not exported", res.source,
                                    address=str(res.address),
                                    hint="hosts are places; a cluster schedules pods itself"))
        elif res.kind == "container":
            out.append(_from_container(res, files, problems))
        elif res.kind == "compose" and "service" in res.spec:
            if (made := _from_compose(res, files, problems)) is not None:
                out.append(made)
        else:
            why = _WHY.get(res.kind, f"kind '{res.kind}' has no Kubernetes form")
            problems.append(warning(f"{res.address}: not exported ({why})", res.source,
                                    address=str(res.address),
                                    hint=_HINTS.get(res.kind, "give it an image "
                                                    "(`type: docker`) to export it")))
    seen: dict[str, str] = {}
    for work in out:
        if work.name in seen:
            problems.append(warning(f"{work.address}: its name '{work.name}' is also "
                                    f"{seen[work.name]}'s; the later one wins", None,
                                    address=work.address))
        seen[work.name] = work.address
    unique = {w.name: w for w in out}
    return sorted(unique.values(), key=lambda w: w.name), problems
