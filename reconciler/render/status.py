"""The ``reconciler status`` table (rich), from the plain rows of reconciler.workflows.status."""

from __future__ import annotations

import io
from typing import Any

HEALTH_STYLE = {"healthy": "green", "unhealthy": "red", "starting": "yellow"}
STATE_STYLE = {"running": "green", "completed": "green", "exited": "red", "failed": "red",
               "missing": "red", "absent": "yellow", "orphan": "magenta"}


def render_status(rows: list[dict[str, Any]], *, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("ADDRESS", "STATE", "PID", "PORT", "HEALTH", "DETAIL"):
        table.add_column(column)
    for r in rows:
        health = r["health"] or "unknown"
        state = r["state"]
        table.add_row(
            r["address"],
            f"[{STATE_STYLE.get(state, '')}]{state}[/]" if color else state,
            str(r["pid"] or "-"), str(r["port"] or "-"),
            f"[{HEALTH_STYLE.get(health, '')}]{health}[/]" if color else health,
            r["detail"] or "")
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=color, width=140, highlight=False).print(table)
    if not rows:
        return "No resources in the configuration."
    return buffer.getvalue().rstrip()
