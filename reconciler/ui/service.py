"""What the dashboard asks of the engine: status snapshots, the plan, details, history, logs.

Every call builds on :class:`~reconciler.engine.project.Project` (the same pipeline as the CLI) and
returns masked JSON-able dicts (:mod:`.views`). Blocking: the app runs these in worker threads.
Local logs are read from ``STATE_DIR/logs/NAME.log`` exactly as ``reconciler logs`` reads
them; remote processes' logs come through :func:`reconciler.cli.hosts_cmds.remote_logs`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.ui import views

if TYPE_CHECKING:
    from reconciler.engine.project import Project
    from reconciler.workflows.remote_logs import RemoteFollow


class Dashboard:
    """``waiting`` (``sync --ui``) says why there is no project yet (no checkout before the
    first sync): until it returns None, status passes show it and nothing else is asked of the
    engine (every other call is a user error naming it)."""

    def __init__(self, make_project: Callable[[], Project],
                 waiting: Callable[[], str | None] | None = None):
        self._make = make_project
        self.waiting = waiting or (lambda: None)
        self._poller: Project | None = None
        self._lock = threading.Lock()
        self.last_plan: dict[str, Any] | None = None

    def make_project(self) -> Project:
        """A fresh project (a user error while ``waiting`` says there is none yet)."""
        why = self.waiting()
        if why is not None:
            from reconciler.errors import UserError

            raise UserError(why, hint="the page fills in after the agent's first sync")
        return self._make()

    @property
    def poller(self) -> Project:
        """The one project the shared poll loop uses (made once the project exists)."""
        if self._poller is None:
            self._poller = self.make_project()
        return self._poller

    def redact(self, text: str) -> str:
        return self.poller.events.redactor(text)

    def collect(self) -> dict[str, Any]:
        """One status pass (observe + health) plus the dependency edges and layout."""
        from reconciler.workflows.status import collect

        why = self.waiting()
        if why is not None and self._poller is None:
            return {"project": None, "session": None, "resources": [], "edges": [],
                    "waiting": why}
        with self._lock:
            rows = collect(self.poller)
            desired, _ = self.poller.desired()
        links = views.edges(desired)
        depth = views.layers([r["address"] for r in rows], links)
        for row in rows:
            row["host"] = row["address"].partition("@")[2] or "local"
            row["layer"] = depth.get(row["address"], 0)
        return {"project": self.poller.project_name, "session": self.poller.session,
                "resources": views.scrub(rows, self.redact), "edges": links}

    def plan(self) -> dict[str, Any]:
        """A fresh plan (observed now), not recorded as a run: what apply would do."""
        project = self.make_project()
        run = project.plan(record=False)

        def redact(text: str) -> str:
            return self.redact(project.events.redactor(text))

        view = views.plan_view(run.plan, redact)
        view["policy"] = [{"address": str(d.address), "outcome": d.outcome.value,
                           "reason": redact(d.reason), "approved": d.approved}
                          for d in run.policy.final]
        self.last_plan = view
        return view

    def detail(self, address: str) -> dict[str, Any] | None:
        from reconciler.config import load

        with self._lock:
            desired, _ = self.poller.desired()  # ports as recorded (allocated), not asked
            records = self.poller.store.resources()
            history = self.poller.store.events(limit=2000)
            docs, _ = load(self.poller.directory)  # where each value was written
        return views.detail(address, desired, records, history, self.redact, docs)

    def history(self, limit: int = 30) -> list[dict[str, Any]]:
        store = self.poller.store
        runs = store.runs(limit)
        return views.history_view(runs, lambda run_id: store.decisions(run_id=run_id),
                                  self.redact)

    def run_events(self, run_id: str) -> list[dict[str, Any]]:
        return [views.scrub(e, self.redact) for e in self.poller.store.events(run_id=run_id)]

    # -- logs --------------------------------------------------------------------------------

    @property
    def log_dir(self) -> Path:
        return self.poller.store.state_dir / "logs"

    def load_secrets(self) -> None:
        """Teach the redactor every secret of the configuration before log lines are shown
        (the first status pass may not have run yet); a UserError while the configuration
        does not load: its secrets unknown, no line is shown, as ``reconciler logs`` does."""
        from reconciler.errors import ConfigError, UserError

        with self._lock:
            try:
                self.poller.desired(allocate=False)
            except ConfigError as exc:
                raise UserError("the configuration does not load, so the secrets in the logs "
                                "cannot be masked: " + exc.render_short(),
                                hint="fix it first (`reconciler validate` shows every "
                                     "problem)") from None

    def log_names(self) -> list[str]:
        return sorted(p.stem for p in self.log_dir.glob("*.log"))

    def log_path(self, name: str) -> Path | None:
        """The log file of service ``name`` (None for an unknown or unsafe name)."""
        if name not in self.log_names():
            return None
        return self.log_dir / f"{name}.log"

    def remote_tail(self, lines: int, names: list[str] | None = None) -> list[str]:
        from reconciler.workflows.remote_logs import remote_logs

        project = self.make_project()
        shown, _ = remote_logs(project, names or [], lines)  # loads its config: its redactor
        return [self.redact(project.events.redactor(line)) for line in shown]

    def remote_names(self) -> list[str]:
        """``name@host`` of each process and task on an SSH host (their logs live there)."""
        from reconciler.workflows.remote_logs import remote_records

        return [f"{a.name}@{a.host}" for a in remote_records(self.poller, [])]

    def remote_follow(self, service: str) -> RemoteFollow | None:
        """A follow of the remote logs (one service ``name@host``, or all of them when
        ``service`` is empty); None when there are none (or no project yet)."""
        from reconciler.errors import UserError
        from reconciler.workflows.remote_logs import RemoteFollow, remote_records

        try:
            project = self.make_project()
        except UserError:
            return None
        addresses = remote_records(project, [service] if service else [])
        if not addresses:
            return None
        project.desired(allocate=False)  # loads its config: feeds its redactor
        return RemoteFollow(project, addresses)

    def redact_remote(self, follow: RemoteFollow, line: str) -> str:
        return self.redact(follow.project.events.redactor(line))
