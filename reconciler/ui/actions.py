"""Dashboard actions, through the same Project pipeline, lease and policy as the CLI.

``apply`` re-plans under the lease and refuses when the plan's inputs hash differs from the
one the page showed (the world or config changed: the user must look again), then enforces the
policy and executes, exactly like ``reconciler apply PLAN_FILE``. ``restart`` is
``apply -target X -replace X``; ``stop`` is ``destroy -target X``. Each action also appends a
``ui.action`` event (who asked, from where) to the audit log of the run it started.
``approve`` and ``reject`` decide on the plan the page showed (by its inputs hash, re-planned
under the lease like ``apply``) when policy held it for approval, through the same engine path
as ``reconciler approve PLANFILE`` (:mod:`reconciler.engine.approval`): the decision, who
made it and from where go to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.errors import ApplyFailed, UserError

if TYPE_CHECKING:
    from reconciler.engine.project import PlanRun, Project

ACTIONS = ("apply", "restart", "stop", "approve", "reject")
NAMES_A_PLAN = ("apply", "approve", "reject")


def perform(make_project: Callable[[], Project], action: str, *, address: str = "",
            inputs_hash: str = "", client: str = "") -> dict[str, Any]:
    """Run ``action``; returns a summary. Raises ReconcilerError subclasses on refusal."""
    if action not in ACTIONS:
        raise UserError(f"unknown action {action!r}", hint=f"one of {', '.join(ACTIONS)}")
    if action not in NAMES_A_PLAN and not address:
        raise UserError(f"{action} needs a resource address")
    project = make_project()
    with project.locked():
        if action in ("approve", "reject"):
            return _decide(project, action, inputs_hash, client)
        if action == "apply":
            if not inputs_hash:  # never apply a plan nobody looked at
                raise UserError("apply needs the inputs hash of the plan it applies",
                                hint="reload the plan and apply it from the page")
            run = project.plan()
            project.check_saved(run, inputs_hash)
            project.enforce(run)
            kind = "apply"
        elif action == "restart":
            run = project.plan(targets=[address], replace=[address])
            project.enforce(run)
            kind = "apply"
        else:
            run = project.plan(targets=[address], destroy=True)
            project.enforce(run, destroy=True)
            kind = "destroy"
        if not run.plan.has_changes:
            if run.imports and kind == "apply":  # `adopt:` objects taken over as they run
                project.execute(run, kind=kind)  # records them; opens no run
                return {"action": action, "changed": 0,
                        "message": f"imported {len(run.imports)}; nothing else to do"}
            return {"action": action, "changed": 0, "message": "nothing to do"}
        return _execute(project, run, kind, action, address, client)


def _execute(project: Project, run: PlanRun, kind: str, action: str, address: str,
             client: str) -> dict[str, Any]:
    result = project.execute(run, kind=kind)
    apply_run = project.store.runs(1)[0]["id"]
    project.store.append_event(apply_run, "ui.action", address or None,
                               f"{action} requested from the dashboard",
                               {"action": action, "client": client})
    if not result.ok:
        causes = "; ".join(f"{r.address}: {r.message}" for r in result.root_causes())
        raise ApplyFailed(f"{action} failed: {causes}",
                          hint="see the history view; finished nodes are kept")
    return {"action": action, "run": apply_run, "changed": result.count("applied"),
            "message": f"{action} done: {result.count('applied')} applied"}


def _decide(project: Project, action: str, inputs_hash: str, client: str) -> dict[str, Any]:
    from reconciler.engine.approval import approve, operator, reject

    if not inputs_hash:
        raise UserError(f"{action} needs the inputs hash of the plan it decides on",
                        hint="reload the plan and decide from the page")
    run = project.plan(record=False)
    project.check_saved(run, inputs_hash)
    finals = [(str(d.address), d.outcome.value) for d in run.policy.final]
    who = f"{operator()} (dashboard, from {client or 'unknown'})"
    if action == "approve":
        verdict = approve(project.store, finals, inputs_hash=inputs_hash, who=who,
                          what="the plan shown")
        message = (f"approved plan {inputs_hash[:12]} ({', '.join(verdict.addresses)}): "
                   "apply it to go ahead" if verdict.addresses
                   else "approved; nothing in it needed approval")
    else:
        verdict = reject(project.store, finals, inputs_hash=inputs_hash, who=who)
        message = f"rejected plan {inputs_hash[:12]} ({', '.join(verdict.addresses)})"
    return {"action": action, "who": verdict.who, "addresses": list(verdict.addresses),
            "message": message}
