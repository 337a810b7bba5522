"""What the watcher tells the world: ``watch.*`` events, state runs and record facts.

:class:`Reporter` turns the watcher's decisions into (1) events on ``Project.events`` for the
live stream, (2) state runs of kind ``watch`` for outcomes that apply nothing (``invalid``,
``held``; applies are recorded by ``Project.execute``), and (3) the ``watch`` entry of a
record's facts (``{"state": "restarting" | "crash-loop" | "ok", "restarts", "retry_in",
"at"}``), which ``reconciler status --json`` and the state database show. It decides
nothing; the watcher calls it once per change of situation, so nothing piles up.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from reconciler.errors import ConfigError, Severity
from reconciler.model.types import Address
from reconciler.watch.backoff import Backoff
from reconciler.watch.budget import PENDING_PLAN, save_pending

if TYPE_CHECKING:
    from reconciler.engine.project import PlanRun, Project


class Reporter:
    """Events, runs and facts for one watcher (see the module docstring)."""

    def __init__(self, project: Project, backoff: Backoff):
        self.project = project
        self.restarts = backoff

    @staticmethod
    def invalid_text(exc: ConfigError) -> str:
        return "\n".join(d.render() for d in exc.diagnostics if d.severity is Severity.ERROR)

    def invalid(self, exc: ConfigError, *, kept_running: bool) -> None:
        """The configuration is invalid: say where (file:line:col) and that nothing moved."""
        errors = [d for d in exc.diagnostics if d.severity is Severity.ERROR]
        self.project.events.emit(
            "watch.invalid", None, self.invalid_text(exc), kept_running=kept_running,
            diagnostics=[{"summary": d.summary, "hint": d.hint,
                          "where": str(d.source) if d.source else None} for d in errors])
        self.record("invalid", {"errors": len(errors),
                                "first": errors[0].render() if errors else ""})

    def held(self, run: PlanRun, problems: list[str]) -> None:
        """A plan over budget: save it where `reconciler apply FILE` takes it, and say so."""
        path = save_pending(self.project.store.state_dir / PENDING_PLAN, run.plan,
                            self.project.directory, self.project.session)
        self.project.events.emit("watch.held", None, "; ".join(problems), problems=problems,
                                 pending_plan=str(path), summary=run.plan.summary())
        self.record("held", {"problems": problems, "pending_plan": str(path)})

    def backoff(self, address: str, run_id: str | None) -> None:
        """After a restart (or failed start) of ``address``: its backoff, crash loop or not."""
        attempts = self.restarts.attempts(address)
        retry_in = round(self.restarts.retry_in(address), 3)
        crash_loop = self.restarts.crash_loop(address)
        # the state first: whoever sees the events below finds the record already says so
        self.facts(address, {"state": "crash-loop" if crash_loop else "restarting",
                             "restarts": attempts, "retry_in": retry_in,
                             "at": round(time.time(), 3)})
        events = self.project.events
        events.emit("watch.backoff", address,
                    f"restart {attempts}; next restart not before {retry_in:g}s",
                    attempts=attempts, retry_in=retry_in, crash_loop=crash_loop)
        if crash_loop:
            events.emit("watch.crash_loop", address,
                        f"crash loop: {attempts} restarts; backing off {retry_in:g}s",
                        attempts=attempts, retry_in=retry_in)
        if crash_loop and run_id is not None:
            self.project.store.append_event(run_id, "watch.crash_loop", address,
                                            f"crash loop: {attempts} restarts",
                                            {"attempts": attempts, "retry_in": retry_in})

    def facts(self, address: str, facts: dict[str, object]) -> None:
        """Merge ``{"watch": facts}`` into the record of ``address``."""
        # ValueError: never applied (its first start failed); the events say it
        with contextlib.suppress(ValueError):
            self.project.store.update_facts(Address.parse(address), {"watch": facts})

    def record(self, result: str, summary: dict[str, object]) -> None:
        """A state run of kind ``watch`` for an outcome that applied nothing."""
        store = self.project.store
        run_id = store.begin_run("watch", meta={"outcome": result})
        store.end_run(run_id, result=result, summary=summary)
