"""The dependencies step of model.build: ``depends_on`` names -> Dependencies, and cycles.

Every name must be a service, task or Compose service of the project (an unknown one is an
error with a "did you mean"); a cycle is one error naming every member with the file:line of
each edge. Pure.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping

from reconciler.errors import Diagnostic, SourceRange, error
from reconciler.model.build_compose import ComposePart, is_compose_draft
from reconciler.model.build_draft import Draft
from reconciler.model.types import Condition, Dependency

__all__ = ["dependencies"]


def dependencies(by_name: Mapping[str, Draft], compose: ComposePart) -> tuple[
        dict[str, tuple[Dependency, ...]], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    edges: dict[str, list[tuple[str, SourceRange | None]]] = {}
    result: dict[str, tuple[Dependency, ...]] = {}
    for name, draft in by_name.items():
        deps: list[Dependency] = []
        for dep in draft.deps:
            target = by_name.get(dep.name)
            if target is not None and target is not draft and not is_compose_draft(target):
                problems += compose.shadowing(dep.name, dep.source, target, name)
            else:  # a Compose service (see build_compose for how they are named)
                refs, found = compose.resolve(dep.name, dep.source, name)
                problems += found
                for ref in refs:
                    deps.append(Dependency(ref.resource.address,
                                           dep.condition or Condition.HEALTHY, dep.source))
                    if ref.entry is not None:
                        edges.setdefault(name, []).append((ref.entry, dep.source))
                if refs or found or (target is not None and target is not draft):
                    continue  # (an entry whose files failed to load was reported already)
            if target is None or target is draft:
                close = difflib.get_close_matches(dep.name, [n for n in by_name if n != name], 1)
                close = close or compose.close_matches(dep.name)
                what = "depends on itself" if target is draft else (
                    f"depends on unknown service '{dep.name}'")
                problems.append(error(f"'{name}' {what}", dep.source, address=str(draft.address),
                                      hint=f"did you mean '{close[0]}'?" if close else ""))
                continue
            default = Condition.COMPLETED if target.kind == "task" else Condition.HEALTHY
            deps.append(Dependency(target.address, dep.condition or default, dep.source))
            edges.setdefault(name, []).append((dep.name, dep.source))
        result[name] = tuple(deps)
    problems += _cycles(edges, by_name)
    return result, problems


def _cycles(edges: Mapping[str, list[tuple[str, SourceRange | None]]],
            by_name: Mapping[str, Draft]) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    seen_cycles: set[frozenset[str]] = set()
    for root in by_name:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node, index = stack[-1]
            out = edges.get(node, [])
            if index >= len(out):
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            stack[-1] = (node, index + 1)
            nxt = out[index][0]
            if state.get(nxt) == 1:
                members = path[path.index(nxt):]
                if frozenset(members) not in seen_cycles:
                    seen_cycles.add(frozenset(members))
                    problems.append(_cycle_error(members, edges, by_name))
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, 0))
                path.append(nxt)
    return problems


def _cycle_error(members: list[str], edges: Mapping[str, list[tuple[str, SourceRange | None]]],
                 by_name: Mapping[str, Draft]) -> Diagnostic:
    ring = [*members, members[0]]
    places = []
    for a, b in itertools.pairwise(ring):
        where = next((src for n, src in edges[a] if n == b), by_name[a].source)
        places.append(f"{a} -> {b} at {where}")
    first = next(src for n, src in edges[members[0]] if n == ring[1])
    return error("dependency cycle: " + " -> ".join(ring), first, detail="; ".join(places),
                 address=str(by_name[members[0]].address),
                 hint="remove one of these dependencies")
