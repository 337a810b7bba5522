"""reconciler/engine/plan/dag.py: the plan's graph (what it used networkx's DiGraph for)."""

from __future__ import annotations

from reconciler.engine.plan.dag import Dag, descendants, find_cycle


def chain() -> Dag:
    graph = Dag()
    graph.add_node("c", change="C")
    graph.add_edge("a", "b", kind="depends_on", condition="service_started")
    graph.add_edge("b", "c", kind="host")
    graph.add_edge("a", "c", kind="delete")
    return graph


def test_nodes_and_edges_keep_insertion_order_and_attributes() -> None:
    graph = chain()
    assert list(graph.nodes) == ["c", "a", "b"] and len(graph) == 3 and "a" in graph
    assert graph.nodes["c"] == {"change": "C"} and graph.nodes["a"] == {}
    assert list(graph.edges) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert graph.edges["a", "b"] == {"kind": "depends_on", "condition": "service_started"}
    assert graph.edges(data=True)[0] == ("a", "b", graph.edges["a", "b"])
    assert ("b", "c") in graph.edges and ("c", "b") not in graph.edges
    assert list(graph.predecessors("c")) == ["b", "a"] and list(graph.successors("a")) == \
        ["b", "c"]
    assert graph.in_degree("c") == 2 and graph.in_edges("c") == [("b", "c"), ("a", "c")]
    assert graph.in_edges("missing") == []
    graph.add_edge("a", "b", kind="other")  # the same edge again: its attributes are updated
    assert graph.edges["a", "b"]["kind"] == "other" and len(graph.edges) == 3


def test_remove_nodes_drops_their_edges_and_a_copy_is_independent() -> None:
    graph = chain()
    copy = graph.copy()
    copy.remove_nodes_from(["b", "missing"])
    assert list(copy.nodes) == ["c", "a"] and list(copy.edges) == [("a", "c")]
    assert list(copy.predecessors("c")) == ["a"]
    assert list(graph.edges) == [("a", "b"), ("a", "c"), ("b", "c")]  # the original keeps all
    copy.nodes["c"]["change"] = "changed"
    assert graph.nodes["c"]["change"] == "C"
    assert copy.number_of_nodes() == 2 and graph.number_of_nodes() == 3


def test_find_cycle_returns_the_edges_of_one_cycle_or_none() -> None:
    graph = chain()
    assert find_cycle(graph) is None
    graph.add_edge("c", "x")
    graph.add_edge("x", "b")
    cycle = find_cycle(graph)
    assert cycle is not None and sorted(cycle) == [("b", "c"), ("c", "x"), ("x", "b")]
    assert all(v == cycle[(i + 1) % len(cycle)][0] for i, (_u, v) in enumerate(cycle))
    loop = Dag()
    loop.add_edge("self", "self")
    assert find_cycle(loop) == [("self", "self")]


def test_descendants_are_everything_reachable_but_the_node() -> None:
    graph = chain()
    assert descendants(graph, "a") == {"b", "c"} and descendants(graph, "c") == set()
    graph.add_edge("c", "a")
    assert descendants(graph, "b") == {"a", "c"}
