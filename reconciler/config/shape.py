"""Shape checks of the seed systems' own files (vendetta, par), with file:line:col (pure).

These formats are other projects' files, read as they are: a key reconciler has no meaning
for is a *warning* naming it (the file still loads), a value of the wrong type is an error.
A :data:`Spec` says what a mapping may hold: for each key a value kind (``"str"``,
``"int"``, ``"number"``, ``"bool"``, ``"duration"``, ``"command"``, ``"strs"``, ``"env"``,
``"any"``), a nested ``dict`` spec, or ``("map", spec)`` for a mapping of names to ``spec``.
``ignored`` keys are known to the format but mean nothing to a reconciler; each gets one
warning with the reason. Durations read as the seed tools write them: ``5s``, ``500ms``,
``2m``, ``1h``, ``1m30s`` or a number of seconds.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from reconciler.config.raw import KeyPath, RawDocument
from reconciler.errors import Diagnostic, error, warning

Spec = Mapping[str, object]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_KINDS = {"str": "a string", "int": "an integer", "number": "a number", "bool": "true or false",
          "duration": "a duration (5s, 500ms, 2m) or seconds", "command": "a string or a list",
          "strs": "a list of strings", "env": "a mapping of names to values",
          "any": "any value"}


def duration_seconds(value: object) -> float | None:
    """``"1m30s"`` -> 90.0, ``5`` -> 5.0; None when ``value`` is not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    parts = _DURATION.findall(text)
    if "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNITS[u] for n, u in parts)


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def _fits(kind: str, value: object) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return number and isinstance(value, int)
    if kind == "number":
        return number
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "duration":
        return duration_seconds(value) is not None
    if kind == "command":
        return isinstance(value, str) or (isinstance(value, list)
                                           and all(_scalar(i) for i in value))
    if kind == "strs":
        return isinstance(value, list) and all(isinstance(i, str) for i in value)
    if kind == "env":
        return isinstance(value, dict) and all(_scalar(i) or i is None
                                               for i in value.values())
    return True  # "any"


def check_mapping(doc: RawDocument, path: KeyPath, value: object, spec: Spec, *,
                  ignored: Mapping[str, str] | None = None,
                  what: str = "") -> list[Diagnostic]:
    """Every problem of ``value`` (at ``path`` of ``doc``) against ``spec``."""
    where = doc.where(*path)
    label = what or ".".join(str(p) for p in path) or "the document"
    if not isinstance(value, dict):
        return [error(f"{label}: expected a mapping", where)]
    out: list[Diagnostic] = []
    ignored = ignored or {}
    for key, item in value.items():
        here = (*path, key)
        if key in ignored:
            out.append(warning(f"'{key}' is not read by reconciler: {ignored[key]}",
                               doc.where(*here)))
            continue
        rule = spec.get(key)
        if rule is None:
            close = difflib.get_close_matches(key, list(spec), 1)
            out.append(warning(f"unknown key '{key}' in {label} is ignored", doc.where(*here),
                               hint=f"did you mean '{close[0]}'?" if close else
                               "known keys: " + ", ".join(sorted(spec))))
        elif isinstance(rule, dict):
            out += check_mapping(doc, here, item, rule)
        elif isinstance(rule, tuple):
            if not isinstance(item, dict):
                out.append(error(f"{'.'.join(map(str, here))}: expected a mapping",
                                 doc.where(*here)))
                continue
            for name, body in item.items():
                out += check_mapping(doc, (*here, name), body, rule[1])
        elif item is not None and not _fits(str(rule), item):
            out.append(error(f"{'.'.join(map(str, here))}: expected {_KINDS[str(rule)]}",
                             doc.where(*here)))
    return out
