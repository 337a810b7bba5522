"""Rendering of the merged desired state for ``reconciler config show`` (text and JSON).

Secrets are already masked in every spec (keyed-hash markers); they are shown as
``(sensitive value)``. Each resource carries the file:line:col it was defined at, and each
value written in the config the position it was written at (derived and default values have
none).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.config.raw import RawDocument
from reconciler.model.secrets import is_marker
from reconciler.model.types import DesiredState, Resource

# A normalized spec key -> the config keys it may come from (first one present wins).
ORIGINS: Mapping[str, tuple[str, ...]] = {
    "command": ("command", "binary", "args"), "cwd": ("working_dir", "workdir", "path"),
    "port": ("port", "container_port"), "ports": ("ports", "container_port"),
    "stop_signal": ("stop_signal",), "shutdown_timeout": ("shutdown_timeout",),
    "startup_timeout": ("startup_timeout",), "user": ("user",), "image": ("image",),
    "volumes": ("volumes",), "entrypoint": ("entrypoint",), "env": ("env",),
}
SECTIONS = ("services", "tasks")


def _mask(value: object) -> object:
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return "(sensitive value)" if is_marker(value) else value


def value_sources(resource: Resource, docs: Sequence[RawDocument]) -> dict[str, str]:
    """``file:line:col`` of each spec value (``env.NAME`` per variable) that was written in
    the config; values that were derived or defaulted have none."""
    if resource.source is None:
        return {}
    doc = next((d for d in docs if str(d.path) == resource.source.file
                or d.file == resource.source.file), None)
    if doc is None:
        return {}
    base = next(((section, resource.name) for section in SECTIONS
                 if doc.get(section, resource.name) is not None), None)
    if base is None:
        return {}
    target = doc.get(*base, "target")
    bases = [base, (*base, "target")] if isinstance(target, Mapping) else [base]
    found: dict[str, str] = {}
    for key in resource.spec:
        for origin in ORIGINS.get(key, (key,)):
            where = next((b for b in bases if doc.get(*b, origin) is not None), None)
            if where is not None:
                found[key] = str(doc.where(*where, origin))
                break
    env = resource.spec.get("env")
    for name in env if isinstance(env, Mapping) else ():
        if doc.get(*base, "env", name) is not None:
            found[f"env.{name}"] = str(doc.where(*base, "env", name))
    return found


def resource_document(resource: Resource,
                      docs: Sequence[RawDocument] = ()) -> dict[str, Any]:
    health = resource.health.to_json() if resource.health is not None else None
    return {"address": str(resource.address), "kind": resource.kind, "name": resource.name,
            "host": resource.address.host, "source": str(resource.source) if resource.source
            else None, "spec": _mask(dict(resource.spec)), "health": health,
            "depends_on": [{"address": str(d.target), "condition": d.condition.value}
                           for d in resource.depends_on],
            "protect": resource.protect, "labels": dict(resource.labels),
            "spec_hash": resource.hash(), "sources": value_sources(resource, docs)}


def desired_document(desired: DesiredState,
                     docs: Sequence[RawDocument] = ()) -> dict[str, object]:
    return {"format_version": "1", "project": desired.project, "session": desired.session,
            "scope": desired.scope,
            "resources": [resource_document(r, docs) for r in desired.ordered()]}


def render_desired(desired: DesiredState, docs: Sequence[RawDocument] = ()) -> str:
    lines = [f"project {desired.project}" + (f" (session {desired.session})"
                                             if desired.session else "")]
    for resource in desired.ordered():
        doc = resource_document(resource, docs)
        where = f"  # {doc['source']}" if doc["source"] else ""
        lines.append(f"\n{doc['address']}{where}")
        sources = doc["sources"]
        for key, value in doc["spec"].items():
            if key == "env" and isinstance(value, dict) and value:
                for name, item in value.items():
                    origin = sources.get(f"env.{name}")
                    lines.append(f"  env.{name} = {json.dumps(item)}"
                                 + (f"  # {origin}" if origin else ""))
                continue
            origin = sources.get(key)
            lines.append(f"  {key} = {json.dumps(value)}" + (f"  # {origin}" if origin else ""))
        if doc["health"]:
            h = doc["health"]
            lines.append(f"  health = {h['kind']} {h['target']} every {h['interval']:g}s")
        for dep in doc["depends_on"]:
            lines.append(f"  depends_on {dep['address']} ({dep['condition']})")
    return "\n".join(lines)
