"""Engine values as the JSON the page shows, every secret masked as in the CLI.

Masking is the plan renderers' (:func:`reconciler.render.plan_values.mask`: secret markers and
secret-looking names) plus the project's redactor (clear secret values anywhere in a string).
Pure: callers pass the desired state, plan, records and audit rows in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from reconciler.render.desired import value_sources
from reconciler.render.plan_values import mask, show

if TYPE_CHECKING:
    from reconciler.config.raw import RawDocument
    from reconciler.engine.plan import Plan
    from reconciler.model.types import DesiredState
    from reconciler.state.records import ResourceRecord

Redact = Callable[[str], str]


def scrub(value: Any, redact: Redact, name: str = "") -> Any:
    """``value`` masked by name/marker, then every string passed through ``redact``."""
    masked = mask(value, name)
    if isinstance(masked, Mapping):
        return {k: scrub(v, redact, k) for k, v in masked.items()}
    if isinstance(masked, list):
        return [scrub(v, redact, name) for v in masked]
    return redact(masked) if isinstance(masked, str) else masked


def edges(desired: DesiredState) -> list[dict[str, str]]:
    """Dependency edges (from what starts first to what depends on it)."""
    return [{"from": str(dep.target), "to": str(r.address), "condition": str(dep.condition)}
            for r in desired.ordered() for dep in r.depends_on]


def layers(nodes: list[str], links: list[dict[str, str]]) -> dict[str, int]:
    """Each node's depth in the DAG (0 = depends on nothing), for the column layout."""
    depth = dict.fromkeys(nodes, 0)
    for _ in range(len(nodes)):
        moved = False
        for link in links:
            if link["from"] in depth and link["to"] in depth \
                    and depth[link["to"]] <= depth[link["from"]]:
                depth[link["to"]] = depth[link["from"]] + 1
                moved = True
        if not moved:
            break
    return depth


def detail(address: str, desired: DesiredState, records: Mapping[Any, ResourceRecord],
           history: list[dict[str, Any]], redact: Redact,
           docs: Sequence[RawDocument] = ()) -> dict[str, Any] | None:
    """One node: masked spec, source file:line, the file:line:col each value was written at
    (``sources``, as ``config show`` gives them), recorded facts, its last audit event."""
    resource = next((r for r in desired.resources.values() if str(r.address) == address), None)
    record = next((r for a, r in records.items() if str(a) == address), None)
    if resource is None and record is None:
        return None
    mine = [e for e in history if e.get("address") == address]
    return {
        "address": address,
        "spec": scrub(dict(resource.spec if resource else record.spec if record else {}),
                      redact),
        "source": str(resource.source) if resource is not None and resource.source else None,
        "sources": value_sources(resource, docs) if resource is not None else {},
        "depends_on": [str(d.target) for d in resource.depends_on] if resource else [],
        "facts": scrub(dict(record.facts), redact) if record is not None else {},
        "last_change": scrub(mine[-1], redact) if mine else None,
    }


def plan_view(plan: Plan, redact: Redact) -> dict[str, Any]:
    """The plan's changes in apply order with their field diffs (values masked)."""
    changes = []
    for node in plan.order():
        change = plan.graph.nodes[node]["change"]
        changes.append({
            "address": str(change.address), "action": change.action.value,
            "reason": redact(change.reason_text()),
            "diffs": [{"path": d.path, "before": redact(show(d.before, d.path.rsplit(".", 1)[-1])),
                       "after": redact(show(d.after, d.path.rsplit(".", 1)[-1])),
                       "replace": d.forces_replace} for d in change.field_diffs]})
    return {"inputs_hash": plan.inputs_hash, "summary": plan.summary(),
            "has_changes": plan.has_changes, "changes": changes}


def history_view(runs: list[dict[str, Any]], decisions: Callable[[str], list[dict[str, Any]]],
                 redact: Redact) -> list[dict[str, Any]]:
    """Runs newest first, each with its policy decisions."""
    return [scrub({**run, "decisions": decisions(str(run["id"]))}, redact) for run in runs]
