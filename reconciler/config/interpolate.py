"""``${...}`` interpolation of config strings: variables, defaults, escapes and references.

Syntax (compose-like):
  ``${VAR}``            the variable's value (missing: reported, replaced by "")
  ``${VAR:-default}``   the default when VAR is unset or empty; ``${VAR-default}`` when unset
  ``${VAR:?message}``   an error with ``message`` when VAR is unset or empty
  ``$$``                a literal ``$``; a ``$`` not followed by ``{`` or ``$`` stays as it is
                        (so ``$PORT`` reaches the shell untouched)
  ``${svc.attr}``       a reference to another service (``${db.port}``, ``${api.ip}``); the
                        locald form ``${services.db.url}`` is the same as ``${db.url}``
Defaults may themselves contain ``${...}``. Lookups are callbacks, so this module stays pure
and knows nothing of the model; a reference lookup raises :class:`ReferenceProblem`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)+")


class ReferenceProblem(Exception):
    """A ``${svc.attr}`` reference that cannot be resolved (unknown, no such value, cycle)."""


@dataclass
class Interpolated:
    """The result of interpolating one string."""

    value: str
    variables: list[str] = field(default_factory=list)  # every variable consulted
    missing: list[str] = field(default_factory=list)  # variables unset and without default
    references: list[tuple[str, str]] = field(default_factory=list)  # (service, attr)
    errors: list[str] = field(default_factory=list)


VarLookup = Callable[[str], str | None]
RefLookup = Callable[[str, str], str]


def split_reference(text: str) -> tuple[str, str]:
    """``db.port`` -> ("db", "port"); ``services.db.url`` -> ("db", "url")."""
    parts = text.split(".")
    if parts[0] == "services" and len(parts) >= 3:
        return parts[1], ".".join(parts[2:])
    return parts[0], ".".join(parts[1:])


def _closing(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` whose body starts at ``start``; -1 if none."""
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def interpolate(text: str, variable: VarLookup, reference: RefLookup) -> Interpolated:
    """Expand every ``${...}`` and ``$$`` in ``text``."""
    result = Interpolated("")
    result.value = _expand(text, variable, reference, result)
    return result


def _expand(text: str, variable: VarLookup, reference: RefLookup, out: Interpolated) -> str:
    pieces: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "$" or i + 1 >= len(text):
            pieces.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            pieces.append("$")
            i += 2
            continue
        if nxt != "{":
            pieces.append(ch)
            i += 1
            continue
        end = _closing(text, i + 2)
        if end < 0:
            out.errors.append(f"unterminated '${{' in {text!r}")
            pieces.append(text[i:])
            break
        pieces.append(_one(text[i + 2:end], variable, reference, out))
        i = end + 1
    return "".join(pieces)


def _one(body: str, variable: VarLookup, reference: RefLookup, out: Interpolated) -> str:
    ref = _REF.match(body)
    if ref and ref.end() == len(body):
        service, attr = split_reference(body)
        out.references.append((service, attr))
        try:
            return reference(service, attr)
        except ReferenceProblem as exc:
            out.errors.append(str(exc))
            return ""
    name = _NAME.match(body)
    if name is None:
        out.errors.append(f"invalid substitution '${{{body}}}'")
        return ""
    key, rest = name.group(0), body[name.end():]
    value = variable(key)
    out.variables.append(key)
    for op in (":-", "-", ":?", "?"):
        if rest.startswith(op) or (not rest and op == ":-"):
            break
    else:
        out.errors.append(f"invalid substitution '${{{body}}}'")
        return ""
    arg = rest[len(op):]
    unset = value is None
    empty = unset or value == ""
    if not rest:
        if unset:
            out.missing.append(key)
        return value or ""
    if op in (":-", "-") and (empty if op == ":-" else unset):
        return _expand(arg, variable, reference, out)
    if op in (":?", "?") and (empty if op == ":?" else unset):
        out.errors.append(f"{key}: {arg or 'required variable is not set'}")
        return ""
    return value or ""
