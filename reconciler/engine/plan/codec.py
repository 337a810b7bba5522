"""Saved plans: :func:`to_json` / :func:`from_json` round-trip a :class:`Plan` losslessly.

The document is versioned (``format_version``); a document of another version is refused with
a PlanError. Specs hold secrets only as keyed-hash markers, so a saved plan never holds a clear
secret value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.engine.plan.core import FORMAT_VERSION, Plan
from reconciler.errors import PlanError, SourceRange
from reconciler.model.changes import Action, ActionReason, Change, FieldDiff, ReasonCode
from reconciler.model.types import Address

if TYPE_CHECKING:
    import networkx as nx


def change_to_json(change: Change) -> dict[str, object]:
    source = change.source
    return {
        "address": str(change.address),
        "action": change.action.verb,
        "before": None if change.before is None else dict(change.before),
        "after": None if change.after is None else dict(change.after),
        "field_diffs": [{"path": d.path, "before": d.before, "after": d.after,
                         "forces_replace": d.forces_replace} for d in change.field_diffs],
        "reasons": [{"code": r.code.value, "message": r.message} for r in change.reasons],
        "source": None if source is None else
        {"file": source.file, "line": source.line, "column": source.column},
        "order": change.order,
    }


ACTIONS_BY_VERB = {a.verb: a for a in Action}


def change_from_json(data: Mapping[str, Any]) -> Change:
    source = data.get("source")
    return Change(
        address=Address.parse(str(data["address"])),
        action=ACTIONS_BY_VERB[str(data["action"])],
        before=data.get("before"),
        after=data.get("after"),
        field_diffs=tuple(FieldDiff(str(d["path"]), d.get("before"), d.get("after"),
                                    bool(d.get("forces_replace", True)))
                          for d in data.get("field_diffs", ())),
        reasons=tuple(ActionReason(ReasonCode(r["code"]), str(r["message"]))
                      for r in data.get("reasons", ())),
        source=None if not source else SourceRange(str(source["file"]), int(source["line"]),
                                                   int(source["column"])),
        order=int(data.get("order", 0)),
    )


def to_json(plan: Plan) -> dict[str, object]:
    """The plan as a JSON-able document (saved with ``plan -out FILE``)."""
    return {
        "format_version": FORMAT_VERSION,
        "project": plan.project,
        "scope": plan.scope,
        "created_at": plan.created_at,
        "inputs_hash": plan.inputs_hash,
        "targets": list(plan.targets),
        "changes": [change_to_json(c) for c in plan.changes],
        "nodes": plan.order(),
        "edges": [[u, v, data] for u, v, data in plan.edges()],
        "depends": {a: list(d) for a, d in plan.depends.items()},
    }


def _graph(changes: tuple[Change, ...], document: Mapping[str, Any]) -> nx.DiGraph[str] | None:
    nodes = set(document["nodes"])
    if not nodes:
        return None
    import networkx as nx

    by_address = {str(c.address): c for c in changes}
    graph: nx.DiGraph[str] = nx.DiGraph()
    for change in changes:
        if str(change.address) in nodes:
            graph.add_node(str(change.address), change=change)
    for u, v, data in document["edges"]:
        if u in by_address and v in by_address:
            graph.add_edge(u, v, **data)
    return graph


def from_json(document: Mapping[str, Any]) -> Plan:
    """Rebuild a Plan saved by :func:`to_json`; PlanError on another format version."""
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise PlanError(f"saved plan has format_version {version!r}; this reconciler reads "
                        f"version {FORMAT_VERSION}", hint="make the plan again with this version")
    try:
        changes = tuple(change_from_json(c) for c in document["changes"])
        return Plan(project=str(document["project"]), scope=str(document["scope"]),
                    changes=changes, dag=_graph(changes, document),
                    depends={str(a): tuple(d) for a, d in document["depends"].items()},
                    created_at=float(document["created_at"]),
                    inputs_hash=str(document["inputs_hash"]),
                    targets=tuple(str(t) for t in document["targets"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanError(f"saved plan is damaged: {exc!r}") from None
