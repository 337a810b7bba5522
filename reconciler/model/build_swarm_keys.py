"""The docker keys of a swarm service that map onto swarm's own fields, or are refused.

``cpus``/``memory`` become the task's resource limits (``nano_cpus``, ``memory_bytes``),
``health_check`` the container's Healthcheck (``command``: a CMD probe; ``http``: a
``wget``-or-``curl`` CMD-SHELL probe run inside each task; times in nanoseconds),
``entrypoint`` the container's Command (``command`` stays its Args), named ``volumes`` swarm
volume mounts, ``networks`` the overlay networks the service joins and ``stop_signal`` the
container's StopSignal. Every key is left out
of the spec when it is not given, so the spec hash of a service that does not use it stays
the same. What has no meaning on a cluster (a bind mount, a tcp check, ``host``, ``adopt``,
``pull``) is an error at its place with a hint. Pure: no I/O.
"""

from __future__ import annotations

import re
import shlex

from reconciler.config.raw import as_dict, as_list
from reconciler.config.rules import normalize_signal
from reconciler.errors import Diagnostic, error
from reconciler.model.build_draft import Draft, argv, number, stringify

NANO = 1_000_000_000
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([kmg]?)b?$")
_REFUSED = {"host": "a cluster places its tasks itself: use `constraints`",
            "adopt": "swarm services cannot be adopted: remove `adopt`",
            "pull": "swarm nodes pull the image themselves: remove `pull`",
            "port": "publish the service with `ports:` (a cluster does not pick a host port)"}


def memory_bytes(raw: object) -> int | None:
    """``512m``, ``1.5g``, ``1gb`` or a number of bytes -> bytes (binary units, as docker)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if raw > 0 else None
    found = _SIZE.match(str(raw).strip().lower()) if isinstance(raw, str) else None
    return int(float(found[1]) * _UNITS[found[2]]) if found else None


def docker_keys(draft: Draft, target: dict[str, object], health: object,
                problems: list[Diagnostic]) -> dict[str, object]:
    """The optional swarm spec fields of one service (only those given)."""
    out: dict[str, object] = {}
    problems.extend(error(f"'{key}' of '{draft.name}' does not apply to a cluster service",
                          draft.where(key), hint=hint)
                    for key, hint in _REFUSED.items() if target.get(key) is not None)
    cpus = target.get("cpus")
    limits: dict[str, int] = {}
    if isinstance(cpus, int | float) and not isinstance(cpus, bool) and cpus > 0:
        limits["nano_cpus"] = round(float(cpus) * NANO)
    memory = memory_bytes(target.get("memory"))
    if memory:
        limits["memory_bytes"] = memory
    if limits:
        out["limits"] = limits
    entrypoint = argv(target.get("entrypoint"))
    if entrypoint:
        out["entrypoint"] = entrypoint
    mounts = _mounts(draft, target.get("volumes"), problems)
    if mounts:
        out["mounts"] = mounts
    networks = sorted({str(n) for n in as_list(target.get("networks")) if n})
    if networks:
        out["networks"] = networks
    signal = normalize_signal(str(target["stop_signal"])) if target.get("stop_signal") else None
    if signal:
        out["stop_signal"] = signal
    check = _healthcheck(draft, health, problems)
    if check:
        out["healthcheck"] = check
    return out


def _mounts(draft: Draft, raw: object, problems: list[Diagnostic]) -> list[dict[str, object]]:
    """Named volumes ``name:/path[:ro]`` as swarm volume mounts; a bind mount is refused."""
    out: list[dict[str, object]] = []
    for index, item in enumerate(as_list(raw)):
        source, _, rest = str(item).partition(":")
        path, _, mode = rest.partition(":")
        if source.startswith(("/", ".", "~")) or not path:
            problems.append(error(
                f"volume {str(item)!r} of '{draft.name}' is a bind mount; a cluster service "
                "cannot bind a path (a path on the manager is not a path on every node)",
                draft.where("volumes", index),
                hint="use a named volume (`data:/var/lib/data`), or a swarm config/secret "
                "for files"))
            continue
        out.append({"source": source, "target": path, "read_only": mode == "ro"})
    return out


def _healthcheck(draft: Draft, raw: object,
                 problems: list[Diagnostic]) -> dict[str, object] | None:
    """``health_check`` as the container spec's Healthcheck (probed inside each task)."""
    if not isinstance(raw, dict):
        return None
    if raw.get("command"):
        test = ["CMD", str(raw["command"]), *(stringify(a) for a in as_list(raw.get("args")))]
    elif raw.get("http"):
        url = shlex.quote(str(raw["http"]))
        test = ["CMD-SHELL", f"wget -q -O /dev/null {url} || curl -fsS -o /dev/null {url}"]
    else:
        if raw.get("tcp") is not None:
            problems.append(error(f"a tcp health_check of '{draft.name}' cannot run in a "
                                  "cluster task", draft.where("health_check", "tcp"),
                                  hint="use `command:` (e.g. nc -z 127.0.0.1 PORT) or `http:`"))
        return None
    timing = as_dict(raw)
    return {"test": test,
            "interval": int(number(timing.get("interval"), 30.0) * NANO),
            "timeout": int(number(timing.get("timeout"), 10.0) * NANO),
            "retries": int(number(timing.get("retries"), 3)),
            "start_period": int(number(timing.get("start_period"), 0.0) * NANO)}
