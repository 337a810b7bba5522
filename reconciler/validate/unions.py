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

from collections.abc import Mapping

__all__ = ["merged"]

_DEFS = "#/$defs/"
_NOT_VALIDATION = ("title", "description", "default")

Schema = dict[str, object]  # a JSON Schema object, read with isinstance checks


def merged(schema: Schema) -> Schema:
    """``schema`` with every ``oneOf`` of ``type``-tagged objects merged into one object."""
    defs = schema.get("$defs", {})
    out = _walk(schema, defs if isinstance(defs, dict) else {})
    return out if isinstance(out, dict) else schema


def _walk(node: object, defs: Mapping[str, object]) -> object:
    if isinstance(node, list):
        return [_walk(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    branches = _tagged(node.get("oneOf"), defs)
    if branches is not None:
        rest = {k: v for k, v in node.items() if k not in ("oneOf", "discriminator")}
        node = {**rest, **_merge(branches)}
    return {key: _walk(value, defs) for key, value in node.items()}


def _tagged(branches: object, defs: Mapping[str, object]) -> list[Schema] | None:
    """The object schemas of a ``oneOf`` whose members all name a ``type``-tagged object."""
    if not isinstance(branches, list) or not branches:
        return None
    found: list[Schema] = []
    for branch in branches:
        ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
        ref = ref if isinstance(ref, str) else ""
        target = defs.get(ref.removeprefix(_DEFS)) if ref.startswith(_DEFS) else None
        if not (isinstance(target, dict) and target.get("type") == "object"
                and "type" in _properties(target)):
            return None
        found.append(target)
    return found


def _properties(schema: Schema) -> Schema:
    found = schema.get("properties", {})
    return found if isinstance(found, dict) else {}


def _required(schema: Schema) -> list[object]:
    found = schema.get("required", [])
    return found if isinstance(found, list) else []


def _tags(prop: object) -> tuple[list[object], bool]:
    """The tag values of one branch's ``type`` property, and whether it may be null."""
    found = prop.get("anyOf", [prop]) if isinstance(prop, dict) else [prop]
    options = [o for o in found if isinstance(o, dict)] if isinstance(found, list) else []
    values = [o["const"] for o in options if "const" in o]
    return values, any(o.get("type") == "null" for o in options)


def _merge(branches: list[Schema]) -> Schema:
    properties: Schema = {}
    tags: list[object] = []
    nullable = False
    for branch in branches:
        for key, prop in _properties(branch).items():
            if key == "type":
                values, null = _tags(prop)
                tags += [v for v in values if v not in tags]
                nullable = nullable or null or key not in _required(branch)
            else:
                properties.setdefault(key, prop)
    enum = {"enum": tags, "type": "string"}
    properties = {"type": {"anyOf": [enum, {"type": "null"}]} if nullable else enum,
                  **properties}
    required = [k for k in _required(branches[0])
                if all(k in _required(b) for b in branches)]
    out: Schema = {"type": "object", "properties": properties,
                   "additionalProperties": False}
    if required:
        out["required"] = required
    return out
