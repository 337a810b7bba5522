"""Stage 3 of the pipeline: parsed documents -> one merged, resolved DesiredState (pure).

``build(docs, env=...)`` runs the ordered :data:`STEPS` over one model under construction,
each adding its diagnostics: every document goes through the reader of its format
(:data:`reconciler.model.readers.READERS`) into Drafts; stacks are expanded; the drafts are
merged (a name defined twice is an error naming both places); ports are allocated (``port:
auto`` and omitted locald ports through ``port_allocator``, fixed ones checked for
duplicates); Compose projects are read; dependencies are checked (unknown names, cycles naming
every member with file:line, see :mod:`reconciler.model.build_deps`); every value is
interpolated (see :mod:`reconciler.model.build_resolve`); WireGuard networks are added. It
never raises on bad input: every problem is a Diagnostic.

It does no I/O: what it must know about the machine (a stack's binaries, users, the stack
catalog, ``type: package`` directories) is asked of the ``host`` its caller passes, a
:class:`~reconciler.model.host.BuildHost` (``reconciler.engine.local_host.LocalHost`` for real).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.actuators.container.spec import spec_of as container_spec
from reconciler.config.raw import RawDocument, as_list
from reconciler.errors import Diagnostic, error
from reconciler.model.build_compose import ComposePart, compose_part, is_compose_draft
from reconciler.model.build_deps import dependencies
from reconciler.model.build_draft import Draft
from reconciler.model.build_refs import port_references, publish_referenced
from reconciler.model.build_resolve import Resolver
from reconciler.model.build_stacks import expand_stacks
from reconciler.model.build_wireguard import overlay_addresses, wireguard_resources
from reconciler.model.host import BuildHost, NoHost
from reconciler.model.kind_hooks import link
from reconciler.model.readers import project_of, read_drafts
from reconciler.model.secrets import DEFAULT_KEY
from reconciler.model.types import Address, Dependency, DesiredState, Resource

PortAllocator = Callable[[Address], int]
"""Gives an auto port its number. One with a ``settle(addresses)`` method is first told every
address the build will ask about (so it can settle them all at once, before the first)."""

__all__ = ["STEPS", "build", "fallback_port", "project_name", "project_of"]


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
    mappings = container_spec(draft.spec).get("ports") if draft.kind == "container" else None
    return [host for m in mappings or [] if isinstance(host := m.get("host"), int)]


def _auto_port(draft: Draft) -> bool:
    """Whether the ports step asks the allocator for ``draft``'s port."""
    mappings = container_spec(draft.spec).get("ports") if draft.kind == "container" else None
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
        mappings = container_spec(draft.spec).get("ports") if draft.kind == "container" else None
        for mapping in mappings or []:
            if isinstance(host := mapping.get("host"), int):
                claim(draft, host)
        if isinstance(draft.port_request, int) and not (mappings and mappings[0]["host"]):
            draft.port = draft.port_request
            if not mappings:
                claim(draft, draft.port)
    settle = getattr(allocator, "settle", None)  # told every auto port before the first
    if callable(settle):  # is asked (engine/ports.py: re-adopts the ports marks carry)
        settle([d.address for d in drafts if _auto_port(d)])
    for draft in drafts:
        mappings = container_spec(draft.spec).get("ports") if draft.kind == "container" else None
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


@dataclass
class _Build:
    """The model under construction: what the steps of :data:`STEPS` read and fill in."""

    docs: Sequence[RawDocument]
    env: Mapping[str, str]
    session: str | None
    allocator: PortAllocator | None
    secret_key: bytes
    strict: bool
    host: BuildHost
    project: str = ""
    drafts: list[Draft] = field(default_factory=list)
    by_name: dict[str, Draft] = field(default_factory=dict)
    kept: list[Draft] = field(default_factory=list)
    compose: ComposePart | None = None
    deps: dict[str, tuple[Dependency, ...]] = field(default_factory=dict)
    resources: dict[Address, Resource] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    resolver_diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def composed(self) -> ComposePart:
        assert self.compose is not None, "the compose step runs before"
        return self.compose


