"""Which state owns an object: apply's refusal of objects another state made, and the record
of a ``--adopt`` take-over.

Every owner mark carries the state's id (reconciler/state/identity.py). Observe reports an
object marked by another state with the ``owned_by`` fact, diff gives its change the
OWNED_ELSEWHERE reason (reconciler/engine/diff.py), and :func:`refuse` stops apply before it
touches anything, naming both owners. With ``--adopt`` diff plans a REPLACE (the new object
carries this state's marks) and :func:`record_adopted` writes each take-over to the audit
log (it also records, as before, objects re-adopted by their marks after a state loss, and
the auto-assigned ports).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.engine.diff import owned_elsewhere
from reconciler.engine.plan import Plan
from reconciler.engine.ports import primary_port
from reconciler.errors import OwnedElsewhere
from reconciler.model.changes import Observed, ReasonCode
from reconciler.model.types import Address, DesiredState

if TYPE_CHECKING:
    from reconciler.engine.project import PlanRun
    from reconciler.events import EventBus
    from reconciler.state import StateStore


def refuse(plan: Plan, state_id: str, directory: Path) -> None:
    """Raise :class:`OwnedElsewhere` when a change of ``plan`` touches another state's object."""
    lines = [f"{change.address} is {reason.message}"
             for change in plan.changes for reason in change.reasons
             if reason.code is ReasonCode.OWNED_ELSEWHERE]
    if not lines:
        return
    raise OwnedElsewhere(
        "refusing to apply: objects this plan would change are owned by another state\n  "
        + "\n  ".join(lines)
        + f"\nthis state: id {state_id}, dir {directory}",
        hint="stop the other checkout's services first, or re-run with --adopt to take "
             "them over (recorded in the audit log)")


def takeovers(observed: Mapping[Address, Observed],
              desired: DesiredState) -> list[tuple[Address, Mapping[str, str]]]:
    """The desired objects another state's id marks (taken over by an ``--adopt`` apply)."""
    found: list[tuple[Address, Mapping[str, str]]] = []
    for address, seen in sorted(observed.items()):
        owner = owned_elsewhere(seen)
        if owner is not None and address in desired.resources:
            found.append((address, owner))
    return found


def record_adopted(run: PlanRun, store: StateStore, events: EventBus, run_id: str) -> None:
    """Before apply: audit each take-over (``--adopt``), record objects found by their marks
    (state was lost) whose spec matches, and keep the auto-assigned ports."""
    for address, owner in takeovers(run.observed, run.desired):
        events.emit("node.adopted", address,
                    f"taken over from state {owner.get('state_id') or '?'} "
                    f"(dir {owner.get('dir')}) with --adopt", state_id=owner.get("state_id"),
                    dir=owner.get("dir"))
    records = store.resources()
    for address, seen in run.observed.items():
        resource = run.desired.resources.get(address)
        if resource is None or address in records or not seen.adopted \
                or owned_elsewhere(seen) is not None:
            continue
        if seen.spec_hash == resource.hash():
            store.record(address, spec=resource.portable_spec(), spec_hash=resource.hash(),
                         depends_on=tuple(str(d.target) for d in resource.depends_on),
                         facts=dict(seen.facts), status=seen.status.value, run_id=run_id)
            events.emit("node.adopted", address, "re-adopted from its ownership marks")
    for resource in run.desired.resources.values():
        port = primary_port(resource.spec)
        if port is not None:
            store.allocate(str(resource.address), port)
