"""What the plan renderers share: masking secrets and turning spec values into short text.

A value is masked when it is a secret marker (see :mod:`reconciler.model.secrets`) or sits
under a name that looks secret (``env.DB_PASSWORD``). Masked values render as
``(sensitive value)``; a changed secret still shows as a change, never with its value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from reconciler.model.changes import Action, Change, FieldDiff
from reconciler.model.secrets import is_marker, is_secret_name

SENSITIVE = "(sensitive value)"

HEADLINE = {Action.CREATE: "will be created", Action.UPDATE: "will be updated in-place",
            Action.REPLACE: "will be replaced", Action.DELETE: "will be destroyed",
            Action.NOOP: "is up to date", Action.READ: "will be read"}


def mask(value: object, name: str = "") -> object:
    """``value`` with every secret (marker, or under a secret-looking name) replaced."""
    if value is None:
        return None
    if is_marker(value) or (name and is_secret_name(name) and not isinstance(value, Mapping)):
        return SENSITIVE
    if isinstance(value, Mapping):
        return {str(k): mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v, name) for v in value]
    return value


def leaf_name(path: str) -> str:
    """The last name in a field path: ``env.API_TOKEN`` -> ``API_TOKEN``."""
    return path.rsplit(".", 1)[-1].split("[", 1)[0]


def show(value: object, name: str = "") -> str:
    """One value as it appears in a plan line (JSON, or the sensitive placeholder)."""
    masked = mask(value, name)
    if masked == SENSITIVE:
        return SENSITIVE
    return json.dumps(masked, ensure_ascii=False, sort_keys=True)


def spec_lines(spec: Mapping[str, object] | None) -> list[tuple[str, object]]:
    """A spec flattened one level (``env.X``), sorted, empty values left out."""
    lines: list[tuple[str, object]] = []
    for key in sorted(spec or {}):
        value = (spec or {})[key]
        if value is None or value in ({}, []):
            continue
        if isinstance(value, Mapping):
            lines.extend((f"{key}.{sub}", value[sub]) for sub in sorted(value))
        else:
            lines.append((key, value))
    return lines


def diff_symbol(diff: FieldDiff) -> str:
    if diff.before is None:
        return "+"
    if diff.after is None:
        return "-"
    return "~"


def diff_text(diff: FieldDiff) -> str:
    """``env.LOG_LEVEL: "debug" -> "info"`` (or the added / removed value alone)."""
    name = leaf_name(diff.path)
    if diff.before is None:
        return f"{diff.path}: {show(diff.after, name)}"
    if diff.after is None:
        return f"{diff.path}: {show(diff.before, name)}"
    return f"{diff.path}: {show(diff.before, name)} -> {show(diff.after, name)}"


def forces(change: Change, diff: FieldDiff) -> bool:
    """True when this field is why the change is a replacement."""
    return change.action is Action.REPLACE and diff.forces_replace


def body(change: Change) -> list[tuple[str, str, bool]]:
    """(symbol, text, forces replacement) lines under a change's headline."""
    if change.field_diffs:
        return [(diff_symbol(d), diff_text(d), forces(change, d)) for d in change.field_diffs]
    if change.action is Action.CREATE:
        return [("+", f"{p}: {show(v, leaf_name(p))}", False) for p, v in spec_lines(change.after)]
    if change.action is Action.DELETE:
        return [("-", f"{p}: {show(v, leaf_name(p))}", False)
                for p, v in spec_lines(change.before)]
    return []


def headline(change: Change) -> str:
    """``process.api will be replaced (spec changed)``."""
    reason = change.reason_text()
    text = f"{change.address} {HEADLINE[change.action]}"
    return f"{text} ({reason})" if reason else text


def summary_line(counts: Mapping[str, int]) -> str:
    return (f"Plan: {counts['create']} to add, {counts['update']} to change, "
            f"{counts['replace']} to replace, {counts['delete']} to destroy.")


NO_CHANGES = "No changes. The world matches the configuration."
