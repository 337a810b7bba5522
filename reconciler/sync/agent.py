"""``reconciler sync``: the pull agent that makes the running world follow a git ref.

:class:`SyncAgent` is the watcher (:class:`~reconciler.watch.loop.Watcher`) with git in place
of the file source. Every full reconcile (start, ``--interval``, SIGHUP, a webhook POST, a
``sync rollback``) first fetches the private mirror and picks the commit to run: the pinned
one (``sync rollback``) or the ref's tip. A new commit is

1. verified (``--verify-signatures``: unsigned or untrusted commits are refused),
2. checked out into the one stable checkout and validated (config + policy.yaml); an invalid
   commit is refused and the last good commit is checked out again, so nothing is torn down
   and drift is still healed from it; the refusal names the commit and file:line:col,
3. planned, budgeted, policy-checked and applied by the watcher under the project lease.

Without ``--prune`` deletes (services that left the repository) are taken off every plan and
reported as kept. Every event on the bus carries ``commit`` (so does every journal row of a
sync's apply and its run's meta, and every audit row it writes: run.start, state.record,
lease.*, see :meth:`~reconciler.state.store.StateStore.stamp`); refusals are state runs of
kind ``sync``. The state of the agent is :class:`~reconciler.sync.status.SyncStatus`; one
agent per project (:class:`~reconciler.sync.status.AgentLock`), the others wait as standbys.
What it follows is :class:`~reconciler.sync.options.SyncOptions` (re-exported here); pins
from ``sync rollback`` arrive through reconciler/sync/pin.py.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from reconciler.errors import ConfigError, GitError, ReconcilerError, SignatureRefused
from reconciler.model.changes import Action
from reconciler.sync import pin
from reconciler.sync.git import Commit, GitMirror
from reconciler.sync.options import SyncOptions
from reconciler.sync.pin import PIN_REQUEST
from reconciler.sync.stamp import StampedBus, refusal_text
from reconciler.sync.status import AgentLock, SyncStatus
from reconciler.watch.budget import without
from reconciler.watch.loop import Watcher, WatchOptions
from reconciler.watch.queue import Batch
from reconciler.watch.sources import NullSource

if TYPE_CHECKING:
    from reconciler.engine.plan import Plan
    from reconciler.engine.project import PlanRun, Project

STANDBY_POLL = 1.0
__all__ = ["PIN_REQUEST", "STANDBY_POLL", "SyncAgent", "SyncOptions"]


class SyncAgent(Watcher):
    """One agent following one ref for one project; :meth:`run` blocks until :meth:`stop`."""

    def __init__(self, project: Project, mirror: GitMirror, options: SyncOptions):
        super().__init__(project, WatchOptions(
            debounce=0.0, interval=options.interval, poll=options.poll,
            max_replace=options.max_replace,
            max_delete=options.max_delete if options.prune else 0,
            parallelism=options.parallelism))
        self.files = NullSource()  # type: ignore[assignment]
        self.sync = options
        self.mirror = mirror
        self.root = mirror.root
        self.lock = AgentLock(self.root)
        self.status = SyncStatus.load(self.root)
        self.status.url, self.status.branch = options.url, options.branch
        self.status.tag_pattern, self.status.path = options.tag_pattern, options.path
        self.head: str | None = None  # the commit the checkout holds (valid)
        self.candidate: Commit | None = None  # checked out, valid, not applied in full yet
        self.kept: tuple[str, ...] = ()
        self.waiting: set[str] = set()  # changes held back by the restart backoff
        self.bus = project.events if isinstance(project.events, StampedBus) else None

    # -- lifecycle ---------------------------------------------------------------------------

    def trigger(self, reason: str) -> None:
        """Fetch now (SIGHUP, webhook, rollback): safe from signal handlers and threads."""
        self.queue.add(None, reason)

    def acquire(self, stopping: threading.Event | None = None) -> bool:
        """Become the project's agent, waiting as a standby while another one is."""
        reported = False
        while not self.lock.try_acquire():
            if not reported:
                holder = self.lock.holder() or {}
                self.events.emit("sync.standby", None,
                                 f"another sync agent (pid {holder.get('pid')} on "
                                 f"{holder.get('host')}) holds this project; standing by",
                                 holder=holder)
                reported = True
            if (stopping or self._stopping).wait(STANDBY_POLL):
                return False
        self.status = SyncStatus.load(self.root)  # what the previous agent left
        self.status.url, self.status.branch = self.sync.url, self.sync.branch
        self.status.tag_pattern, self.status.path = self.sync.tag_pattern, self.sync.path
        self.status.agent = self.lock.holder()
        self._save()
        return True

    def run(self) -> None:
        if not self.lock.held and not self.acquire():
            return
        try:
            self._start()
            self.events.emit("sync.start", None, f"following {self.sync.following} of "
                             f"{self.sync.url}", url=self.sync.url, ref=self.sync.following,
                             interval=self.sync.interval, prune=self.sync.prune,
                             verify=self.sync.keyring is not None)
            super().run()
        finally:
            self.status.agent = None
            self.status.applying = None
            self._save()
            self.lock.release()

    def once(self) -> str:
        """One fetch + reconcile (``--once``); the outcome (``applied``, ``in-sync``, ...)."""
        if not self.lock.held and not self.acquire():
            return "stopped"
        try:
            self._start()
            outcome = self.reconcile(Batch(frozenset({"*"}), ("once",)))
        finally:
            self.status.agent = None
            self._save()
            self.lock.release()
        return outcome

    # -- one reconcile: fetch, pick, check out, then the watcher's reconcile ---------------

    def reconcile(self, batch: Batch) -> str:
        refused = self._advance() if batch.full else None
        outcome = super().reconcile(batch)
        self._after(outcome)
        if refused is not None and outcome in ("in-sync", "applied"):
            return "refused"
        return outcome

    def _advance(self) -> str | None:
        """Fetch and move the checkout to the commit to run; a refusal's text, or None."""
        self._take_requests()
        try:
            self.mirror.fetch()
            ref, tip = self.mirror.resolve(self.sync.branch, self.sync.tag_pattern)
        except GitError as exc:
            self._error(None, exc.render_short(), "fetch")
            return exc.render_short()
        self.status.ref, self.status.tip = ref, tip
        self.status.fetched_at = _now()
        pin = self.status.pin
        if pin is not None and tip != pin.get("tip"):
            self.events.emit("sync.unpinned", None, f"{ref} moved to {tip[:12]}: the pin on "
                             f"{str(pin['sha'])[:12]} ends", commit=tip, pinned=pin["sha"])
            self.status.pin = pin = None
        target = str(pin["sha"]) if pin is not None else tip
        if target == self.head or target in self.status.refused:
            self._save()
            return self.status.refused.get(target)
        return self._switch(self.mirror.commit(target))

    def _switch(self, commit: Commit) -> str | None:
        self._stamp(commit.sha)
        self.candidate = None
        self.events.emit("sync.commit", None, f"new commit {commit.short} {commit.subject!r}",
                         commit=commit.sha, subject=commit.subject, author=commit.author)
        try:
            if self.sync.keyring is not None:
                report = self.mirror.verify(commit.sha, self.sync.keyring)
                self.events.emit("sync.verified", None, f"signature of {commit.short} "
                                 "verified", commit=commit.sha, report=report[-300:])
            self.status.applying = {"sha": commit.sha, "subject": commit.subject,
                                    "since": _now()}
            self._save()
            self.mirror.check_out(commit.sha)
            self.project.desired()
            self.project.policy()
        except (ConfigError, SignatureRefused) as exc:
            return self._refuse(commit, exc)
        except ReconcilerError as exc:
            self._error(commit.sha, exc.render_short(), "checkout")
            self._restore()
            return exc.render_short()
        self.head, self.candidate = commit.sha, commit
        return None

    def _refuse(self, commit: Commit, exc: ReconcilerError) -> str:
        """An invalid or unsigned commit: say why (file:line:col), keep the last good one."""
        kind = "unsigned" if isinstance(exc, SignatureRefused) else "invalid"
        text = refusal_text(commit.sha, exc, self.mirror.checkout)
        self.status.refused[commit.sha] = text
        self._error(commit.sha, text, kind)
        self.events.emit("sync.refused", None, text, commit=commit.sha, reason=kind,
                         kept=self.status.synced["sha"] if self.status.synced else None)
        store = self.project.store
        run_id = store.begin_run("sync", meta={"commit": commit.sha, "outcome": kind})
        store.end_run(run_id, result=kind, summary={
            "commit": commit.sha, "error": " ".join(text.splitlines()[:2])})
        self._restore()
        return text

    def _restore(self) -> None:
        """Check the last good commit out again (what runs stays what the files say)."""
        self.status.applying = None
        good = self.head or (self.status.synced or {}).get("sha")
        self._stamp(good)
        if good is not None:
            self.mirror.check_out(str(good))
            self.head = str(good)
        self._save()

    def _after(self, outcome: str) -> None:
        commit = self.candidate
        if commit is None:
            self._save()
            return
        if outcome in ("applied", "in-sync") and self.waiting:
            self.events.emit("sync.waiting", None, f"commit {commit.short}: waiting out the "
                             "restart backoff of " + ", ".join(sorted(self.waiting)),
                             commit=commit.sha, addresses=sorted(self.waiting))
        elif outcome in ("applied", "in-sync"):
            self.status.mark_synced(commit.sha, commit.subject, self._run_id)
            if self.status.last_error and self.status.last_error.get("commit") == commit.sha:
                self.status.last_error = None
            self.events.emit("sync.synced", None, f"synced {commit.short} "
                             f"{commit.subject!r}", commit=commit.sha, run_id=self._run_id)
            self.candidate = None
        else:
            self._error(commit.sha, f"commit {commit.short}: reconcile ended {outcome}; "
                        "retried on the next fetch", outcome)
        self._save()

    # -- plans: no deletes without --prune ---------------------------------------------------

    def _held_back(self, plan: Plan) -> set[str]:
        """The watcher's restart backoff; a commit is not synced while it holds a change."""
        held = super()._held_back(plan)
        self.waiting = held
        return held

    def _plan(self) -> PlanRun | None:
        if self.head is None:  # no valid commit checked out yet (e.g. the first one refused)
            return None
        run = super()._plan()
        if run is None or self.sync.prune:
            return run
        orphans = sorted(str(c.address) for c in run.plan.actionable()
                         if c.action is Action.DELETE)
        if tuple(orphans) != self.kept:
            self.kept = tuple(orphans)
            if orphans:
                self.events.emit("sync.kept", None, "not in the repository any more, kept "
                                 "running (--prune removes them): " + ", ".join(orphans),
                                 addresses=orphans)
        return replace(run, plan=without(run.plan, set(orphans))) if orphans else run

    # -- requests from `sync rollback` while we run -----------------------------------------

    def _take_requests(self) -> None:
        pin.take(self.root, self.status, self.events.emit)

    # -- helpers -----------------------------------------------------------------------------

    def _start(self) -> None:
        """Clone once; trust the checkout only when it holds the synced commit."""
        self.mirror.ensure()
        head = self.mirror.head()
        self.head = head if head is not None and head == (self.status.synced or {}).get(
            "sha") else None
        self._stamp(self.head)

    def _stamp(self, sha: str | None) -> None:
        if self.bus is not None:
            self.bus.commit = sha
        self.project.run_meta["commit"] = sha
        if "store" in vars(self.project):  # else the store stamps itself when it opens
            self.project.store.stamp(commit=sha)  # and every audit row written from now on

    def _error(self, sha: str | None, message: str, kind: str) -> None:
        self.status.last_error = {"commit": sha, "message": message, "kind": kind,
                                  "at": _now()}
        self.events.emit("sync.error", None, message, commit=sha, reason=kind)

    def _save(self) -> None:
        self.status.kept = list(self.kept)
        self.status.save(self.root)


def _now() -> float:
    import time

    return round(time.time(), 3)

