"""The sync panel of ``sync --ui``: what ``sync status`` shows, for the page and ``/api/sync``.

:class:`SyncPanel` reads the agent's own record through
:func:`reconciler.sync.control.status_report` (without health: the dashboard's status loop
observes already) and renders it with ``sync status``'s :func:`status_text`, so the page, the
API and the CLI say the same thing. Before the first checkout it says "waiting for first sync".
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from reconciler.render.sync import short, status_text
from reconciler.sync.control import status_report

WAITING = "waiting for first sync"


class SyncPanel:
    def __init__(self, root: Path, *, session: str | None, state_dir: Path,
                 state_url: str | None = None):
        self.root, self.session, self.state_dir = Path(root).absolute(), session, state_dir
        self.state_url = state_url

    def waiting(self) -> str | None:
        """Why there is no project to show yet (None once a commit is checked out)."""
        return None if (self.root / "checkout" / ".git").exists() else WAITING

    def report(self) -> dict[str, Any]:
        """``sync status --json``'s document plus ``waiting``, ``commit`` and ``text``."""
        report: dict[str, Any] = status_report(self.root, session=self.session,
                                               state_dir=self.state_dir, health=False,
                                               state_url=self.state_url)
        report.pop("resources", None)  # the page's graph shows them, live
        synced = report.get("synced") or {}
        waiting = self.waiting() or (WAITING if not synced else None)
        report.update(waiting=waiting, commit=synced.get("sha"),
                      text=(WAITING + "\n" if waiting else "") + status_text(report))
        return report

    def html(self) -> str:
        """The panel as server-rendered HTML (app.js refreshes it from ``/api/sync``)."""
        report = self.report()
        title = f"sync: {short(report['commit'])}" if report["commit"] else f"sync: {WAITING}"
        return (f'<section id="sync" class="sync-panel"><h2 id="sync-title">'
                f'{html.escape(title)}</h2><pre id="sync-status">'
                f'{html.escape(report["text"])}</pre></section>')