def _read(b: _Build) -> None:
    b.drafts, problems = read_drafts(b.docs, b.env, b.host)
    b.diagnostics += problems


def _stacks(b: _Build) -> None:
    b.drafts, problems = expand_stacks(b.drafts, env=b.env, session=b.session, host=b.host)
    b.diagnostics += problems


def _merge_step(b: _Build) -> None:
    b.by_name, problems = _merge(b.drafts)
    b.diagnostics += problems
    b.kept = [d for d in b.drafts if b.by_name.get(d.name) is d]


def _ports_step(b: _Build) -> None:
    publish_referenced(b.kept, port_references(b.docs))
    b.diagnostics += _ports(b.kept, b.allocator)


def _compose(b: _Build) -> None:
    b.compose = compose_part(b.docs, [d for d in b.kept if is_compose_draft(d)], env=b.env,
                             scope=f"{b.project}_{b.session}" if b.session else b.project,
                             order_start=len(b.drafts), secret_key=b.secret_key, host=b.host)
    b.diagnostics += b.compose.diagnostics


def _dependencies(b: _Build) -> None:
    b.deps, problems = dependencies(b.by_name, b.composed)
    b.diagnostics += problems


def _resolve(b: _Build) -> None:
    resolver = Resolver(b.by_name, b.env, strict=b.strict, secret_key=b.secret_key,
                        host_addresses={**_host_addresses(b.docs),
                                        **overlay_addresses(b.docs, b.project, b.session)},
                        sops=b.host)
    for draft in b.kept:
        if not is_compose_draft(draft):
            resource = resolver.resource(draft, b.deps.get(draft.name, ()))
            b.resources[resource.address] = resource
    b.resources.update((r.address, r) for r in b.composed.resources(b.deps))
    b.resolver_diagnostics = resolver.diagnostics  # reported after the wireguard step's


def _wireguard(b: _Build) -> None:
    wireguard, problems = wireguard_resources(b.docs, b.project, b.session,
                                              first_order=len(b.drafts) + len(b.resources),
                                              sops=b.host, secret_key=b.secret_key)
    b.resources.update(wireguard)
    b.diagnostics += problems + b.resolver_diagnostics


def _link(b: _Build) -> None:
    b.resources = link(b.resources)


STEPS: tuple[Callable[[_Build], None], ...] = (
    _read,  # every document through its format's reader (model/readers.py READERS)
    _stacks,  # `uses:` stacks expanded into drafts
    _merge_step,  # one draft per name (a name defined twice is an error)
    _ports_step,  # fixed ports claimed, auto ports allocated
    _compose,  # Compose projects and their services
    _dependencies,  # depends_on -> Dependencies; unknown names, cycles
    _resolve,  # every value interpolated; drafts frozen into Resources
    _wireguard,  # WireGuard networks
    _link,  # what a resource names that another provides (kind_hooks: an image's tag)
)


def build(docs: Sequence[RawDocument], *, env: Mapping[str, str], session: str | None = None,
          port_allocator: PortAllocator | None = None, secret_key: bytes = DEFAULT_KEY,
          strict: bool = False, host: BuildHost | None = None, root: str | None = None
          ) -> tuple[DesiredState, list[Diagnostic]]:
    """The merged desired state of ``docs`` and every semantic problem found: the
    :data:`STEPS` in order, each adding its diagnostics.

    ``root``: the project dir (default: the first document's; see reconciler/model/paths.py).

    ``host`` answers every question about the machine (see :mod:`reconciler.model.host`);
    without one, a project that needs a host fact raises InternalError.
    """
    project, settings = project_of(docs)
    state = _Build(docs, env, session, port_allocator, secret_key, strict,
                   host if host is not None else NoHost(), project)
    for step in STEPS:
        step(state)
    diagnostics = sorted(state.diagnostics, key=Diagnostic.sort_key)
    root = os.path.abspath(docs[0].path.parent) if root is None and docs else (root or "")
    resources = {a: dataclasses.replace(r, root=root) for a, r in state.resources.items()}
    return DesiredState(project, resources, session, settings), diagnostics
