"""Compute resources and replicas of an exported workload: ``cpus`` / ``memory`` of a
``type: docker`` service, and a Compose service's ``deploy`` (``replicas``,
``resources.limits`` / ``reservations``) as Kubernetes ``limits`` / ``requests`` quantities
(Docker's binary units: ``512m`` -> ``512Mi``; ``0.5`` CPUs -> ``500m``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["compose_replicas", "compose_resources", "container_resources", "cpu", "memory"]

_MEMORY = re.compile(r"^\s*(\d+)\s*([bkmg]?)b?\s*$", re.IGNORECASE)
_BINARY = {"": "", "b": "", "k": "Ki", "m": "Mi", "g": "Gi"}


def memory(value: object) -> str | None:
    """A Docker memory size as a Kubernetes quantity; None when it is not one."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    found = _MEMORY.match(str(value)) if isinstance(value, str) else None
    if found is None or int(found.group(1)) == 0:
        return None
    return f"{int(found.group(1))}{_BINARY[found.group(2).lower()]}"


def cpu(value: Any) -> str | None:
    """A Docker CPU count as millicores; None when it is not a positive number."""
    try:
        count = float(value)
    except (TypeError, ValueError):
        return None
    millis = round(count * 1000)
    return f"{millis}m" if millis > 0 else None


def _quantities(raw: Mapping[str, object]) -> dict[str, str]:
    out = {"cpu": cpu(raw.get("cpus")) if raw.get("cpus") is not None else None,
           "memory": memory(raw.get("memory")) if raw.get("memory") is not None else None}
    return {k: v for k, v in out.items() if v is not None}


def container_resources(spec: Mapping[str, object]) -> dict[str, dict[str, str]]:
    """``{limits: ...}`` from a container spec's ``cpus`` and ``memory``."""
    limits = _quantities(spec)
    return {"limits": limits} if limits else {}


def compose_resources(definition: Mapping[str, object]) -> dict[str, dict[str, str]]:
    """``{limits, requests}`` from a Compose service's ``deploy.resources``."""
    deploy = definition.get("deploy")
    given = deploy.get("resources") if isinstance(deploy, Mapping) else None
    if not isinstance(given, Mapping):
        return {}
    out: dict[str, dict[str, str]] = {}
    for ours, theirs in (("limits", "limits"), ("requests", "reservations")):
        part = given.get(theirs)
        if isinstance(part, Mapping) and (found := _quantities(part)):
            out[ours] = found
    return out


def compose_replicas(definition: Mapping[str, object]) -> int:
    deploy = definition.get("deploy")
    replicas = deploy.get("replicas") if isinstance(deploy, Mapping) else None
    try:
        return max(0, int(replicas)) if replicas is not None else 1
    except (TypeError, ValueError):
        return 1
