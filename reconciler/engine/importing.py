"""``reconciler import ADDRESS ID`` and ``state mv``'s checks: bringing a running object into
the state, or renaming a record, without touching the world.

Import asks the kind's adopt hook (its ``Kind.adopt`` in the registry, an
:class:`~reconciler.actuators.base.AdoptHook` in the kind's package: a process by pid, a
container by id or name, ...; :func:`importable_hint` lists them) what the running object really
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

from reconciler.actuators import registry
from reconciler.errors import ObjectGone, UserError
from reconciler.model.types import Address

if TYPE_CHECKING:
    from collections.abc import Mapping

    from reconciler.actuators.base import ActuatorContext, Adopted
    from reconciler.engine.project import Project
    from reconciler.model.types import DesiredState, Resource
    from reconciler.state.records import ResourceRecord

# The kinds whose actuator follows a moved record (observe claims the object by its recorded
# facts). A container's name and io.reconciler.address label are fixed at creation: under a
# new address it would be an orphan of the old one and the new one would be created anew.
MOVABLE = frozenset({"process"})


@dataclass(frozen=True)
class Imported:
    address: Address
    spec: dict[str, object]
    facts: dict[str, object]
    label: str  # the object, for messages: "pid 4242"


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


def import_object(project: Project, address: Address, ident: str) -> list[Imported]:
    """Record the running object ``ident`` as ``address`` (checked against config and
    state); an address that names an entry of several resources (``compose.X``: one per
    Compose service) records each of them. Raises UserError when it cannot be imported."""
    desired, _ = project.desired()
    members = _members(desired, address)
    if not members:
        raise UserError(f"{address} is not in the configuration",
                        hint="add it to services.yaml first, as the object runs")
    records = project.store.resources()
    for resource in members:
        if resource.address in records:
            raise UserError(f"{resource.address} is already in the state",
                            hint=f"see `reconciler state show {resource.address}`")
    adoption = registry.importable().get(address.kind)
    if adoption is None:
        raise UserError(f"{address.kind} objects cannot be imported", hint=importable_hint())
    taken = {str(r.facts.get(adoption.key)) for r in records.values()
             if r.address.kind == address.kind and r.address.host == address.host}
    found = [(r, _adopted(r, ident, project.context_for(r.address))) for r in members]
    if any(str(a.facts.get(adoption.key)) in taken for _, a in found):
        raise UserError(f"{ident} is already in the state under another address",
                        hint="see `reconciler state list`")
    from reconciler.model.types import spec_hash

    store = project.store
    for resource, adopted in found:
        store.record(resource.address, spec=adopted.spec, spec_hash=spec_hash(adopted.spec),
                     depends_on=tuple(str(d.target) for d in resource.depends_on),
                     facts=adopted.facts, status="running", run_id=None)
        store.append_event(None, "state.import", str(resource.address),
                           f"imported {resource.address} from {ident}", {"id": ident})
    return [Imported(r.address, a.spec, a.facts, a.label) for r, a in found]


def _members(desired: DesiredState, address: Address) -> list[Resource]:
    """The configured resource ``address``, else those of the entry it names."""
    if address in desired.resources:
        return [desired.resources[address]]
    prefix = address.name + "."
    return [r for a, r in sorted(desired.resources.items(), key=lambda item: str(item[0]))
            if a.kind == address.kind and a.host == address.host and a.name.startswith(prefix)]


def importable_hint() -> str:
    """The importable kinds and the ID each takes, for a hint."""
    return "importable kinds: " + "; ".join(
        f"{name} ({adoption.takes})" for name, adoption in sorted(registry.importable().items()))


def _adopted(resource: Resource, ident: str, ctx: ActuatorContext) -> Adopted:
    """The kind's adopt hook (its Kind.adopt): what the running object ``ident`` is."""
    hook = registry.adopt_hook(resource.kind)
    if hook is None:
        raise UserError(f"{resource.kind} objects cannot be imported", hint=importable_hint())
    return hook(resource, ident, ctx)


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
        if resource.kind not in registry.importable():
            raise UserError(f"{resource.address}: `adopt` cannot take over {resource.kind} "
                            "objects", hint=f"remove `adopt`; {importable_hint()}")
        try:
            adopted = _adopted(resource, resource.adopt, project.context_for(resource.address))
        except ObjectGone:  # imported, then destroyed: the plan creates it anew (a create)
            continue
        found[resource.address] = ResourceRecord(
            resource.address, adopted.spec, spec_hash(adopted.spec),
            tuple(str(d.target) for d in resource.depends_on), adopted.facts, "running", 0.0,
            None)
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
        ident = adopted_id(record)
        store.append_event(None, "state.import", str(address),
                           f"imported {address} from adopt: {{id: {ident}}}",
                           {"id": ident, "adopt": True})


def adopted_id(record: ResourceRecord) -> str:
    """The ID an imported record names its object by (its kind's ``Adoption.key`` fact)."""
    adoption = registry.importable().get(record.address.kind)
    return str(record.facts.get(adoption.key) if adoption else "?")
