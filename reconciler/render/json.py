"""The versioned JSON document of a plan (``reconciler plan --json``).

Its shape is the pydantic model :class:`reconciler.render.plan_schema.PlanDocument`, published
as ``schemas/plan.schema.json``; this module builds the plain dict without importing pydantic.
Secrets are masked exactly as in the text rendering. ``format_version`` changes only when a
field changes meaning or disappears; new fields may be added within a version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.model.changes import Change
from reconciler.render.plan_values import leaf_name, mask

if TYPE_CHECKING:
    from reconciler.engine.plan import Plan

DOCUMENT_VERSION = "1"


def change_entry(change: Change, depends_on: tuple[str, ...]) -> dict[str, object]:
    address = change.address
    return {
        "address": str(address),
        "kind": address.kind,
        "name": address.name,
        "host": address.host,
        "action": change.action.verb,
        "reasons": [{"code": r.code.value, "message": r.message} for r in change.reasons],
        "field_diffs": [{"path": d.path, "before": mask(d.before, leaf_name(d.path)),
                         "after": mask(d.after, leaf_name(d.path)),
                         "forces_replace": d.forces_replace} for d in change.field_diffs],
        "before": mask(change.before),
        "after": mask(change.after),
        "source": None if change.source is None else str(change.source),
        "depends_on": list(depends_on),
    }


def plan_document(plan: Plan) -> dict[str, object]:
    """The plan as a JSON-able dict, valid against ``schemas/plan.schema.json``."""
    return {
        "format_version": DOCUMENT_VERSION,
        "project": plan.project,
        "scope": plan.scope,
        "summary": plan.summary(),
        "has_changes": plan.has_changes,
        "targets": list(plan.targets),
        "changes": [change_entry(c, tuple(plan.depends.get(str(c.address), ())))
                    for c in plan.changes],
        "order": plan.order(),
    }
