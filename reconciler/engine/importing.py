"""``reconciler import ADDRESS ID`` and ``state mv``'s checks: bringing a running object into
the state, or renaming a record, without touching the world.

Import asks the kind's adopt hook (process: ``reconciler.actuators.process.adopt``) what
the running object really is -- the spec to record (the config's, with the fields the world
shows replaced by their real values) and the facts apply would have recorded -- and records
it, audited as ``state.import``. The next plan then compares the config with that recorded
spec: no changes when the object runs as configured, else the exact field diffs (and a
replace). Nothing is ever started, stopped or signalled. Containers are refused, saying
why (:data:`CONTAINER_REFUSAL`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.errors import UserError
from reconciler.model.types import Address

if TYPE_CHECKING:
    from reconciler.engine.project import Project

# The kinds whose actuator follows a moved record (observe claims the object by its recorded
# facts). A container's name and io.reconciler.address label are fixed at creation: under a
# new address it would be an orphan of the old one and the new one would be created anew.
MOVABLE = frozenset({"process"})
IMPORTABLE = frozenset({"process"})
CONTAINER_REFUSAL = (
    "a container reconciler did not create carries none of its io.reconciler.* labels, and "
    "an existing container's labels and name cannot be changed: the container actuator finds, "
    "stops and removes containers by those labels only, so an imported one could never be "
    "stopped or replaced by reconciler (the next apply would start a second one beside it)")


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
    if address.kind == "container":
        raise UserError(f"cannot import {address} from {ident!r}: {CONTAINER_REFUSAL}",
                        hint="stop it and let `reconciler apply` create it (a container "
                             "this project made is re-adopted from its labels by the next "
                             "plan, no import needed)")
    if address.kind not in IMPORTABLE:
        raise UserError(f"{address.kind} objects cannot be imported yet",
                        hint=f"importable kinds: {', '.join(sorted(IMPORTABLE))}")
    from reconciler.actuators.process.adopt import adopted

    ctx = project.context_for(address)
    taken = {r.facts.get("pid") for r in project.store.resources().values()
             if r.address.kind == address.kind}
    if ident.isdigit() and int(ident) in taken:
        raise UserError(f"pid {ident} is already in the state under another address",
                        hint="see `reconciler state list`")
    spec, facts = adopted(resource, ident, ctx)
    from reconciler.model.types import spec_hash

    store = project.store
    store.record(address, spec=spec, spec_hash=spec_hash(spec),
                 depends_on=tuple(str(d.target) for d in resource.depends_on),
                 facts=facts, status="running", run_id=None)
    store.append_event(None, "state.import", str(address),
                       f"imported {address} from {ident}", {"id": ident})
    return Imported(address, spec, facts)
