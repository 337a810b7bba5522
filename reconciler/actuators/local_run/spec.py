"""ProcessSpec: the typed view of a ``process`` or ``task`` resource's spec.

model.build writes the spec as a JSON-able mapping (that mapping is what is hashed, stored
as last-applied state and shown in plans, so it stays the source of truth, byte for byte).
:meth:`ProcessSpec.of` is the parse boundary the process and task actuators read it
through: the only place a key is looked up by string and the only ``Any`` on their path.
Defaults are the ones the actuators applied before: no stop signal means SIGTERM, an empty
``user`` or ``cwd`` means none.

:class:`ProcessFields` is the stored shape itself (the keys and value types every builder
writes) and :func:`process_spec` the one constructor the builders call; the ``process`` and
``task`` kind packages re-export both from their ``spec`` module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

__all__ = ["ProcessFields", "ProcessSpec", "process_spec"]


class ProcessFields(TypedDict):
    """What ``Resource.spec`` holds for a process or task (JSON-able, hashed as is).

    ``env`` is filled by the resolve step (secret markers, never values) and ``port`` with
    the allocated port; a ``stop_signal`` of None leaves the signal to the default.
    """

    command: list[str] | None  # None only for a locald service that names none
    cwd: str | None
    env: dict[str, str]
    user: str | None
    port: int | None
    stop_signal: str | None
    shutdown_timeout: float
    startup_timeout: float


def process_spec(command: list[str] | None, cwd: str | None, *, shutdown_timeout: float,
                 startup_timeout: float, user: str | None = None,
                 stop_signal: str | None = "SIGTERM") -> ProcessFields:
    """The spec of one process or task, as every builder writes it (key order included:
    plans and snapshots show it)."""
    return {"command": command, "cwd": cwd, "env": {}, "user": user, "port": None,
            "stop_signal": stop_signal, "shutdown_timeout": shutdown_timeout,
            "startup_timeout": startup_timeout}


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    """argv, working directory, env (secret markers, not values), user, port, stop signal
    and timeouts of one process or task (see docs/configuration.md)."""

    command: tuple[str, ...] = ()
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    user: str | None = None
    port: int | None = None
    stop_signal: str = "SIGTERM"
    shutdown_timeout: float | None = None
    startup_timeout: float | None = None

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> ProcessSpec:
        """Read a built spec (an empty mapping gives the defaults)."""
        return cls(
            command=tuple(str(arg) for arg in spec.get("command") or ()),
            cwd=str(spec["cwd"]) if spec.get("cwd") else None,
            env=dict(spec.get("env") or {}),
            user=str(spec["user"]) if spec.get("user") else None,
            port=spec.get("port"),
            stop_signal=str(spec.get("stop_signal") or "SIGTERM"),
            shutdown_timeout=_seconds(spec.get("shutdown_timeout")),
            startup_timeout=_seconds(spec.get("startup_timeout")),
        )

    def shutdown_or(self, default: float) -> float:
        """The shutdown timeout, ``default`` when unset or zero (as before: ``or``)."""
        return self.shutdown_timeout or default

    def startup_or(self, default: float) -> float:
        """The startup timeout, ``default`` when unset or zero."""
        return self.startup_timeout or default


def _seconds(value: Any) -> float | None:
    return float(value) if value else None
