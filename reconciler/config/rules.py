"""Which keys each service type accepts and requires, per format (plain data).

The JSON Schemas describe every key a service may have; these tables say which of them make
sense for a given ``type``. ``reconciler.validate.checker`` reports a key outside its type's set as
an error and a missing required key as an error. The services.yaml tables (``TARGET_KEYS``,
``TARGET_REQUIRED``, ``TASK_TYPES``) are not written here: ``config/kind_rules.py`` is generated
from the schema models the kinds name (``scripts/gen_schemas.py``); locald.toml's are below.
"""

from __future__ import annotations

from reconciler.config.kind_rules import TARGET_KEYS, TARGET_REQUIRED, TASK_TYPES

__all__ = [
    "ALL_TARGET_KEYS",
    "LOCALD_REQUIRED",
    "LOCALD_TYPE_KEYS",
    "NAME_PATTERN",
    "SERVICE_COMMON",
    "SIGNALS",
    "TARGET_KEYS",
    "TARGET_REQUIRED",
    "TASK_TYPES",
    "normalize_signal",
]

NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]*$"

SERVICE_COMMON = frozenset({
    "type", "target", "description", "network", "env", "dependencies", "depends_on",
    "health_check", "startup_timeout", "shutdown_timeout", "protect", "labels",
})
# docker keys that only mean something with `cluster:` (a swarm service)
SWARM_KEYS = frozenset({"cluster", "replicas", "constraints", "max_replicas_per_node",
                        "publish_mode", "update"})
ALL_TARGET_KEYS = frozenset().union(*TARGET_KEYS.values())

LOCALD_TYPE_KEYS: dict[str, frozenset[str]] = {
    "exec": frozenset({"command", "workdir", "port", "env", "depends_on", "health_check",
                       "stop_signal", "image", "container_port", "build"}),
    "worker": frozenset({"command", "workdir", "port", "env", "depends_on", "health_check",
                         "stop_signal", "build"}),
    "container": frozenset({"image", "port", "container_port", "env", "depends_on",
                            "health_check", "volumes", "command", "stop_signal"}),
    "postgres": frozenset({"version", "port", "depends_on"}),
    "site": frozenset({"path", "port", "depends_on", "health_check"}),
}
LOCALD_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "exec": (("command", "image"),),
    "worker": (("command",),),
    "container": (("image",),),
    "postgres": (),
    "site": (("path",),),
}

SIGNALS = frozenset({
    "SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGWINCH",
})


def normalize_signal(name: str) -> str | None:
    """``"int"``, ``"SIGINT"`` -> ``"SIGINT"``; None when it is not a known stop signal."""
    upper = name.strip().upper()
    full = upper if upper.startswith("SIG") else "SIG" + upper
    return full if full in SIGNALS else None
