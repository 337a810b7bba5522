"""The engine's vocabulary between observe, diff, plan and apply (all frozen values).

* :class:`Observed` — what an actuator saw of one object in the world.
* :class:`Action`, :class:`ReasonCode`, :class:`ActionReason`, :class:`FieldDiff`,
  :class:`Change` — what diff decided must happen to one address, and why.
* :class:`Health` — the result of a readiness probe.

Reasons explain a change to people; apply never branches on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.errors import SourceRange
from reconciler.model.types import Address


class Status(StrEnum):
    """Lifecycle of an observed object."""

    RUNNING = "running"
    EXITED = "exited"       # was started by us and is gone / stopped (exit_code says how)
    COMPLETED = "completed"  # one-shot task finished successfully
    FAILED = "failed"       # one-shot task finished unsuccessfully
    MISSING = "missing"     # recorded in state but not found in the world


# the Observed fact naming another state that owns the object: {"state_id": ..., "dir": ...}
OWNED_BY = "owned_by"


class HealthStatus(StrEnum):
    UNKNOWN = "unknown"
    STARTING = "starting"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True, slots=True)
class Health:
    status: HealthStatus
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Observed:
    """One object as found in the world (or recorded in state and now missing).

    ``spec_hash`` is the hash of the spec the object was created from, read from the object's
    own marks (env var, label) where the backend has them, else from state. ``facts`` holds
    kind-specific observations (pid, start_time, container id, ports, log path, ...).
    """

    address: Address
    status: Status
    spec_hash: str | None = None
    exit_code: int | None = None
    reason: str = ""  # human words for a non-running status: "exited 1", "OOM killed"
    health: Health | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    adopted: bool = False  # found by its marks, not through state

    @property
    def running(self) -> bool:
        return self.status is Status.RUNNING


class Action(StrEnum):
    """What happens to an address; values are what the plan prints."""

    NOOP = " "
    CREATE = "+"
    UPDATE = "~"
    REPLACE = "-/+"
    DELETE = "-"
    READ = "<="  # observe-only (attach-only resources); never changes the world

    @property
    def verb(self) -> str:
        return {" ": "no-op", "+": "create", "~": "update", "-/+": "replace", "-": "delete",
                "<=": "read"}[self.value]


class ReasonCode(StrEnum):
    NEW = "new"                    # in config, not in the world
    SPEC_CHANGED = "spec_changed"  # config edited since the last apply
    DRIFT = "drift"                # the world changed: exited, removed, modified by hand
    ORPHAN = "orphan"              # in the world (owned by us) but no longer in config
    TASK_PENDING = "task_pending"  # one-shot task not yet run for this spec
    DEPENDENCY = "dependency"      # replaced because something it depends on is replaced
    REQUESTED = "requested"        # destroy, --replace, key rotation
    OWNED_ELSEWHERE = "owned_elsewhere"  # marked by another state: apply needs --adopt
    ATTACHED = "attached"          # observed only: never started, stopped or replaced


@dataclass(frozen=True, slots=True)
class ActionReason:
    code: ReasonCode
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One changed managed field, path-addressed like ``env.LOG_LEVEL`` or ``command[1]``."""

    path: str
    before: object
    after: object
    forces_replace: bool = True


@dataclass(frozen=True, slots=True)
class Change:
    """The decision for one address. ``before``/``after`` hold managed fields only."""

    address: Address
    action: Action
    before: Mapping[str, object] | None
    after: Mapping[str, object] | None
    field_diffs: tuple[FieldDiff, ...] = ()
    reasons: tuple[ActionReason, ...] = ()
    source: SourceRange | None = None
    order: int = 0

    @property
    def is_noop(self) -> bool:
        return self.action in (Action.NOOP, Action.READ)

    def reason_text(self) -> str:
        return "; ".join(str(r) for r in self.reasons)
