"""One Compose service's keys -> the spec of a swarm service (what ``docker stack deploy`` reads).

:func:`swarm_fields` maps a merged, interpolated Compose definition onto the ``swarm_service``
spec fields (image, command, entrypoint, ports with their mode, ``deploy.*``, healthcheck,
stop_signal, init, labels, named volumes, overlay networks), naming volumes and networks as
``docker stack deploy`` does (``<project>_<name>``, unless declared ``external`` or with a
``name``). What a swarm service cannot do is an error at the key's file:line:col in the Compose
file, with a hint: an unknown key (``build``, ``privileged``, ...), a bind mount, a port on a
host address, global mode, and the ``deploy`` keys swarm's spec here has no field for.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.config.raw import as_dict, as_list
from reconciler.config.rules import normalize_signal
from reconciler.errors import Diagnostic, SourceRange, error
from reconciler.model.build_draft import argv
from reconciler.model.build_swarm import UPDATE_DEFAULTS
from reconciler.model.build_swarm_keys import NANO, memory_bytes
from reconciler.model.compose import seconds

Where = Callable[..., SourceRange]  # a key path under the service -> its position
# keys a swarm service maps (env_file and environment are read by the caller)
MAPPED = frozenset({"image", "command", "entrypoint", "environment", "env_file", "ports",
                    "deploy", "healthcheck", "stop_signal", "volumes", "networks",
                    "depends_on", "init", "labels", "restart", "profiles", "expose"})
_HINTS = {"build": "build and push the image first, then name it in `image:` (every node "
                   "pulls it)",
          "secrets": "pass secret values through `environment:` (secret-named variables "
                     "become swarm secrets)",
          "container_name": "a swarm service is named <project>_<entry>_<service>: remove it"}
_DEPLOY = {"replicas", "mode", "placement", "update_config", "resources", "restart_policy",
           "labels"}
_SUBKEYS = {"placement": {"constraints", "max_replicas_per_node"},
            "update_config": {"parallelism", "delay", "failure_action", "order"},
            "resources": {"limits"}, "restart_policy": {"condition", "max_attempts"}}
_WORDS = (("restart_policy", "condition", ("none", "on-failure", "any")),
          ("update_config", "failure_action", ("pause", "continue", "rollback")),
          ("update_config", "order", ("stop-first", "start-first")))
_PORT = re.compile(r"^(?:(?P<ip>[0-9]+(?:\.[0-9]+){3}|\[[0-9a-f:]+\]):)?(?:(?P<published>\d+):)?"
                   r"(?P<target>\d+)(?:/(?P<proto>tcp|udp))?$")
_RESTART = {"no": "none", "always": "any", "unless-stopped": "any", "on-failure": "on-failure"}


def refusals(svc: str, definition: Mapping[str, Any], where: Where) -> list[Diagnostic]:
    """An error per Compose key (or ``deploy`` key) a swarm service has no field for."""
    found = [error(f"Compose key '{key}' of service '{svc}' does not map to a swarm service",
                   where(key), hint=_HINTS.get(key, "remove it, or deploy the file without "
                                                    "`cluster:` (as a local Compose project)"))
             for key in definition if key not in MAPPED and not key.startswith("x-")]
    deploy = as_dict(definition.get("deploy"))
    for key, value in deploy.items():
        subkeys = _SUBKEYS.get(key)
        if key not in _DEPLOY:
            found.append(error(f"'deploy.{key}' of service '{svc}' is not supported on a "
                               "cluster", where("deploy", key), hint="remove it"))
        elif subkeys is not None:
            found.extend(error(f"'deploy.{key}.{sub}' of service '{svc}' is not supported "
                               "on a cluster", where("deploy", key, sub),
                               hint="supported: " + ", ".join(sorted(subkeys)))
                         for sub in as_dict(value) if sub not in subkeys)
    for key, sub, allowed in _WORDS:
        value = as_dict(deploy.get(key)).get(sub)
        if value is not None and value not in allowed:
            found.append(error(f"service '{svc}': deploy.{key}.{sub} {value!r} is not one of "
                               + ", ".join(allowed), where("deploy", key, sub),
                               hint=f"use one of {', '.join(allowed)}"))
    if deploy.get("mode") not in (None, "replicated"):
        found.append(error(f"service '{svc}': deploy.mode {deploy['mode']!r} is not supported",
                           where("deploy", "mode"),
                           hint="use replicated mode with `deploy.replicas`"))
    return found


def swarm_fields(svc: str, definition: Mapping[str, Any], project: str,
                 top: Mapping[str, Any], raw_ports: list[object], where: Where,
                 problems: list[Diagnostic]) -> dict[str, object]:
    """The swarm spec fields of Compose service ``svc`` (``top``: the file's top level, for
    ``volumes:``/``networks:`` declarations; ``raw_ports``: the long-form ports, for their
    ``mode``). Optional fields are only there when given."""
    deploy = as_dict(definition.get("deploy"))
    placement = as_dict(deploy.get("placement"))
    out: dict[str, object] = {}
    per_node = placement.get("max_replicas_per_node")
    if isinstance(per_node, int) and not isinstance(per_node, bool) and per_node > 0:
        out["max_replicas_per_node"] = per_node
    limits = _limits(as_dict(as_dict(deploy.get("resources")).get("limits")))
    if limits:
        out["limits"] = limits
    entrypoint = argv(definition.get("entrypoint"))
    if entrypoint:
        out["entrypoint"] = entrypoint
    mounts = _mounts(svc, definition.get("volumes"), project, as_dict(top.get("volumes")),
                     where, problems)
    if mounts:
        out["mounts"] = mounts
    signal = normalize_signal(str(definition["stop_signal"])) \
        if definition.get("stop_signal") else None
    if signal:
        out["stop_signal"] = signal
    check = _healthcheck(as_dict(definition.get("healthcheck")))
    if check:
        out["healthcheck"] = check
    replicas = deploy.get("replicas", 1)
    update = {k: v for k, v in as_dict(deploy.get("update_config")).items()
              if k in UPDATE_DEFAULTS and v is not None}
    if "delay" in update:
        update["delay"] = seconds(update["delay"], 0.0)
    labels = {**as_dict(definition.get("labels")), **_pairs(deploy.get("labels"))}
    return out | {
        "image": str(definition.get("image") or ""),
        "command": argv(definition.get("command")),
        "replicas": replicas if isinstance(replicas, int) and replicas >= 0 else 1,
        "constraints": sorted(str(c) for c in as_list(placement.get("constraints"))),
        "ports": _ports(svc, definition.get("ports"), raw_ports, where, problems),
        "restart": _restart(definition, deploy),
        "update": {**UPDATE_DEFAULTS, **update},
        "labels": {str(k): str(v) for k, v in labels.items()},
        "init": definition.get("init") is True,
        "networks": _networks(definition.get("networks"), project,
                              as_dict(top.get("networks"))),
    }


def _pairs(raw: object) -> dict[str, object]:
    if isinstance(raw, list):
        return {str(i).partition("=")[0]: str(i).partition("=")[2] for i in raw}
    return as_dict(raw)


def _declared(name: str, project: str, declared: Mapping[str, Any]) -> str:
    """The swarm name of a Compose volume or network (``<project>_<name>`` by default)."""
    body = as_dict(declared.get(name))
    if body.get("name"):
        return str(body["name"])
    return name if body.get("external") in (True, "true") else f"{project}_{name}"


def _networks(raw: object, project: str, declared: Mapping[str, Any]) -> list[str]:
    names = list(raw) if isinstance(raw, dict) else [str(n) for n in as_list(raw)]
    return sorted({_declared(str(n), project, declared) for n in names or ["default"]})


def _limits(raw: Mapping[str, Any]) -> dict[str, int]:
    limits: dict[str, int] = {}
    try:
        cpus = float(raw["cpus"]) if raw.get("cpus") is not None else 0.0
    except (TypeError, ValueError):
        cpus = 0.0
    if cpus > 0:
        limits["nano_cpus"] = round(cpus * NANO)
    memory = memory_bytes(raw.get("memory"))
    if memory:
        limits["memory_bytes"] = memory
    return limits


def _ports(svc: str, raw: object, raw_ports: list[object], where: Where,
           problems: list[Diagnostic]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for index, item in enumerate(as_list(raw)):
        found = _PORT.match(str(item).strip())
        if found is None or found["ip"] or not found["published"]:
            problems.append(error(
                f"port {str(item)!r} of service '{svc}' cannot be published by a cluster",
                where("ports", index), hint="write 'PUBLISHED:TARGET[/udp]' (a swarm "
                "publishes on every node, or on each task's node in host mode; no host "
                "address, no random port)"))
            continue
        long = as_dict(raw_ports[index]) if index < len(raw_ports) else {}
        mode = "host" if long.get("mode") == "host" else "ingress"
        out.append({"target": int(found["target"]), "published": int(found["published"]),
                    "protocol": found["proto"] or "tcp", "mode": mode})
    return out


def _mounts(svc: str, raw: object, project: str, declared: Mapping[str, Any], where: Where,
            problems: list[Diagnostic]) -> list[dict[str, object]]:
    """Named volumes (short or long form) as swarm volume mounts; anything else is refused."""
    out: list[dict[str, object]] = []
    for index, item in enumerate(as_list(raw)):
        if isinstance(item, dict):
            kind, source = str(item.get("type", "volume")), str(item.get("source") or "")
            target, read_only = str(item.get("target") or ""), item.get("read_only") is True
        else:
            source, _, rest = str(item).partition(":")
            target, _, mode = rest.partition(":")
            kind, read_only = "volume", "ro" in mode.split(",")
            if source.startswith(("/", ".", "~")):
                kind = "bind"
        if kind != "volume" or not source or not target:
            problems.append(error(
                f"volume {str(item)!r} of service '{svc}' is not a named volume; a cluster "
                "service cannot bind a path (a path on the manager is not a path on every "
                "node)", where("volumes", index),
                hint="use a named volume (`data:/var/lib/data`)"))
            continue
        out.append({"source": _declared(source, project, declared), "target": target,
                    "read_only": read_only})
    return out


def _healthcheck(raw: Mapping[str, Any]) -> dict[str, object] | None:
    test = raw.get("test")
    if raw.get("disable") is True or not test or test in ("NONE", ["NONE"]):
        return None
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    return {"test": [str(t) for t in test],
            "interval": int(seconds(raw.get("interval"), 30.0) * NANO),
            "timeout": int(seconds(raw.get("timeout"), 30.0) * NANO),
            "retries": int(raw.get("retries") or 3),
            "start_period": int(seconds(raw.get("start_period"), 0.0) * NANO)}


def _restart(definition: Mapping[str, Any], deploy: Mapping[str, Any]) -> dict[str, object]:
    policy = as_dict(deploy.get("restart_policy"))
    if policy:
        attempts = policy.get("max_attempts")
        return {"condition": str(policy.get("condition") or "any"),
                "max_attempts": attempts if isinstance(attempts, int) else 0}
    word, _, retries = str(definition.get("restart") or "always").partition(":")
    return {"condition": _RESTART.get(word, "any"),
            "max_attempts": int(retries) if retries.isdigit() else 0}
