"""``reconciler watch``: the level-triggered loop that keeps the world equal to the files.

Sources (:mod:`reconciler.watch.sources`: file saves, process exits, Docker events) and timers
(full observation, backoff expiry, busy lease) only enqueue addresses into a WorkQueue; each
reconcile re-reads the config and re-observes through ``Project.plan/locked/execute``:

1. plan without the lease; an invalid configuration tears nothing down: the diagnostics are
   reported and the last good desired state is kept (dead things are still healed);
2. hold back addresses in restart backoff (:mod:`reconciler.watch.backoff`);
3. a plan over the blast-radius budget (:mod:`reconciler.watch.budget`) is saved to
   ``<state_dir>/pending.plan`` and reported, not applied (so is one policy.yaml refuses);
4. otherwise take the lease (busy: retry later), plan again and apply; the apply is a state
   run of kind ``watch``. Crash loops are written to the record's ``facts["watch"]``.

It never prints: ``watch.*`` events go to ``Project.events`` (:mod:`reconciler.watch.report`).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from reconciler.engine.project import PlanRun
from reconciler.errors import ConfigError, LockedError, ReconcilerError, Refused
from reconciler.events import Event
from reconciler.model.types import LOCAL_HOST, DesiredState
from reconciler.watch.backoff import Backoff, BackoffPolicy
from reconciler.watch.budget import Budget, is_heal, violations, without
from reconciler.watch.options import WatchOptions as WatchOptions  # re-exported
from reconciler.watch.pids import PidPoller
from reconciler.watch.queue import ALL, EXITED, Batch, WorkQueue
from reconciler.watch.report import Reporter
from reconciler.watch.sources import DockerEvents, FileSource

if TYPE_CHECKING:
    from reconciler.engine.plan import Plan
    from reconciler.engine.project import Project


def eager(batch: Batch) -> bool:
    """Whether ``batch`` was woken by a save or a process/container exit (not only a timer)."""
    return any(r.startswith(("saved ", EXITED, "container ")) for r in batch.reasons)


class Watcher:
    """One watch of one project; :meth:`run` blocks until :meth:`stop`."""

    def __init__(self, project: Project, options: WatchOptions | None = None, *,
                 clock: Callable[[], float] = time.monotonic):
        self.project = project
        self.options = opts = options or WatchOptions()
        self.events = project.events
        self.clock = clock
        self.queue = WorkQueue(opts.debounce, clock)
        self.backoff = Backoff(BackoffPolicy(base=opts.backoff_base,
                                             cap=max(opts.backoff_cap, opts.backoff_base)),
                               clock)
        self.budget = Budget(opts.max_replace, opts.max_delete)
        self.files = FileSource(project.directory, self.queue)
        self.pids = PidPoller(self.queue, opts.poll, reap=self._reap)
        self.docker: DockerEvents | None = None
        self.report = Reporter(project, self.backoff)
        self.reconciles = 0
        self._last_good: DesiredState | None = None
        self._invalid: str | None = None  # the diagnostics last reported
        self._held: str | None = None  # the inputs hash of the plan last held
        self._in_sync = False
        self._run_id: str | None = None
        self._stopping = threading.Event()
        self.events.subscribe(self._capture_run)

    # -- lifecycle ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to end after the reconcile in progress (safe from signal handlers)."""
        self._stopping.set()
        self.queue.close()

    def run(self) -> None:
        opts = self.options
        self.events.emit("watch.start", None, f"watching {self.project.directory.resolve()}",
                         debounce=opts.debounce, interval=opts.interval,
                         max_replace=opts.max_replace, max_delete=opts.max_delete)
        self.files.start()
        self.pids.start()
        self.queue.add(None, "watch started")
        try:
            while not self._stopping.is_set():
                batch = self.queue.take()
                self.files.check()
                if batch is not None and not self._stopping.is_set():
                    self.reconcile(batch)
        finally:
            self.files.stop()
            self.pids.stop()
            if self.docker is not None:
                self.docker.stop()
            if opts.down_on_exit:
                self._down()
            self.events.emit("watch.stop", None, "stopped; the services " + (
            "were removed" if opts.down_on_exit else "keep running"), reconciles=self.reconciles)

    # -- one reconcile -----------------------------------------------------------------------

    def reconcile(self, batch: Batch) -> str:
        """Plan, check backoff and budget, apply under the lease; returns the outcome."""
        self.reconciles += 1
        interval = self.options.interval
        jitter = interval * self.options.jitter * random.uniform(-1.0, 1.0)
        self.queue.at("interval", self.clock() + interval + jitter, "interval")
        self.events.emit("watch.reconcile", None, "; ".join(batch.reasons),
                         reasons=list(batch.reasons),
                         addresses=sorted(a for a in batch.addresses if a != ALL))
        try:
            outcome = self._reconcile_eager() if eager(batch) else self._reconcile()
        except ReconcilerError as exc:
            outcome = "error"
            self.events.emit("watch.error", None, exc.render(), error=exc.render_short())
        finally:
            self._track_pids()
        self.events.emit("watch.done", None, outcome, outcome=outcome)
        return outcome

    def _reconcile_eager(self) -> str:
        """A save or an exit almost always means work: take the lease first and plan once
        under it (the lease-free plan of :meth:`_reconcile` would only be repeated). Busy:
        the lease-free path, which reports and retries as always."""
        try:
            with self.project.locked():
                return self._apply_locked()
        except LockedError:
            return self._reconcile()

    def _reconcile(self) -> str:
        run = self._plan()
        if run is None:
            return "invalid"
        plan = without(run.plan, self._held_back(run.plan))
        if not plan.has_changes and not run.imports:  # imports are recorded under the lease
            self._settle(run.plan)
            return self._sync()
        problems = violations(self.budget, plan, run.desired)
        if problems:
            return self._hold(run, problems)
        try:
            with self.project.locked():
                return self._apply_locked()
        except LockedError as exc:
            self.events.emit("watch.busy", None, exc.render_short(),
                             retry_in=self.options.busy_retry)
            self.queue.at("busy", self.clock() + self.options.busy_retry, "lease retry")
            return "busy"

    def _apply_locked(self) -> str:
        if (run := self._plan()) is None:  # again: the world or the files may have moved
            return "invalid"
        plan = without(run.plan, self._held_back(run.plan))
        if not plan.has_changes:
            if run.imports:  # `adopt:` objects taken over as they run: only records change
                self.project.execute(replace(run, plan=plan), kind="watch")
                self._track_pids()
            self._settle(run.plan)
            return self._sync()
        problems = violations(self.budget, plan, run.desired)
        try:  # a deny, an unapproved require_approval, another state's objects: held
            self.project.enforce(replace(run, plan=plan))
        except Refused as exc:  # a policy deny, or another state's objects (needs --adopt)
            problems.append(exc.render_short())
        if problems:
            return self._hold(run, problems)
        healed = [str(c.address) for c in plan.actionable() if is_heal(c) and not c.field_diffs]
        for address in healed:
            self.backoff.attempted(address)
        self._in_sync = False
        self._run_id = None
        self.pids.paused.set()
        try:
            result = self.project.execute(replace(run, plan=plan),
                                          parallelism=self.options.parallelism, kind="watch")
        finally:
            self._track_pids()
            self.pids.resume()  # a restart that died at once is reported now
        failed = [r.address for r in result.root_causes()]
        for address in failed:
            if address not in healed:
                self.backoff.attempted(address)
        for address in {*healed, *failed}:
            self.report.backoff(address, self._run_id)
        for address in failed:  # nothing else wakes the loop for a start that failed: retry
            when = self.backoff.retry_at(address)  # when its backoff is over
            if when is not None:
                self.queue.at(f"backoff:{address}", when, f"backoff of {address} over")
        self.events.emit("watch.applied", None, "applied" if result.ok else "apply failed",
                         ok=result.ok, applied=result.count("applied"),
                         failed=result.count("failed"), skipped=result.count("skipped"),
                         healed=healed, run_id=self._run_id)
        return "applied" if result.ok else "failed"

    # -- planning ----------------------------------------------------------------------------

    def _plan(self) -> PlanRun | None:
        """A fresh plan; on invalid config, a plan of the last good desired state (heals
        only) after reporting the diagnostics once; None when there is none yet."""
        try:
            run = self.project.plan(record=False)  # decisions only: no run per re-plan
        except ConfigError as exc:
            self._report_invalid(exc)
            return None if self._last_good is None else self._plan_from(self._last_good)
        if self._invalid is not None:
            self._invalid = None
            self.events.emit("watch.valid", None, "the configuration is valid again")
        self._last_good = run.desired
        self._ensure_docker(run.desired)
        return run

    def _plan_from(self, desired: DesiredState) -> PlanRun:
        return self.project.plan(kind="watch", record=False, desired=desired)

    def _held_back(self, plan: Plan) -> set[str]:
        """Addresses waiting out their restart backoff (an edited spec starts afresh)."""
        held: set[str] = set()
        for change in plan.actionable():
            address = str(change.address)
            if change.field_diffs:
                self.backoff.forget(address)
            elif not self.backoff.allowed(address):
                held.add(address)
                when = self.backoff.retry_at(address)
                if when is not None:
                    self.queue.at(f"backoff:{address}", when, f"backoff of {address} over")
        return held

    def _settle(self, plan: Plan) -> None:
        pending = {str(c.address) for c in plan.actionable()}
        for address in self.backoff.tracked():
            if address not in pending and self.backoff.settle(address):
                self.events.emit("watch.recovered", address, "stable again: backoff reset")
                self.report.facts(address, {"state": "ok", "restarts": 0})

    def _sync(self) -> str:
        if self._invalid is not None:
            return "invalid"  # nothing to heal; the diagnostics were reported
        self.events.emit("watch.in_sync", None, "in sync", changed=not self._in_sync)
        self._in_sync = True
        return "in-sync"

    # -- reports (deduplicated: said once until it changes) --------------------------------

    def _report_invalid(self, exc: ConfigError) -> None:
        text = self.report.invalid_text(exc)
        if text != self._invalid:
            self._invalid, self._in_sync = text, False
            self.report.invalid(exc, kept_running=self._last_good is not None)

    def _hold(self, run: PlanRun, problems: list[str]) -> str:
        if run.plan.inputs_hash != self._held:
            self._held, self._in_sync = run.plan.inputs_hash, False
            self.report.held(run, problems)
        return "held"

    # -- helpers -----------------------------------------------------------------------------

    def _capture_run(self, event: Event) -> None:
        if event.kind == "apply.start" and isinstance(event.data.get("run_id"), str):
            self._run_id = str(event.data["run_id"])

    def _reap(self) -> None:  # collect the exited children this watcher started
        self.project.transports.get(LOCAL_HOST).reap()

    def _track_pids(self) -> None:
        pids: dict[str, tuple[int, int]] = {}
        for address, record in self.project.store.resources().items():
            pid, start = record.facts.get("pid"), record.facts.get("start_time")
            if address.kind == "process" and address.host == LOCAL_HOST \
                    and isinstance(pid, int) and isinstance(start, int):
                pids[str(address)] = (pid, start)
        self.pids.track(pids)

    def _ensure_docker(self, desired: DesiredState) -> None:
        if not any(r.kind == "container" for r in desired.resources.values()):
            return
        if self.docker is None or not self.docker.running:
            self.docker = DockerEvents(self.queue, desired.scope, lambda message:
                                       self.events.emit("watch.warning", None, message))
            self.docker.start()

    def _down(self) -> None:
        try:
            with self.project.locked():
                run = self.project.plan(destroy=True)
                if run.plan.has_changes:
                    self.project.execute(run, parallelism=self.options.parallelism,
                                         kind="destroy")
        except ReconcilerError as exc:
            self.events.emit("watch.error", None, exc.render(), error=exc.render_short())
