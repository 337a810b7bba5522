"""What ``reconciler sync`` shows: its live lines and the ``sync status`` table.

:class:`SyncStream` is the watch stream plus the agent's ``sync.*`` events (new commit,
verified, refused with file:line:col, synced, kept, pinned, standby). :func:`status_text`
renders the dict :func:`reconciler.sync.control.status_report` returns (``--json`` prints
that dict as it is).
"""

from __future__ import annotations

import time
from typing import Any

from reconciler.events import Event
from reconciler.render.watch_stream import WatchStream


def short(sha: object) -> str:
    return str(sha)[:12] if sha else "-"


def sync_line(event: Event) -> str | None:
    data, kind = event.data, event.kind
    if kind == "sync.start":
        return (f"sync: {event.message} (fetch every {data.get('interval')}s"
                f"{', prune on' if data.get('prune') else ', prune off'}"
                f"{', signatures verified' if data.get('verify') else ''})")
    if kind in ("sync.commit", "sync.verified", "sync.synced", "sync.kept", "sync.pinned",
                "sync.unpinned", "sync.standby", "sync.refused", "sync.waiting"):
        return f"sync: {event.message}"
    if kind == "sync.error" and data.get("reason") not in ("invalid", "unsigned"):
        return f"sync error: {event.message}"
    return None


class SyncStream(WatchStream):
    """The watch stream with the ``sync.*`` lines (``--json``: every event, as watch)."""

    def line(self, event: Event) -> str | None:
        if event.kind.startswith("sync."):
            return sync_line(event)
        return super().line(event)


def _when(value: object) -> str:
    if not isinstance(value, int | float):
        return ""
    return time.strftime(" (%Y-%m-%d %H:%M:%S)", time.localtime(value))


def status_text(report: dict[str, Any]) -> str:
    following = f"tags {report['tag_pattern']}" if report.get("tag_pattern") \
        else f"branch {report.get('branch') or 'main'}"
    synced = report.get("synced") or {}
    applying = report.get("applying") or {}
    lines = [f"repository: {report.get('url') or '(never synced)'}",
             f"following:  {following}" + (f", path {report['path']}"
                                           if report.get("path") else ""),
             "agent:      " + (f"running (pid {report['agent'].get('pid')} on "
                                f"{report['agent'].get('host')})" if report.get("agent")
                                else "not running"),
             f"tip:        {short(report.get('tip'))}{_when(report.get('fetched_at'))}",
             f"synced:     {short(synced.get('sha'))} {synced.get('subject', '')!s}"
             f"{_when(synced.get('at'))}".rstrip(),
             f"applying:   {short(applying.get('sha')) if applying else '-'}"]
    pin = report.get("pin")
    if pin:
        lines.append(f"pinned:     {short(pin.get('sha'))} (sync rollback; ends when the "
                     "branch moves or with `sync rollback --unpin`)")
    error = report.get("last_error")
    if error:
        lines.append(f"last error: [{error.get('kind')}] commit {short(error.get('commit'))}"
                     f"{_when(error.get('at'))}")
        lines += [f"  {ln}" for ln in str(error.get("message", "")).splitlines()]
    else:
        lines.append("last error: -")
    if report.get("kept"):
        lines.append("kept (left the repository; --prune removes): "
                     + ", ".join(report["kept"]))
    rows = report.get("resources") or []
    if rows:
        lines.append("resources:")
        for row in rows:
            health = row.get("health") or "-"
            lines.append(f"  {row.get('address')!s:<32} {row.get('state')!s:<10} {health}")
    if report.get("resources_error"):
        lines.append(f"resources: {report['resources_error']}")
    return "\n".join(lines)
