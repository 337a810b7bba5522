"""Policy rule values and the pure matching logic behind them.

Owns :class:`Outcome` (the four decisions and their severity order), :class:`ChangeFacts`
(what a rule can see of one planned change), :class:`Match` (the declarative ``match:``
block), :class:`ChangeWindow` and :class:`Rule`, plus the built-in predicates behind the
convenience keys ``protect``, ``allowed_hosts``, ``allowed_registries`` and
``change_windows``. Nothing here reads files or the clock: ``now`` is always passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from reconciler.errors import SourceRange
from reconciler.model.changes import Action, Change
from reconciler.policy.view import policy_spec

if TYPE_CHECKING:
    from reconciler.jsonvalue import JSONValue
from reconciler.policy.cel import CelCheck

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WRITE_ACTIONS = frozenset({"create", "update", "replace"})


class Outcome(StrEnum):
    """A policy decision; :attr:`severity` orders them, the most severe wins."""

    ALLOW = "allow"
    WARN = "warn"
    REQUIRE_APPROVAL = "require_approval"
    DENY = "deny"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Outcome.ALLOW: 0, Outcome.WARN: 1, Outcome.REQUIRE_APPROVAL: 2, Outcome.DENY: 3}


def _plain(value: object) -> JSONValue:
    """A JSON-like copy of ``value`` (plain dicts and lists) that CEL can take."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _plain_map(value: Mapping[str, object]) -> dict[str, JSONValue]:
    return {str(k): _plain(v) for k, v in value.items()}


@dataclass(frozen=True, slots=True)
class ChangeFacts:
    """What rules see of one change: the CEL activation without ``now``."""

    change: Change
    action: str
    spec: Mapping[str, Any]
    before: Mapping[str, Any]
    labels: Mapping[str, str]
    changed: tuple[str, ...]

    @classmethod
    def of(cls, change: Change) -> ChangeFacts:
        kind = change.address.kind
        after = policy_spec(kind, _plain_map(change.after)) if change.after is not None else None
        before = (policy_spec(kind, _plain_map(change.before)) if change.before is not None
                  else {})
        spec = after if after is not None and change.action is not Action.DELETE else before
        labels = spec.get("labels") or {}
        return cls(change, change.action.verb, spec, before,
                   {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict)
                   else {}, tuple(d.path for d in change.field_diffs))

    @property
    def address(self) -> str:
        return str(self.change.address)

    def activation(self, now: datetime) -> dict[str, object]:
        addr = self.change.address
        return {"action": self.action, "address": self.address, "kind": addr.kind,
                "name": addr.name, "host": addr.host, "labels": dict(self.labels),
                "spec": dict(self.spec), "before": dict(self.before), "now": now,
                "changed": list(self.changed)}


def glob_matches_address(pattern: str, facts: ChangeFacts) -> bool:
    """A glob matches the name, ``kind.name`` or the full address ``kind.name@host``."""
    addr = facts.change.address
    return any(fnmatchcase(candidate, pattern)
               for candidate in (addr.name, f"{addr.kind}.{addr.name}", str(addr)))


@dataclass(frozen=True, slots=True)
class Match:
    """A ``match:`` block; ``None`` fields match everything."""

    actions: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    names: tuple[str, ...] | None = None
    hosts: tuple[str, ...] | None = None
    labels: Mapping[str, str] | None = None

    def matches(self, facts: ChangeFacts) -> bool:
        addr = facts.change.address
        if self.actions is not None and facts.action not in self.actions:
            return False
        if self.kinds is not None and addr.kind not in self.kinds:
            return False
        if self.names is not None and not any(glob_matches_address(p, facts)
                                              for p in self.names):
            return False
        if self.hosts is not None and not any(fnmatchcase(addr.host, p) for p in self.hosts):
            return False
        if self.labels is not None:
            for key, pattern in self.labels.items():
                value = facts.labels.get(key)
                if value is None or not fnmatchcase(value, pattern):
                    return False
        return True

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.actions is not None:
            out["actions"] = sorted(self.actions)
        if self.kinds is not None:
            out["kinds"] = sorted(self.kinds)
        for key in ("names", "hosts"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value)
        if self.labels is not None:
            out["labels"] = dict(self.labels)
        return out


@dataclass(frozen=True, slots=True)
class ChangeWindow:
    """Changes are allowed on ``days`` from ``start`` (inclusive) to ``end`` (exclusive).

    An ``end`` not after ``start`` wraps past midnight: the window opens on one of ``days``
    and closes the next day.
    """

    days: frozenset[str]
    start: time
    end: time
    tz: str = "UTC"

    def contains(self, now: datetime) -> bool:
        from zoneinfo import ZoneInfo  # here: zoneinfo (sysconfig) costs every plan ~10 ms

        local = now.astimezone(ZoneInfo(self.tz))
        clock = local.time().replace(tzinfo=None)
        today = DAYS[local.weekday()]
        yesterday = DAYS[(local - timedelta(days=1)).weekday()]
        if self.start < self.end:
            return today in self.days and self.start <= clock < self.end
        return ((today in self.days and clock >= self.start)
                or (yesterday in self.days and clock < self.end))

    def describe(self) -> str:
        days = ",".join(d for d in DAYS if d in self.days)
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.tz}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule, from a file or built from a convenience key.

    A rule applies to a change when ``match`` matches, ``check`` (built-in rules) returns
    true and ``when`` (CEL) evaluates to true.
    """

    id: str
    decision: Outcome
    message: str
    layer: str
    origin: SourceRange
    match: Match = field(default_factory=Match)
    description: str = ""
    when: CelCheck | None = None
    on_error: str = "apply"
    check: Callable[[ChangeFacts, datetime], bool] | None = None
    condition: str = ""  # human words for ``check`` (shown by `policy show`)

    def reason(self, facts: ChangeFacts) -> str:
        addr = facts.change.address
        values = {"address": str(addr), "kind": addr.kind, "name": addr.name,
                  "host": addr.host, "action": facts.action}
        try:
            return self.message.format_map(values)
        except (KeyError, IndexError, ValueError):
            return self.message

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "layer": self.layer, "origin": str(self.origin),
                               "decision": self.decision.value, "message": self.message}
        if self.description:
            out["description"] = self.description
        match = self.match.describe()
        if match:
            out["match"] = match
        if self.when is not None:
            out["when"] = self.when.expression
            out["on_error"] = self.on_error
        if self.condition:
            out["condition"] = self.condition
        return out


def image_registry_ok(image: str, allowed: tuple[str, ...]) -> bool:
    """Is ``image`` from one of the ``allowed`` registry prefixes?

    Images without a registry part (``postgres:16``, ``team/app``) come from
    ``docker.io`` (``docker.io/library/postgres:16``); both spellings are checked.
    """
    candidates = {image}
    first, slash, _rest = image.partition("/")
    if not slash or ("." not in first and ":" not in first and first != "localhost"):
        candidates.add(f"docker.io/{image}" if slash else f"docker.io/library/{image}")
    for prefix in allowed:
        base = prefix.rstrip("/")
        if any(c == base or c.startswith(base + "/") for c in candidates):
            return True
    return False


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    return host == "local" or any(fnmatchcase(host, p) for p in allowed)
