"""Stage 3 of the pipeline: parsed documents -> one merged, resolved DesiredState (pure).

``build(docs, env=...)`` reads every services.yaml, locald.toml and Procfile document into
Drafts, merges them (a name defined twice is an error naming both places), allocates ports
(``port: auto`` and omitted locald ports through ``port_allocator``), checks dependencies
(unknown names, cycles naming every member with file:line) and duplicate fixed ports, then
interpolates every value (see :mod:`reconciler.model.build_resolve`). It never raises on bad
input: every problem is a Diagnostic.

It does no I/O: what it must know about the machine (a stack's binaries, users, the stack
catalog, ``type: package`` directories) is asked of the ``host`` its caller passes, a
:class:`~reconciler.model.host.BuildHost` (``reconciler.engine.local_host.LocalHost`` for real).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reconciler.config.raw import RawDocument, as_list
from reconciler.errors import Diagnostic, error
from reconciler.model.build_compose import ComposePart, compose_part, is_compose_draft
from reconciler.model.build_draft import Draft
from reconciler.model.build_refs import port_references, publish_referenced
from reconciler.model.build_resolve import Resolver
from reconciler.model.build_seed import vendetta_hosts
from reconciler.model.build_stacks import expand_stacks
from reconciler.model.build_wireguard import overlay_addresses, wireguard_resources
from reconciler.model.host import BuildHost, NoHost
from reconciler.model.readers import read_drafts
from reconciler.model.secrets import DEFAULT_KEY
from reconciler.model.types import Address, Condition, Dependency, DesiredState

PortAllocator = Callable[[Address], int]
"""Gives an auto port its number. One with a ``settle(addresses)`` method is first told every
address the build will ask about (so it can settle them all at once, before the first)."""

__all__ = ["build", "fallback_port"]


def fallback_port(address: Address) -> int:
    """The deterministic port used when no allocator is given: 20000 + sha256 % 20000."""
    digest = hashlib.sha256(str(address).encode()).digest()
    return 20000 + int.from_bytes(digest[:8], "big") % 20000


def _merge(drafts: list[Draft]) -> tuple[dict[str, Draft], list[Diagnostic]]:
    by_name: dict[str, Draft] = {}
    problems: list[Diagnostic] = []
    for draft in drafts:
        first = by_name.get(draft.name)
        if first is None:
            by_name[draft.name] = draft
            continue
        problems.append(error(
            f"'{draft.name}' is defined twice: at {first.source} and at {draft.source}",
            draft.source, address=str(draft.address),
            hint="service and task names must be unique across all config files"))
    return by_name, problems


def _fixed_ports(draft: Draft) -> list[int]:
    mappings = draft.spec.get("ports") if draft.kind == "container" else None
    return [m["host"] for m in mappings or [] if isinstance(m.get("host"), int)]


def _auto_port(draft: Draft) -> bool:
    """Whether the ports step asks the allocator for ``draft``'s port."""
    mappings = draft.spec.get("ports") if draft.kind == "container" else None
    return not _fixed_ports(draft) and draft.port_request == "auto" and (
        draft.kind != "container" or bool(mappings))


def _ports(drafts: list[Draft], allocator: PortAllocator | None) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    used: dict[tuple[str, int], Draft] = {}

    def claim(draft: Draft, port: int) -> None:
        first = used.setdefault((draft.host, port), draft)
        if first is not draft:
            problems.append(error(
                f"port {port} is used by both '{first.name}' ({first.source}) and "
                f"'{draft.name}' ({draft.source})", draft.source, address=str(draft.address),
                hint="give one of them another port, or 'port: auto'"))

    for draft in drafts:
        mappings = draft.spec.get("ports") if draft.kind == "container" else None
        for mapping in mappings or []:
            if isinstance(mapping.get("host"), int):
                claim(draft, mapping["host"])
        if isinstance(draft.port_request, int) and not (mappings and mappings[0]["host"]):
            draft.port = draft.port_request
            if not mappings:
                claim(draft, draft.port)
    settle = getattr(allocator, "settle", None)  # told every auto port before the first
    if callable(settle):  # is asked (engine/ports.py: re-adopts the ports marks carry)
        settle([d.address for d in drafts if _auto_port(d)])
    for draft in drafts:
        mappings = draft.spec.get("ports") if draft.kind == "container" else None
        if _fixed_ports(draft):
            draft.port = _fixed_ports(draft)[0]
        elif _auto_port(draft):
            port = allocator(draft.address) if allocator else fallback_port(draft.address)
            while allocator is None and (draft.host, port) in used:
                port = 20000 + (port - 20000 + 1) % 20000
            used.setdefault((draft.host, port), draft)
            draft.port = port
        if mappings and draft.port_request is not None and mappings[0]["host"] is None:
            mappings[0]["host"] = draft.port
    return problems


