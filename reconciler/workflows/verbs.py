"""The service verbs over the engine: which addresses ``start``/``stop``/``restart``/``exec``
mean, and the holds that keep a stopped service stopped.

Every verb is a thin layer over :class:`~reconciler.engine.project.Project`: names resolve
against the desired state (``api``, ``process.api`` or ``container.db@web1``); ``stop`` records
a hold in the state store and plans the project (the held service is planned as a delete,
see :func:`reconciler.engine.support.without_held`), ``start`` releases the holds of the named
services and of everything they need, ``restart`` is a targeted replace. No second code
path: the same plan, lease, policy and audit log as ``apply``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.model.types import Address, DesiredState

SERVICE_KINDS = ("process", "container", "compose", "task", "package")


def resolve(desired: DesiredState, names: Sequence[str]) -> list[Address]:
    """The addresses ``names`` mean (every service when empty); UserError for an unknown one."""
    services = [a for a in desired.resources if a.kind in SERVICE_KINDS]
    if not names:
        return sorted(services, key=str)
    found: list[Address] = []
    for name in names:
        matches = [a for a in services if name in (str(a), a.name, f"{a.kind}.{a.name}")]
        if not matches:
            known = ", ".join(sorted({a.name for a in services})) or "none"
            raise UserError(f"no service named {name!r} in this project",
                            hint=f"the services are: {known}")
        found.extend(m for m in matches if m not in found)
    return found


def _edges(desired: DesiredState) -> dict[Address, set[Address]]:
    """Address -> the addresses it depends on (declared ``depends_on``)."""
    return {a: {d.target for d in r.depends_on if d.target in desired.resources}
            for a, r in desired.resources.items()}


def needs(desired: DesiredState, addresses: Iterable[Address]) -> list[Address]:
    """``addresses`` and, transitively, everything they depend on."""
    edges = _edges(desired)
    seen: list[Address] = []
    stack = list(addresses)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.append(node)
            stack.extend(edges.get(node, ()))
    return seen


def dependants(desired: DesiredState, addresses: Iterable[Address]) -> list[Address]:
    """What depends on ``addresses`` (transitively), not counting ``addresses`` themselves."""
    edges = _edges(desired)
    wanted = set(addresses)
    found: set[Address] = set()
    grew = True
    while grew:
        grew = False
        for node, deps in edges.items():
            if node not in found and node not in wanted and deps & (wanted | found):
                found.add(node)
                grew = True
    return sorted(found, key=str)


@dataclass(frozen=True)
class StopDecision:
    """What ``stop`` will hold, and the running dependants it leaves without a dependency."""

    addresses: list[Address]
    orphans: list[Address]


def plan_stop(desired: DesiredState, names: Sequence[str], held: Iterable[str], *,
              force: bool) -> StopDecision:
    """Refuse (without --force) to stop a service others still need, as the harness does."""
    addresses = resolve(desired, names)
    held_now = set(held) | {str(a) for a in addresses}
    orphans = [d for d in dependants(desired, addresses) if str(d) not in held_now]
    if orphans and not force:
        listing = ", ".join(str(o) for o in orphans)
        raise UserError(f"{', '.join(str(a) for a in addresses)}: still needed by {listing}",
                        hint="stop those too, or pass --force to stop anyway")
    return StopDecision(addresses, orphans)


def exec_argv(command: Sequence[str]) -> list[str]:
    """The command after ``--``; UserError when there is none."""
    argv = list(command)
    if argv[:1] == ["--"]:  # the separator itself, when the parser passed it through
        argv = argv[1:]
    if not argv:
        raise UserError("exec needs a command after the service name",
                        hint="e.g. reconciler exec api -- env")
    return argv
