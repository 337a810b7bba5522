"""The plan's directed graph: nodes and edges with attribute dicts, and the two walks a plan
needs (a cycle, the descendants of a node).

It offers the part of networkx's ``DiGraph`` the engine, the renderers and the tests use --
``graph.nodes[n]``, ``graph.edges[u, v]``, ``graph.edges(data=True)``, ``add_node``,
``add_edge``, ``predecessors``, ``successors``, ``in_edges``, ``in_degree``,
``remove_nodes_from``, ``copy``, ``graph.graph`` -- with the same insertion-ordered iteration.
Importing networkx cost about 80 ms of CPU (its ``__init__`` loads every algorithm and scans
the installed distributions for backends), some 40 % of the time from the CLI's start to the
first spawn of an apply (docs/benchmarks.md, Engine).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

Attrs = dict[str, Any]


class NodeView:
    """``graph.nodes``: iterate the nodes, ``graph.nodes[n]`` is ``n``'s attribute dict."""

    def __init__(self, nodes: dict[str, Attrs]):
        self._nodes = nodes

    def __getitem__(self, node: str) -> Attrs:
        return self._nodes[node]

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node: object) -> bool:
        return node in self._nodes


class EdgeView:
    """``graph.edges``: iterate ``(u, v)``, ``graph.edges[u, v]`` is the edge's attribute dict,
    ``graph.edges(data=True)`` gives ``(u, v, attrs)``."""

    def __init__(self, succ: dict[str, dict[str, Attrs]]):
        self._succ = succ

    def __getitem__(self, edge: tuple[str, str]) -> Attrs:
        return self._succ[edge[0]][edge[1]]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((u, v) for u, targets in self._succ.items() for v in targets)

    def __len__(self) -> int:
        return sum(len(targets) for targets in self._succ.values())

    def __contains__(self, edge: object) -> bool:
        if not isinstance(edge, tuple) or len(edge) != 2:
            return False
        return edge[1] in self._succ.get(edge[0], {})

    def __call__(self, *, data: bool = False) -> list[Any]:
        if data:
            return [(u, v, attrs) for u, targets in self._succ.items()
                    for v, attrs in targets.items()]
        return list(self)


class Dag:
    """A directed graph of ``str`` nodes (cycles are allowed; ``find_cycle`` finds one)."""

    def __init__(self) -> None:
        self._nodes: dict[str, Attrs] = {}
        self._succ: dict[str, dict[str, Attrs]] = {}
        self._pred: dict[str, dict[str, Attrs]] = {}
        self.graph: Attrs = {}

    @property
    def nodes(self) -> NodeView:
        return NodeView(self._nodes)

    @property
    def edges(self) -> EdgeView:
        return EdgeView(self._succ)

    def __contains__(self, node: object) -> bool:
        return node in self._nodes

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def add_node(self, node: str, **attrs: Any) -> None:
        if node not in self._nodes:
            self._nodes[node] = {}
            self._succ[node] = {}
            self._pred[node] = {}
        self._nodes[node].update(attrs)

    def add_edge(self, u: str, v: str, **attrs: Any) -> None:
        self.add_node(u)
        self.add_node(v)
        data = self._succ[u].get(v)
        if data is None:
            data = self._succ[u][v] = self._pred[v][u] = {}
        data.update(attrs)

    def predecessors(self, node: str) -> Iterator[str]:
        return iter(self._pred[node])

    def successors(self, node: str) -> Iterator[str]:
        return iter(self._succ[node])

    def in_edges(self, node: str) -> list[tuple[str, str]]:
        """The edges into ``node`` (none when it is not in the graph)."""
        return [(u, node) for u in self._pred.get(node, ())]

    def in_degree(self, node: str) -> int:
        return len(self._pred[node])

    def number_of_nodes(self) -> int:
        return len(self._nodes)

    def remove_nodes_from(self, nodes: Iterable[str]) -> None:
        for node in list(nodes):
            if node not in self._nodes:
                continue
            for v in self._succ.pop(node):
                del self._pred[v][node]
            for u in self._pred.pop(node):
                del self._succ[u][node]
            del self._nodes[node]

    def copy(self) -> Dag:
        """A new graph with copies of the attribute dicts (their values are shared)."""
        other = Dag()
        other.graph = dict(self.graph)
        for node, attrs in self._nodes.items():
            other.add_node(node, **attrs)
        for u, targets in self._succ.items():
            for v, attrs in targets.items():
                other.add_edge(u, v, **attrs)
        return other


def find_cycle(graph: Dag) -> list[tuple[str, str]] | None:
    """The edges of one cycle (depth first, in node order), or None when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in graph:
        if root in state:
            continue
        path: list[str] = [root]
        state[root] = 1
        stack: list[Iterator[str]] = [graph.successors(root)]
        while stack:
            node = next(stack[-1], None)
            if node is None:
                stack.pop()
                state[path.pop()] = 2
                continue
            if state.get(node) == 1:
                members = path[path.index(node):]
                return [(a, b) for a, b in zip(members, [*members[1:], node], strict=True)]
            if node not in state:
                state[node] = 1
                path.append(node)
                stack.append(graph.successors(node))
    return None


def descendants(graph: Dag, node: str) -> set[str]:
    """Every node reachable from ``node``, ``node`` itself excluded."""
    seen: set[str] = {node}
    stack = list(graph.successors(node))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(graph.successors(current))
    return seen - {node}
