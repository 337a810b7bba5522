"""Rendering of the merged desired state for ``reconciler config show`` (text and JSON).

Secrets are already masked in every spec (keyed-hash markers); they are shown as
``(sensitive value)``. Each resource carries the file:line it was defined at.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.model.secrets import is_marker
from reconciler.model.types import DesiredState, Resource


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return "(sensitive value)" if is_marker(value) else value


def resource_document(resource: Resource) -> dict[str, Any]:
    health = resource.health.to_json() if resource.health is not None else None
    return {"address": str(resource.address), "kind": resource.kind, "name": resource.name,
            "host": resource.address.host, "source": str(resource.source) if resource.source
            else None, "spec": _mask(dict(resource.spec)), "health": health,
            "depends_on": [{"address": str(d.target), "condition": d.condition.value}
                           for d in resource.depends_on],
            "protect": resource.protect, "labels": dict(resource.labels),
            "spec_hash": resource.hash()}


def desired_document(desired: DesiredState) -> dict[str, Any]:
    return {"format_version": "1", "project": desired.project, "session": desired.session,
            "scope": desired.scope,
            "resources": [resource_document(r) for r in desired.ordered()]}


def render_desired(desired: DesiredState) -> str:
    lines = [f"project {desired.project}" + (f" (session {desired.session})"
                                             if desired.session else "")]
    for resource in desired.ordered():
        doc = resource_document(resource)
        where = f"  # {doc['source']}" if doc["source"] else ""
        lines.append(f"\n{doc['address']}{where}")
        for key, value in doc["spec"].items():
            lines.append(f"  {key} = {json.dumps(value)}")
        if doc["health"]:
            h = doc["health"]
            lines.append(f"  health = {h['kind']} {h['target']} every {h['interval']:g}s")
        for dep in doc["depends_on"]:
            lines.append(f"  depends_on {dep['address']} ({dep['condition']})")
    return "\n".join(lines)
