"""The validation view of a schema whose objects are unions over ``type``.

The services schema is generated from the kind registry as a union over ``type`` (one object
per service type, ``oneOf``; see ``reconciler/actuators/schema.py``): right for editors, but
jsonschema would then answer a stray key with "matches none of the branches". The validator
checks against :func:`merged` instead: every ``oneOf`` of objects tagged by ``type`` becomes
one object with the keys of all of them and ``type`` one of their tags, which is the shape the
per-type rules of ``reconciler.config.checks`` were written for (a key of another type: "does
not apply to a process service, it applies to: docker"). Pure.
"""

from __future__ import annotations

from typing import Any

__all__ = ["merged"]

_DEFS = "#/$defs/"
_NOT_VALIDATION = ("title", "description", "default")


def merged(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every ``oneOf`` of ``type``-tagged objects merged into one object."""
    defs: dict[str, Any] = schema.get("$defs", {})
    out: dict[str, Any] = _walk(schema, defs)
    return out


def _walk(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_walk(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    branches = _tagged(node.get("oneOf"), defs)
    if branches is not None:
        rest = {k: v for k, v in node.items() if k not in ("oneOf", "discriminator")}
        node = {**rest, **_merge(branches)}
    return {key: _walk(value, defs) for key, value in node.items()}


def _tagged(branches: Any, defs: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The object schemas of a ``oneOf`` whose members all name a ``type``-tagged object."""
    if not isinstance(branches, list) or not branches:
        return None
    found = []
    for branch in branches:
        ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
        target = defs.get(ref.removeprefix(_DEFS)) if ref.startswith(_DEFS) else None
        if not (isinstance(target, dict) and target.get("type") == "object"
                and "type" in target.get("properties", {})):
            return None
        found.append(target)
    return found


def _tags(prop: dict[str, Any]) -> tuple[list[str], bool]:
    """The tag values of one branch's ``type`` property, and whether it may be null."""
    options = prop.get("anyOf", [prop])
    values = [o["const"] for o in options if "const" in o]
    return values, any(o.get("type") == "null" for o in options)


def _merge(branches: list[dict[str, Any]]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    tags: list[str] = []
    nullable = False
    for branch in branches:
        for key, prop in branch["properties"].items():
            if key == "type":
                values, null = _tags(prop)
                tags += [v for v in values if v not in tags]
                nullable = nullable or null or key not in branch.get("required", [])
            else:
                properties.setdefault(key, prop)
    enum = {"enum": tags, "type": "string"}
    properties = {"type": {"anyOf": [enum, {"type": "null"}]} if nullable else enum,
                  **properties}
    required = [k for k in branches[0].get("required", [])
                if all(k in b.get("required", []) for b in branches)]
    out: dict[str, Any] = {"type": "object", "properties": properties,
                           "additionalProperties": False}
    if required:
        out["required"] = required
    return out
