"""The nodes of a Docker Swarm, by id: what ``reconciler status`` names a task's node by.

:func:`node_names` makes ONE node list call to a cluster's manager and returns each node's
display name: its hostname, or ``hostname@address`` where several nodes share a hostname (as
engines in network namespaces of one machine do). Errors map through ``engine_errors``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from reconciler.transports.docker.swarm import api, engine_errors


def display_names(nodes: list[Mapping[str, Any]]) -> dict[str, str]:
    """node id -> hostname (``hostname@address`` when the hostname is not unique). Pure."""
    hosts = {str(n.get("ID")): str(((n.get("Description") or {}).get("Hostname")) or "")
             for n in nodes}
    counts = Counter(hosts.values())
    out = {}
    for node in nodes:
        node_id = str(node.get("ID"))
        host = hosts[node_id] or node_id[:12]
        address = str((node.get("Status") or {}).get("Addr") or "")
        out[node_id] = f"{host}@{address}" if counts[hosts[node_id]] > 1 and address else host
    return out


def node_names(url: str | None) -> dict[str, str]:
    """The display names of the swarm's nodes, asked of the manager at ``url``."""
    client = api(url)
    try:
        with engine_errors(url, "listing nodes"):
            nodes: list[Mapping[str, Any]] = client.nodes()
    finally:
        client.close()
    return display_names(nodes)
