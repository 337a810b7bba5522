"""Which keys each service type accepts and requires, per format (plain data, no imports).

The JSON Schemas describe every key a service may have; these tables say which of them make
sense for a given ``type``. ``reconciler.validate.checker`` reports a key outside its type's set as
an
error, a missing required key as an error, and the keys in ``*_WARNED`` as warnings.
"""

from __future__ import annotations

NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]*$"

SERVICE_COMMON = frozenset({
    "type", "target", "description", "network", "env", "dependencies", "depends_on",
    "health_check", "startup_timeout", "shutdown_timeout", "protect", "labels",
})
# docker keys that only mean something with `cluster:` (a swarm service)
SWARM_KEYS = frozenset({"cluster", "replicas", "constraints", "publish_mode", "update"})
TARGET_KEYS: dict[str, frozenset[str]] = {
    "process": frozenset({"host", "binary", "args", "working_dir", "user", "command", "port",
                          "stop_signal"}),
    "docker": frozenset({"host", "image", "ports", "volumes", "command", "entrypoint", "port",
                         "stop_signal", "restart", "init", "cpus", "memory", "pull",
                         "networks", *SWARM_KEYS}),
    "remote": frozenset({"host", "binary", "args", "working_dir", "user", "command", "port",
                         "stop_signal"}),
    "package": frozenset({"host", "package", "version", "install_path"}),
    "compose": frozenset({"files", "profiles", "env_file", "project_name"}),
    "file": frozenset({"host", "path", "content", "source", "mode", "owner"}),
}
ALL_TARGET_KEYS = frozenset().union(*TARGET_KEYS.values())
# Alternatives: at least one key of each tuple must be present.
TARGET_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "process": (("binary", "command"),),
    "docker": (("image",),),
    "remote": (("host",), ("binary", "command")),
    "package": (("host",), ("package",), ("install_path",)),
    "compose": (),  # without `files`: the compose.yaml (+ override) of the project dir
    "file": (("path",), ("content", "source")),
}
TASK_TYPES = frozenset({"process", "docker", "remote"})

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
