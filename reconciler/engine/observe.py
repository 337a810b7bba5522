"""Stage 4: observe the world, batched: one actuator.observe call per (kind, host).

Groups desired resources and state records by kind and host, asks each actuator once per
group (groups run in parallel), and merges the answers into one ObservedState. Read-only.
On an SSH host the groups of ``Kind.batch_observe`` kinds share ONE round trip (their first
commands in one script, :mod:`reconciler.transports.batch`): a remote command costs a login
shell, which costs far more than the command itself.

An unreachable host fails only its own part: every desired or recorded object placed on it
gets an Observed whose facts say ``unreachable`` (with the transport's message); diff plans
them as ``~ host unreachable`` and apply fails exactly those nodes with that message, while
everything else observes, plans and applies as usual.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from reconciler import actuators
from reconciler.errors import HostUnreachable
from reconciler.model.changes import Observed, Status
from reconciler.model.types import LOCAL_HOST, Address, DesiredState, Resource
from reconciler.transports import batch
from reconciler.transports.base import Transport

if TYPE_CHECKING:
    from reconciler.actuators.base import ActuatorContext
    from reconciler.state import ResourceRecord

ObservedState = dict[Address, Observed]


def recorded_facts(record: ResourceRecord) -> dict[str, object]:
    """What an actuator gets as ``recorded``: the stored facts plus spec_hash and status."""
    return {**record.facts, "spec_hash": record.spec_hash, "status": record.status}


def snapshot(desired: DesiredState, records: Mapping[Address, ResourceRecord],
             context_for: Callable[[Address], ActuatorContext],
             *, max_workers: int = 8) -> ObservedState:
    """Observe every desired or recorded object; one call per (kind, host)."""
    groups: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    recorded: dict[tuple[str, str], dict[Address, dict[str, Any]]] = defaultdict(dict)
    for resource in desired.ordered():
        groups[(resource.kind, resource.address.host)].append(resource)
    for address, record in records.items():
        recorded[(address.kind, address.host)][address] = recorded_facts(record)
    keys = sorted(set(groups) | set(recorded))
    for kind, _host in keys:
        actuators.load(kind)  # fail fast, before any thread starts, on an unknown kind

    def observe_group(key: tuple[str, str]) -> dict[Address, Observed]:
        kind, host = key
        try:
            ctx = context_for(Address(kind, "*", host))
            return actuators.load(kind).observe(groups.get(key, []), recorded.get(key, {}),
                                                ctx)
        except HostUnreachable as exc:
            return unreachable(groups.get(key, []), recorded.get(key, {}), exc)

    def observe_unit(unit: list[tuple[str, str]]) -> dict[Address, Observed]:
        if len(unit) == 1:
            return observe_group(unit[0])
        try:
            ctx = context_for(Address(unit[0][0], "*", unit[0][1]))
        except HostUnreachable:
            ctx = None
        if ctx is None or ctx.transport.is_local:
            return {a: o for key in unit for a, o in observe_group(key).items()}
        jobs = [_job(key, groups.get(key, []), recorded.get(key, {}), ctx) for key in unit]
        try:
            parts = batch.observe_together(ctx.transport, jobs)
        except HostUnreachable as exc:
            parts = [unreachable(groups.get(k, []), recorded.get(k, {}), exc) for k in unit]
        return {a: o for part in parts for a, o in part.items()}

    units = batch_units(keys)
    result: ObservedState = {}
    if len(units) <= 1:
        for unit in units:
            result.update(observe_unit(unit))
        return result
    with ThreadPoolExecutor(max_workers=min(max_workers, len(units))) as pool:
        for part in pool.map(observe_unit, units):
            result.update(part)
    return result


def batch_units(keys: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The (kind, host) groups as units of work: on a remote host, the groups of the kinds
    whose observe may be batched (``Kind.batch_observe``) form one unit (one round trip, see
    :mod:`reconciler.transports.batch`); every other group is a unit of its own."""
    together: dict[str, list[tuple[str, str]]] = defaultdict(list)
    units: list[list[tuple[str, str]]] = []
    for key in keys:
        spec = actuators.kind(key[0])
        if key[1] != LOCAL_HOST and spec is not None and spec.batch_observe:
            together[key[1]].append(key)
        else:
            units.append([key])
    return [*together.values(), *units]


def _job(key: tuple[str, str], desired: list[Resource],
         recorded: Mapping[Address, Mapping[str, Any]],
         ctx: ActuatorContext) -> Callable[[Transport], dict[Address, Observed]]:
    def job(transport: Transport) -> dict[Address, Observed]:
        return actuators.load(key[0]).observe(desired, recorded, replace(ctx, transport=transport))
    return job


def unreachable(desired: list[Resource], recorded: Mapping[Address, Mapping[str, Any]],
                exc: HostUnreachable) -> dict[Address, Observed]:
    """Placeholders for the objects of a host that could not be reached."""
    message = exc.render_short()
    result: dict[Address, Observed] = {}
    for address in {r.address for r in desired} | set(recorded):
        rec = recorded.get(address) or {}
        status = Status(rec["status"]) if rec.get("status") in Status._value2member_map_ \
            else Status.MISSING
        result[address] = Observed(address, status, rec.get("spec_hash"),
                                   reason=f"host unreachable: {message}",
                                   facts={**{k: v for k, v in rec.items()
                                             if k not in ("status", "spec_hash")},
                                          "unreachable": message})
    return result
