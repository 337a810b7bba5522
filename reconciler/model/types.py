"""The desired-state vocabulary: addresses, health checks, dependencies, resources.

Everything here is frozen and pure. A :class:`Resource` holds the *normalized* spec of one
managed object as a plain JSON-able mapping (``spec``); that mapping is what is diffed,
hashed (see :func:`spec_hash`), stored as last-applied state and shown in plans. Secret
values never appear in ``spec``: they are replaced by a keyed-hash marker
(``"(secret:<hmac>)"``) and the clear values travel beside it in ``Resource.secrets``, which
is never serialized.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict

from reconciler.errors import SourceRange

LOCAL_HOST = "local"

# Spec fields left out of the spec hash: they change how we *talk* to the object,
# not what the object is (like Compose's config-hash, which ignores scale and deploy).
HASH_EXCLUDED_FIELDS: frozenset[str] = frozenset(
    {"shutdown_timeout", "startup_timeout", "stop_signal", "health", "labels"}
)


@dataclass(frozen=True, slots=True, order=True)
class Address:
    """Identity of a resource: ``kind.name`` plus ``@host`` when not local."""

    kind: str
    name: str
    host: str = LOCAL_HOST

    def __str__(self) -> str:
        base = f"{self.kind}.{self.name}"
        return base if self.host == LOCAL_HOST else f"{base}@{self.host}"

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parse ``kind.name[@host]``; raises ValueError on anything else."""
        body, _, host = text.partition("@")
        kind, dot, name = body.partition(".")
        if not dot or not kind or not name:
            raise ValueError(f"not a resource address: {text!r} (expected kind.name[@host])")
        return cls(kind, name, host or LOCAL_HOST)


class Condition(StrEnum):
    """Compose-style dependency conditions."""

    STARTED = "service_started"
    HEALTHY = "service_healthy"
    COMPLETED = "service_completed_successfully"


@dataclass(frozen=True, slots=True)
class Dependency:
    """``depends_on`` edge: wait for ``target`` to reach ``condition`` before starting."""

    target: Address
    condition: Condition = Condition.HEALTHY
    source: SourceRange | None = None


class ProbeKind(StrEnum):
    TCP = "tcp"
    HTTP = "http"
    COMMAND = "command"
    NOTIFY = "notify"  # sd_notify READY=1 on $NOTIFY_SOCKET
    DOCKER = "docker"  # the container engine's own HEALTHCHECK status


class HealthCheckJSON(TypedDict):
    """A :class:`HealthCheck` as JSON (plan documents, the engine's healthcheck)."""

    kind: str
    target: str
    interval: float
    timeout: float
    retries: int
    start_period: float


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """A readiness probe with its timing; times in seconds."""

    kind: ProbeKind
    target: str = ""  # tcp: "host:port"; http: URL; command: shell command line
    interval: float = 30.0
    timeout: float = 10.0
    retries: int = 3
    start_period: float = 0.0

    def to_json(self) -> HealthCheckJSON:
        return {"kind": self.kind.value, "target": self.target, "interval": self.interval,
                "timeout": self.timeout, "retries": self.retries,
                "start_period": self.start_period}


@dataclass(frozen=True, slots=True)
class Resource:
    """One desired object, normalized and ready to diff.

    ``spec`` keys per kind (all JSON-able; see docs/configuration.md):
      process / task: command (list[str] argv), cwd, env (dict), user, port (int | None),
                      stop_signal, shutdown_timeout, startup_timeout
    Other kinds define their own keys in their actuator module.
    """

    address: Address
    spec: Mapping[str, object]
    depends_on: tuple[Dependency, ...] = ()
    health: HealthCheck | None = None
    source: SourceRange | None = None
    secrets: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    protect: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    order: int = 0  # position in config source order; breaks ties in plans
    root: str = field(default="", compare=False, repr=False)  # the project dir (model/paths.py)
    adopt: str | None = None  # `adopt: {id: ...}`: the running object a plan takes over

    @property
    def kind(self) -> str:
        return self.address.kind

    @property
    def name(self) -> str:
        return self.address.name

    def hash(self) -> str:
        """The spec's hash, the same from every checkout (paths relative to the project)."""
        return spec_hash(self.portable_spec())

    def portable_spec(self) -> dict[str, Any]:
        """The spec as recorded: paths under the project root written ``{project}/...``."""
        from reconciler.model.paths import portable

        return dict(portable(dict(self.spec), self.root))


@dataclass(frozen=True, slots=True)
class DesiredState:
    """The merged desired state of a project (one session of it)."""

    project: str
    resources: Mapping[Address, Resource]
    session: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        """``project`` or ``project_session``: the name every owned object is marked with."""
        return f"{self.project}_{self.session}" if self.session else self.project

    def ordered(self) -> list[Resource]:
        return sorted(self.resources.values(), key=lambda r: (r.order, str(r.address)))


def canonical_json(value: object) -> str:
    """Canonical JSON: sorted keys, no whitespace; the input of every hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def spec_hash(spec: Mapping[str, object]) -> str:
    """SHA-256 of the canonical JSON of ``spec`` without :data:`HASH_EXCLUDED_FIELDS`."""
    kept = {k: v for k, v in spec.items() if k not in HASH_EXCLUDED_FIELDS}
    return hashlib.sha256(canonical_json(kept).encode()).hexdigest()
