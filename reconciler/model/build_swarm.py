"""services.yaml -> the spec of a swarm service (a ``type: docker`` service with ``cluster:``).

``clusters:`` names the cluster engines (``NAME: {type: swarm, docker_host: URL}``; without a
``docker_host`` the local engine). A docker service that names one of them becomes a
``swarm_service`` resource whose spec holds everything the actuator sends to the manager:
image, command, env, replicas, ``init``, placement constraints, published ports with their mode, the
restart policy (the ``restart:`` words mapped onto swarm's conditions), the update config, and
the docker keys :mod:`.build_swarm_keys` maps (limits, health check, entrypoint, volumes,
networks; only when given).
Pure: no I/O.
"""

from __future__ import annotations

from reconciler.config.raw import as_dict, as_list
from reconciler.config.rules import SWARM_KEYS
from reconciler.errors import Diagnostic, error
from reconciler.model.build_draft import Draft, argv, parse_ports
from reconciler.model.build_swarm_keys import docker_keys

SWARM_KIND = "swarm_service"
# restart: (the container words) -> swarm restart condition
_CONDITIONS = {"no": "none", "always": "any", "unless-stopped": "any", "on-failure": "on-failure"}
UPDATE_DEFAULTS: dict[str, object] = {"parallelism": 1, "delay": 0.0, "failure_action": "pause",
                                   "order": "stop-first"}


def clusters_of(data: dict[str, object]) -> dict[str, dict[str, object]]:
    """The ``clusters:`` section of a services document: name -> its body."""
    return {str(k): v for k, v in as_dict(data.get("clusters")).items() if isinstance(v, dict)}


def misplaced_swarm_keys(draft: Draft, target: dict[str, object]) -> list[Diagnostic]:
    """Swarm-only keys on a docker service without ``cluster:`` (they would do nothing)."""
    return [error(f"'{key}' of '{draft.name}' needs `cluster:` (it applies to swarm services)",
                  draft.where(key), hint="add `cluster: NAME` or remove the key")
            for key in sorted(SWARM_KEYS - {"cluster"}) if target.get(key) is not None]


def swarm_spec(draft: Draft, section: str, target: dict[str, object],
               clusters: dict[str, dict[str, object]],
               problems: list[Diagnostic], health: object = None) -> dict[str, object]:
    """The ``swarm_service`` spec of one service entry (problems appended to ``problems``);
    ``health`` is the entry's ``health_check`` (see :mod:`.build_swarm_keys`)."""
    name = str(target.get("cluster"))
    if section == "tasks":
        problems.append(error(f"task '{draft.name}' cannot run on cluster {name!r}",
                              draft.where("cluster"), hint="make it a service"))
    cluster = clusters.get(name)
    if cluster is None:
        known = ", ".join(sorted(clusters)) or "none declared"
        problems.append(error(f"service '{draft.name}' names unknown cluster {name!r}",
                              draft.where("cluster"),
                              hint=f"declare it under `clusters:` (known: {known})"))
    host = (cluster or {}).get("docker_host")
    mappings, bad = parse_ports(draft, target.get("ports"))
    problems.extend(bad)
    mode = str(target.get("publish_mode") or "ingress")
    ports = [{"target": m["container"], "published": m["host"] or m["container"],
              "protocol": m.get("protocol", "tcp"), "mode": mode} for m in mappings]
    replicas = target.get("replicas")
    per_node = _count(target.get("max_replicas_per_node"))
    optional = docker_keys(draft, target, health, problems)
    return ({"max_replicas_per_node": per_node} if per_node else {}) | optional | {
        "cluster": name,
        "docker_host": str(host) if host else None,
        "image": str(target.get("image") or ""),
        "command": argv(target.get("command")),
        "env": {},
        "replicas": replicas if isinstance(replicas, int) and replicas >= 0 else 1,
        "constraints": sorted(str(c) for c in as_list(target.get("constraints"))),
        "ports": ports,
        "restart": _restart(target.get("restart")),
        "update": {**UPDATE_DEFAULTS, **{k: v for k, v in as_dict(target.get("update")).items()
                                          if v is not None}},
        "labels": dict(draft.labels),
        "init": target.get("init") is True,
    }


def _count(raw: object) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else 0


def _restart(raw: object) -> dict[str, object]:
    word, _, retries = str(raw or "always").partition(":")
    return {"condition": _CONDITIONS.get(word, "any"),
            "max_attempts": int(retries) if retries.isdigit() else 0}