def _dependencies(by_name: Mapping[str, Draft], compose: ComposePart) -> tuple[
        dict[str, tuple[Dependency, ...]], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    edges: dict[str, list[tuple[str, Any]]] = {}
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


def _cycles(edges: Mapping[str, list[tuple[str, Any]]],
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


def _cycle_error(members: list[str], edges: Mapping[str, list[tuple[str, Any]]],
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


def _host_addresses(docs: Sequence[RawDocument]) -> dict[str, str]:
    found: dict[str, str] = {}
    for doc in docs:
        if doc.format != "services" or not isinstance(doc.data, dict):
            continue
        networks = doc.data.get("networks")
        for net in (networks.values() if isinstance(networks, dict) else []):
            for node in as_list(net.get("nodes")) if isinstance(net, dict) else []:
                if isinstance(node, dict) and isinstance(node.get("host"), str):
                    found.setdefault(str(node.get("name") or node["host"]), node["host"])
        hosts = doc.data.get("hosts")
        for name, host in (hosts.items() if isinstance(hosts, dict) else []):
            if isinstance(host, dict) and host.get("address"):
                found[str(name)] = str(host["address"])
    return found


def project_name(docs: Sequence[RawDocument]) -> str:
    """The project's name: its config's ``name:``, else the config directory's name."""
    return project_of(docs)[0]


def project_of(docs: Sequence[RawDocument]) -> tuple[str, dict[str, Any]]:
    """The project's name and its ``settings``, ``networks`` and ``hosts`` (what transports
    need to reach its hosts), known before the build."""
    settings: dict[str, Any] = {}
    names: list[str] = []
    for doc in docs:
        data = doc.data if isinstance(doc.data, dict) else {}
        if doc.format == "services":
            if isinstance(data.get("name"), str):
                names.append(data["name"])
            for key in ("settings", "networks", "hosts"):
                if isinstance(data.get(key), dict):
                    settings.setdefault(key, {}).update(data[key])
        elif doc.format == "vendetta":
            names += [data["name"]] if isinstance(data.get("name"), str) else []
            settings.setdefault("hosts", {}).update(vendetta_hosts(doc))
        elif doc.format == "locald" and isinstance(data.get("project"), dict) and isinstance(
                data["project"].get("name"), str):
            names.append(data["project"]["name"])
    fallback = docs[0].path.absolute().parent.name if docs else "project"
    return (names[0] if names else fallback) or "project", settings


def build(docs: Sequence[RawDocument], *, env: Mapping[str, str], session: str | None = None,
          port_allocator: PortAllocator | None = None, secret_key: bytes = DEFAULT_KEY,
          strict: bool = False, host: BuildHost | None = None, root: str | None = None
          ) -> tuple[DesiredState, list[Diagnostic]]:
    """The merged desired state of ``docs`` and every semantic problem found.

    ``root``: the project dir (default: the first document's; see reconciler/model/paths.py).

    ``host`` answers every question about the machine (see :mod:`reconciler.model.host`);
    without one, a project that needs a host fact raises InternalError.
    """
    host = host if host is not None else NoHost()
    drafts, diagnostics = read_drafts(docs, env, host)
    drafts, problems = expand_stacks(drafts, env=env, session=session, host=host)
    diagnostics += problems
    by_name, problems = _merge(drafts)
    diagnostics += problems
    kept = [d for d in drafts if by_name.get(d.name) is d]
    publish_referenced(kept, port_references(docs))
    diagnostics += _ports(kept, port_allocator)
    project, settings = project_of(docs)
    compose = compose_part(docs, [d for d in kept if is_compose_draft(d)], env=env,
                           scope=f"{project}_{session}" if session else project,
                           order_start=len(drafts), secret_key=secret_key, host=host)
    diagnostics += compose.diagnostics
    deps, problems = _dependencies(by_name, compose)
    diagnostics += problems
    resolver = Resolver(by_name, env, strict=strict, secret_key=secret_key,
                        host_addresses={**_host_addresses(docs),
                                        **overlay_addresses(docs, project, session)})
    resources = {}
    for draft in kept:
        if not is_compose_draft(draft):
            resource = resolver.resource(draft, deps.get(draft.name, ()))
            resources[resource.address] = resource
    resources.update((r.address, r) for r in compose.resources(deps))
    wireguard, problems = wireguard_resources(docs, project, session,
                                              first_order=len(drafts) + len(resources))
    resources.update(wireguard)
    diagnostics += problems
    diagnostics += resolver.diagnostics
    diagnostics.sort(key=Diagnostic.sort_key)
    root = os.path.abspath(docs[0].path.parent) if root is None and docs else (root or "")
    resources = {a: dataclasses.replace(r, root=root) for a, r in resources.items()}
    return DesiredState(project, resources, session, settings), diagnostics
