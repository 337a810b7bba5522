"""The swarm side of ``reconciler status``: per swarm service, desired and running tasks and
the nodes they run on.

The counts and node ids come from the facts the ``swarm_service`` actuator's observe already
collected (one service list and one task list per cluster); the node ids are named with ONE
node list per cluster manager (``transports.docker.swarm_nodes``). A manager that does not
answer leaves the short node ids: status never fails on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.model.changes import Observed
from reconciler.transports.docker.swarm_nodes import node_names

KIND = "swarm_service"


def add_tasks(rows: list[dict[str, Any]], observed: Mapping[Any, Observed],
              addresses: list[Any]) -> None:
    """Add ``replicas``, ``running`` and ``nodes`` to the rows of swarm services (in place),
    and a ``N/M tasks on NODES`` detail where the row has none (after watch's restart note,
    which says what watch did, not where the tasks run)."""
    names: dict[str | None, dict[str, str]] = {}
    for line, address in zip(rows, addresses, strict=True):
        seen = observed.get(address)
        if line.get("kind") != KIND or seen is None:
            continue
        url = seen.facts.get("docker_host")
        url = str(url) if url else None
        if url not in names:
            names[url] = _names(url)
        ids = [str(n) for n in seen.facts.get("nodes") or []]
        line["replicas"] = seen.facts.get("replicas")
        line["running"] = seen.facts.get("running")
        line["nodes"] = sorted(names[url].get(n, n[:12]) for n in ids)
        detail = line.get("detail") or ""
        line["detail"] = (f"{detail}; {task_detail(line)}" if "watch" in line and detail
                          else detail or task_detail(line))


def task_detail(line: Mapping[str, Any]) -> str:
    """``2/3 tasks on node-a, node-b`` (pure)."""
    nodes = ", ".join(line.get("nodes") or [])
    text = f"{line.get('running')}/{line.get('replicas')} tasks"
    return f"{text} on {nodes}" if nodes else text


def _names(url: str | None) -> dict[str, str]:
    try:
        return node_names(url)
    except ReconcilerError:
        return {}
