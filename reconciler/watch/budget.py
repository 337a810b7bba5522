"""The blast-radius budget: which plans the watcher may apply without a human.

A plan is within budget when it

* deletes or replaces no ``protect: true`` resource (for a spec change or an orphan; healing
  a protected resource that died is allowed: it only brings back what is already gone),
* has at most ``max_replace`` replacements caused by a config change (``--max-replace``,
  default 3; drift heals are not counted),
* has at most ``max_delete`` deletes (``--max-delete``, default 0: removing a service from
  the files needs a manual ``apply``).

Anything larger is held: the watcher saves it to ``<state_dir>/pending.plan`` (the format of
``plan -out``) and reports it. :func:`without` trims held-back addresses (restart backoff)
and what depends on them off a plan. Pure, except :func:`save_pending`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.engine.plan import Plan, to_json
from reconciler.model.changes import Action, Change, ReasonCode
from reconciler.model.types import DesiredState

PENDING_PLAN = "pending.plan"
SAVED_PLAN_KIND = "reconciler-saved-plan"  # the kind of `plan -out` files (cli/plan_run.py)


@dataclass(frozen=True)
class Budget:
    max_replace: int = 3
    max_delete: int = 0

    def __post_init__(self) -> None:
        if self.max_replace < 0 or self.max_delete < 0:
            raise ValueError("budget limits cannot be negative")


def is_heal(change: Change) -> bool:
    """A change that only brings back what died (every reason is drift)."""
    return bool(change.reasons) and all(r.code is ReasonCode.DRIFT for r in change.reasons)


def violations(budget: Budget, plan: Plan, desired: DesiredState) -> list[str]:
    """Why ``plan`` is over budget (empty: it may be auto-applied)."""
    found: list[str] = []
    changes = plan.actionable()
    for change in changes:
        resource = desired.resources.get(change.address)
        destructive = change.action is Action.DELETE or (
            change.action is Action.REPLACE and not is_heal(change))
        if resource is not None and resource.protect and destructive:
            found.append(f"{change.address} is protected and would be "
                         f"{'deleted' if change.action is Action.DELETE else 'replaced'}")
    replaces = [c for c in changes if c.action is Action.REPLACE and not is_heal(c)]
    if len(replaces) > budget.max_replace:
        found.append(f"{len(replaces)} replacement(s), more than --max-replace "
                     f"{budget.max_replace}: " + ", ".join(str(c.address) for c in replaces))
    deletes = [c for c in changes if c.action is Action.DELETE]
    if len(deletes) > budget.max_delete:
        found.append(f"{len(deletes)} delete(s), more than --max-delete {budget.max_delete}: "
                     + ", ".join(str(c.address) for c in deletes))
    return found


def without(plan: Plan, held: set[str]) -> Plan:
    """``plan`` minus the held nodes and everything downstream of them."""
    if not held:
        return plan
    import networkx as nx

    drop = {n for n in held if n in plan.graph}
    for node in list(drop):
        drop |= nx.descendants(plan.graph, node)
    graph = plan.graph.copy()
    graph.remove_nodes_from(drop)
    return replace(plan, dag=graph)


def saved_plan_document(plan: Plan, project_dir: Path, session: str | None) -> dict[str, object]:
    """The document ``reconciler plan -out FILE`` writes, so ``apply FILE`` accepts it."""
    return {"kind": SAVED_PLAN_KIND, "format_version": 1,
            "project_dir": str(project_dir.resolve()), "session": session,
            "destroy": False, "plan": to_json(plan)}


def save_pending(path: Path, plan: Plan, project_dir: Path, session: str | None) -> Path:
    """Write the held plan atomically, readable by its owner only; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(saved_plan_document(plan, project_dir, session), indent=2)
                    + "\n")
    temp.chmod(0o600)
    temp.replace(path)
    return path
