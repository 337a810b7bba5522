"""``reconciler import ADDRESS ID`` and ``state mv``'s checks: bringing a running object into
the state, or renaming a record, without touching the world.

Import asks the kind's adopt hook (``reconciler.actuators.<kind>.adopt``: a process by pid, a
container by id or name, a WireGuard node by its interface name) what the running object really
is -- the spec to record (the config's, with the fields the world shows replaced by their real
values) and the facts apply would have recorded -- and records it, audited as ``state.import``.
The next plan then compares the config with that recorded spec: no changes when the object runs
as configured, else the exact field diffs (and a replace). Nothing is ever started, stopped or
signalled.
An imported container keeps its own name and carries none of our labels: observe claims it by
the id recorded here, and a replace or delete removes it by that id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.errors import UserError
from reconciler.model.types import Address

if TYPE_CHECKING:
    from collections.abc import Mapping

    from reconciler.actuators.base import ActuatorContext
    from reconciler.engine.project import Project
    from reconciler.model.types import DesiredState, Resource
    from reconciler.state.records import ResourceRecord

# The kinds whose actuator follows a moved record (observe claims the object by its recorded
# facts). A container's name and io.reconciler.address label are fixed at creation: under a
# new address it would be an orphan of the old one and the new one would be created anew.
MOVABLE = frozenset({"process"})
IMPORTABLE = frozenset({"process", "container", "wireguard"})
# an `adopt:` object that no longer runs (imported and destroyed since): planned as a create
GONE = ("no container is called", "no running process has pid", "is not running")


@dataclass(frozen=True)
class Imported:
    address: Address
    spec: dict[str, object]
    facts: dict[str, object]


def check_move(project: Project, old: Address, new: Address) -> None:
    """Refuse a move the actuators cannot follow (UserError with a hint)."""
    records = project.store.resources()
    if old not in records:
        raise UserError(f"{old} is not in the state", hint="see `reconciler state list`")
    if new in records:
        raise UserError(f"{new} is already in the state",
                        hint=f"`reconciler state rm {new}` first if it is stale")
    if old.kind != new.kind or old.host != new.host:
        raise UserError(f"cannot move {old} to {new}: a record keeps its kind and host",
                        hint="rename only the name part, e.g. process.api -> process.backend")
    if old.kind not in MOVABLE:
        raise UserError(
            f"cannot move {old}: a {old.kind}'s name and owner labels (io.reconciler.address) "
            "are fixed when it is created, so under a new address it would still be found "
            "as the old one and the next apply would replace it anyway",
            hint="rename it in the config and let apply replace it, or keep the old name")


def import_object(project: Project, address: Address, ident: str) -> Imported:
    """Record the running object ``ident`` as ``address`` (checked against config and
    state). Raises UserError when it cannot be imported."""
    desired, _ = project.desired()
    resource = desired.resources.get(address)
    if resource is None:
        raise UserError(f"{address} is not in the configuration",
                        hint="add it to services.yaml first, as the object runs")
    if address in project.store.resources():
        raise UserError(f"{address} is already in the state",
                        hint=f"see `reconciler state show {address}`")
    if address.kind not in IMPORTABLE:
        raise UserError(f"{address.kind} objects cannot be imported yet",
                        hint=f"importable kinds: {', '.join(sorted(IMPORTABLE))}")
    ctx = project.context_for(address)
    key = {"container": "id", "wireguard": "interface"}.get(address.kind, "pid")
    taken = {str(r.facts.get(key)) for r in project.store.resources().values()
             if r.address.kind == address.kind and r.address.host == address.host}
    spec, facts = _adopted(resource, ident, ctx)
    if str(facts.get(key)) in taken:
        raise UserError(f"{ident} is already in the state under another address",
                        hint="see `reconciler state list`")
    from reconciler.model.types import spec_hash

    store = project.store
    store.record(address, spec=spec, spec_hash=spec_hash(spec),
                 depends_on=tuple(str(d.target) for d in resource.depends_on),
                 facts=facts, status="running", run_id=None)
    store.append_event(None, "state.import", str(address),
                       f"imported {address} from {ident}", {"id": ident})
    return Imported(address, spec, facts)


def _adopted(resource: Resource, ident: str,
             ctx: ActuatorContext) -> tuple[dict[str, object], dict[str, object]]:
    """The kind's adopt hook: ``(spec, facts)`` of the running object ``ident``."""
    if resource.kind == "container":
        from reconciler.actuators.container.actuator import ContainerActuator, engine_of
        from reconciler.actuators.container.adopt import adopted as container
        from reconciler.actuators.registry import load

        actuator = load("container")
        assert isinstance(actuator, ContainerActuator)
        return container(resource, ident, ctx, actuator.read_api(ctx), engine_of(ctx).url)
    if resource.kind == "wireguard":
        from reconciler.actuators.wireguard.adopt import adopted as interface

        return interface(resource, ident, ctx)
    from reconciler.actuators.process.adopt import adopted

    return adopted(resource, ident, ctx)


def config_imports(project: Project, desired: DesiredState,
                   records: Mapping[Address, ResourceRecord]) -> dict[Address, ResourceRecord]:
    """The records ``adopt: {id: ...}`` asks for (Terraform's import blocks): for each
    configured resource not in the state yet, what an import would record. Planned as if
    recorded (so the plan shows no changes, or the exact diffs); written to the state by
    :func:`record_imports` when the plan is applied. Never starts or stops anything."""
    from reconciler.model.types import spec_hash
    from reconciler.state.records import ResourceRecord

    found: dict[Address, ResourceRecord] = {}
    for resource in desired.ordered():
        if resource.adopt is None or resource.address in records:
            continue
        if resource.kind not in IMPORTABLE:
            raise UserError(f"{resource.address}: `adopt` takes over processes and containers "
                            f"only, not {resource.kind} objects", hint="remove `adopt`")
        try:
            spec, facts = _adopted(resource, resource.adopt,
                                   project.context_for(resource.address))
        except UserError as exc:
            if any(words in str(exc) for words in GONE):  # imported, then destroyed: the
                continue  # plan creates it anew (shown as a create)
            raise
        found[resource.address] = ResourceRecord(
            resource.address, spec, spec_hash(spec),
            tuple(str(d.target) for d in resource.depends_on), facts, "running", 0.0, None)
    return found


def record_imports(project: Project, imports: Mapping[Address, ResourceRecord]) -> None:
    """Write the planned ``adopt:`` imports to the state (audited as ``state.import``)."""
    store = project.store
    for address, record in imports.items():
        if address in store.resources():
            continue
        store.record(address, spec=record.spec, spec_hash=record.spec_hash,
                     depends_on=record.depends_on, facts=record.facts, status="running",
                     run_id=None)
        ident = str(record.facts.get("id") or record.facts.get("pid"))
        store.append_event(None, "state.import", str(address),
                           f"imported {address} from adopt: {{id: {ident}}}",
                           {"id": ident, "adopt": True})
