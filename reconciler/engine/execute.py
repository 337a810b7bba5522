"""Running a checked plan as an apply run: the bookkeeping around the applier.

:func:`execute` is :meth:`Project.execute <reconciler.engine.project.Project.execute>`: it
refuses what the policy or ownership forbids, opens the run (kind ``apply``, ``destroy`` or
``watch``) with the plan's summary and hash, journals the node events of the walk, records
the plan's ``adopt:`` imports (the only place they are written; a plan with no changes
records them and opens no run) and adopted objects, loads the actuators of every kind
involved, walks the plan with the :class:`~reconciler.engine.apply.Applier` and closes the
run with its counts. A ``watch`` run ends as soon as its starts are exec'd (no crash grace:
the watcher's pidfd watch sees an early exit as another exit). While the walk runs, records
and journal rows are committed in batches (``StateStore.batched``): a crash can lose the last
batch's records, whose processes the next observe finds by their ownership marks, as it
always found the node in flight.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from reconciler import actuators
from reconciler.engine import ownership
from reconciler.engine.support import kinds_needed

if TYPE_CHECKING:
    from reconciler.engine.apply import ApplyResult
    from reconciler.engine.project import PlanRun, Project

JOURNALED = ("node.start", "node.retry", "node.adopted", "node.healthy")


def execute(project: Project, run: PlanRun, *, parallelism: int, kind: str) -> ApplyResult:
    """Walk ``run``'s plan for ``project`` and record every node (inside its lease)."""
    from reconciler.engine.apply import ApplyResult
    from reconciler.engine.importing import record_imports

    if not run.plan.has_changes:  # nothing starts or stops: only the `adopt:` records change
        record_imports(project, run.imports)  # (a policy rules actions; there are none)
        return ApplyResult()
    project.enforce(run)
    store = project.store
    run_id = store.begin_run(kind, meta={**project.run_meta, "summary": run.plan.summary(),
                                         "inputs_hash": run.plan.inputs_hash,
                                         "plan_run": run.run_id})
    journal = store.journal(run_id, kinds=JOURNALED)
    project.events.subscribe(journal)
    try:
        return _apply(project, run, run_id, parallelism, kind)
    finally:
        project.events.unsubscribe(journal)


def _apply(project: Project, run: PlanRun, run_id: str, parallelism: int,
           kind: str) -> ApplyResult:
    from reconciler.engine.apply import CRASH_GRACE, Applier
    from reconciler.engine.importing import record_imports

    loaded = {kind_: actuators.load(kind_)
              for kind_ in kinds_needed(run.plan.changes, run.desired)}
    applier = Applier(run.plan, run.desired, loaded, project.context_for, project.store,
                      run_id, project.events, parallelism=parallelism,
                      grace=0.0 if kind == "watch" else CRASH_GRACE)
    started = time.monotonic()
    with project.store.batched():
        record_imports(project, run.imports)
        ownership.record_adopted(run, project.store, project.events, run_id)
        result = applier.run()
    project.store.end_run(run_id, result="ok" if result.ok else "failed",
                          summary={"applied": result.count("applied"),
                                   "failed": result.count("failed"),
                                   "skipped": result.count("skipped"),
                                   "seconds": round(time.monotonic() - started, 3)})
    return result
