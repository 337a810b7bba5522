"""The :class:`Plan` value: every change in source order plus the DAG of the actionable ones.

Edges of ``Plan.graph`` run from what must finish first to what may start after it; each node
carries its :class:`~reconciler.model.changes.Change` as the ``change`` attribute and each edge a
``kind`` (``depends_on``, ``host``, ``wireguard``, ``compose`` or ``delete``) and, for
``depends_on`` edges, the compose-style ``condition``. :meth:`Plan.order` is the one
deterministic topological order (ties broken by config source order) every renderer uses.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler.model.changes import Action, Change
from reconciler.model.types import DesiredState, canonical_json

if TYPE_CHECKING:
    import networkx as nx

FORMAT_VERSION = 1

SUMMARY_KEYS = {Action.CREATE: "create", Action.UPDATE: "update", Action.REPLACE: "replace",
                Action.DELETE: "delete"}


@dataclass(frozen=True, eq=False)
class Plan:
    """What apply will do, and in which order.

    ``depends`` maps every address (``str``) to the addresses it depends on (configured
    ``depends_on`` for desired resources, recorded dependencies for orphans); the condition of
    each planned dependency edge is the edge's ``condition`` attribute.

    ``dag`` is None when there is nothing to do: a no-op plan never imports networkx (about
    70 ms of a CLI run); :attr:`graph` then makes an empty DiGraph on first use.
    """

    project: str
    scope: str
    changes: tuple[Change, ...]
    dag: nx.DiGraph[str] | None = None
    depends: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    created_at: float = 0.0
    inputs_hash: str = ""
    targets: tuple[str, ...] = ()

    @property
    def graph(self) -> nx.DiGraph[str]:
        """The DAG of actionable changes (empty when there are none)."""
        if self.dag is not None:
            return self.dag
        import networkx as nx

        graph: nx.DiGraph[str] = nx.DiGraph()
        object.__setattr__(self, "dag", graph)
        return graph

    def actionable(self) -> list[Change]:
        """The changes apply carries out (the graph's nodes), in source order."""
        if self.dag is None:
            return []
        return [c for c in self.changes if str(c.address) in self.dag]

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(SUMMARY_KEYS.values(), 0)
        for change in self.actionable():
            key = SUMMARY_KEYS.get(change.action)
            if key is not None:
                counts[key] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return self.dag is not None and self.dag.number_of_nodes() > 0

    def change(self, address: str) -> Change | None:
        """The change for ``address`` (planned or no-op), or None."""
        for change in self.changes:
            if str(change.address) == address:
                return change
        return None

    def order(self) -> list[str]:
        """A deterministic topological order of the graph; ties by config source order."""
        graph = self.dag
        if graph is None:
            return []
        rank = {n: (graph.nodes[n]["change"].order, n) for n in graph.nodes}
        waiting = {n: graph.in_degree(n) for n in graph.nodes}
        ready = [rank[n] for n, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        result: list[str] = []
        while ready:
            _, node = heapq.heappop(ready)
            result.append(node)
            for successor in graph.successors(node):
                waiting[successor] -= 1
                if waiting[successor] == 0:
                    heapq.heappush(ready, rank[successor])
        return result

    def edges(self) -> list[tuple[str, str, dict[str, object]]]:
        """Edges sorted by the position of their ends in :meth:`order`."""
        if self.dag is None:
            return []
        position = {n: i for i, n in enumerate(self.order())}
        found = [(u, v, dict(data)) for u, v, data in self.graph.edges(data=True)]
        return sorted(found, key=lambda e: (position.get(e[0], 0), position.get(e[1], 0)))


def inputs_hash(desired: DesiredState, observed_hashes: Mapping[str, str],
                changes: Sequence[Change], targets: Sequence[str]) -> str:
    """SHA-256 over the desired specs, the observed hashes and the planned actions.

    A saved plan is stale when a fresh plan of the same targets hashes differently: the
    configuration, the world or the recorded state moved since it was made.
    """
    document = {
        "scope": desired.scope,
        "desired": {str(a): dict(r.spec) for a, r in desired.resources.items()},
        "depends": {str(a): sorted(f"{d.target}:{d.condition.value}" for d in r.depends_on)
                    for a, r in desired.resources.items()},
        "observed": dict(observed_hashes),
        "actions": {str(c.address): c.action.value for c in changes},
        "targets": sorted(targets),
    }
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()
