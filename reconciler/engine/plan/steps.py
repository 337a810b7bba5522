"""Stage 6, plan: changes -> :class:`~reconciler.engine.plan.core.Plan`, through named build steps.

Pure. :data:`STEPS` is the ordered list of steps; each takes the graph under construction and
the :class:`PlanInputs`, and returns the graph:

1. ``nodes``: one node per non-noop change (no-ops stay in ``Plan.changes`` for rendering);
2. ``explicit_edges``: configured ``depends_on``, dependency before dependant, between
   non-delete nodes (a replaced dependency does not force its running dependants to restart);
3. ``implicit_edges``: ``host.H`` before anything placed on host ``H``; a ``wireguard`` network
   before what uses it (``spec.network``) on the same host; a ``compose.P`` project before its
   services ``compose.P.S`` (and whatever names it in ``spec.compose_project``) -- only when
   such kinds are planned;
4. ``delete_edges``: dependants deleted before their dependencies are deleted or replaced
   (recorded dependencies for orphans), and things on a host / in a project deleted before it;
5. ``targets``: with ``--target``, only the targets plus what they need;
6. ``cycle_check``: a cycle is a PlanError naming every node on it with its file:line.

Ties break by config source order, so the same inputs give the same plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.engine.plan.core import Plan, inputs_hash
from reconciler.errors import PlanError
from reconciler.model.changes import Action, Change
from reconciler.model.types import Address, DesiredState

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class PlanInputs:
    """Everything the build steps read."""

    changes: tuple[Change, ...]
    desired: DesiredState
    depends: Mapping[str, tuple[str, ...]]
    targets: tuple[str, ...] = ()

    def by_address(self) -> dict[str, Change]:
        return {str(c.address): c for c in self.changes}


Step = Callable[["nx.DiGraph[str]", PlanInputs], "nx.DiGraph[str]"]


def _action(graph: nx.DiGraph[str], node: str) -> Action:
    change: Change = graph.nodes[node]["change"]
    return change.action


def nodes(graph: nx.DiGraph[str], inputs: PlanInputs) -> nx.DiGraph[str]:
    for change in inputs.changes:
        if not change.is_noop:
            graph.add_node(str(change.address), change=change)
    return graph


def explicit_edges(graph: nx.DiGraph[str], inputs: PlanInputs) -> nx.DiGraph[str]:
    for resource in inputs.desired.ordered():
        dependant = str(resource.address)
        if dependant not in graph or _action(graph, dependant) is Action.DELETE:
            continue
        for dep in resource.depends_on:
            target = str(dep.target)
            if target in graph and _action(graph, target) is not Action.DELETE:
                graph.add_edge(target, dependant, kind="depends_on",
                               condition=dep.condition.value)
    return graph


def _placements(graph: nx.DiGraph[str]) -> Iterator[tuple[str, str, str]]:
    """(first, then, kind) pairs of implicit ordering between planned nodes."""
    planned = {n: graph.nodes[n]["change"] for n in graph.nodes}
    kinds = {c.address.kind for c in planned.values()}
    if not kinds & {"host", "wireguard", "compose"}:
        return
    for node, change in planned.items():
        address, spec = change.address, change.after or change.before or {}
        host = str(Address("host", address.host))
        if address.kind != "host" and host in planned:
            yield host, node, "host"
        network = spec.get("network")
        wireguard = str(Address("wireguard", str(network), address.host))
        if address.kind != "wireguard" and wireguard in planned:
            yield wireguard, node, "wireguard"
        project = spec.get("compose_project")
        if address.kind == "compose" and "." in address.name:
            project = address.name.split(".", 1)[0]
        compose = str(Address("compose", str(project), address.host))
        if compose != node and compose in planned:
            yield compose, node, "compose"


def implicit_edges(graph: nx.DiGraph[str], inputs: PlanInputs) -> nx.DiGraph[str]:
    for first, then, kind in list(_placements(graph)):
        if Action.DELETE not in (_action(graph, first), _action(graph, then)):
            graph.add_edge(first, then, kind=kind)
    return graph


def delete_edges(graph: nx.DiGraph[str], inputs: PlanInputs) -> nx.DiGraph[str]:
    deleted = sorted(n for n in graph.nodes if _action(graph, n) is Action.DELETE)
    for dependant in deleted:
        for dependency in inputs.depends.get(dependant, ()):
            if dependency in graph and \
                    _action(graph, dependency) in (Action.DELETE, Action.REPLACE):
                graph.add_edge(dependant, dependency, kind="delete")
    for first, then, _kind in list(_placements(graph)):
        if _action(graph, first) is Action.DELETE and _action(graph, then) is Action.DELETE:
            graph.add_edge(then, first, kind="delete")
    return graph


def _resolve_targets(inputs: PlanInputs) -> list[str]:
    known = inputs.by_address()
    resolved: list[str] = []
    for target in inputs.targets:
        if target in known:
            resolved.append(target)
            continue
        name = Address.parse(target).name
        matches = [a for a, c in known.items() if c.address.name == name]
        if not matches:
            listing = ", ".join(sorted(known)) or "none"
            raise PlanError(f"unknown target {target!r}",
                            hint=f"the known addresses are: {listing}")
        resolved.extend(matches)
    return resolved


def targets(graph: nx.DiGraph[str], inputs: PlanInputs) -> nx.DiGraph[str]:
    """Keep the targets, what they depend on (not being deleted), and for a deleted target the
    deleted dependants that must go first."""
    if not inputs.targets:
        return graph
    known = inputs.by_address()
    keep: set[str] = set()
    stack = _resolve_targets(inputs)
    while stack:
        node = stack.pop()
        if node in keep:
            continue
        keep.add(node)
        change = known.get(node)
        if change is not None and change.action is Action.DELETE:
            stack.extend(d for d, deps in inputs.depends.items() if node in deps
                         and known.get(d) is not None and known[d].action is Action.DELETE)
        else:
            stack.extend(d for d in inputs.depends.get(node, ())
                         if known.get(d) is None or known[d].action is not Action.DELETE)
        stack.extend(u for u, _ in graph.in_edges(node) if u in graph)
    graph.remove_nodes_from([n for n in list(graph.nodes) if n not in keep])
    graph.graph["keep"] = keep
    return graph


def cycle_check(graph: nx.DiGraph[str], inputs: PlanInputs) -> nx.DiGraph[str]:
    import networkx as nx

    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return graph
    members = [u for u, _v, *_ in cycle]
    start = min(range(len(members)),
                key=lambda i: (graph.nodes[members[i]]["change"].order, members[i]))
    members = members[start:] + members[:start]

    def where(node: str) -> str:
        source = graph.nodes[node]["change"].source
        return f"{node} ({source})" if source is not None else node

    chain = " -> ".join(where(n) for n in [*members, members[0]])
    first = graph.nodes[members[0]]["change"].source
    raise PlanError(f"dependency cycle: {chain}", source=first,
                    hint="remove one of these depends_on entries")


STEPS: tuple[tuple[str, Step], ...] = (
    ("nodes", nodes),
    ("explicit_edges", explicit_edges),
    ("implicit_edges", implicit_edges),
    ("delete_edges", delete_edges),
    ("targets", targets),
    ("cycle_check", cycle_check),
)


def build(changes: Sequence[Change], desired: DesiredState, *,
          recorded_depends: Mapping[Address, Sequence[str]] | None = None,
          targets: Sequence[Address] = (), observed_hashes: Mapping[str, str] | None = None,
          created_at: float | None = None) -> Plan:
    """Run :data:`STEPS` over ``changes`` and wrap the result in a :class:`Plan`."""
    depends: dict[str, tuple[str, ...]] = {
        str(a): tuple(str(x) for x in deps) for a, deps in (recorded_depends or {}).items()}
    for resource in desired.ordered():
        depends[str(resource.address)] = tuple(str(d.target) for d in resource.depends_on)
    inputs = PlanInputs(tuple(changes), desired, depends,
                        targets=tuple(str(t) for t in targets))
    graph: nx.DiGraph[str] | None = None
    keep: set[str] | None = None
    if inputs.targets or not all(c.is_noop for c in inputs.changes):
        import networkx as nx  # only when there is something to order (see Plan.dag)

        graph = nx.DiGraph()
        for _name, step in STEPS:
            graph = step(graph, inputs)
        keep = graph.graph.pop("keep", None)
    kept = tuple(c for c in inputs.changes if keep is None or str(c.address) in keep)
    resolved = tuple(sorted(keep & set(_resolve_targets(inputs)))) if keep is not None else ()
    return Plan(
        project=desired.project, scope=desired.scope, changes=kept, dag=graph,
        depends={a: d for a, d in sorted(depends.items())},
        created_at=time.time() if created_at is None else created_at,
        inputs_hash=inputs_hash(desired, observed_hashes or {}, kept, resolved),
        targets=resolved)
