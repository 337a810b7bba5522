"""The ``reconciler status`` table (rich), from the plain rows of reconciler.workflows.status.

Every cell is a ``rich.text.Text``, never markup: addresses, states and details are data (a
``[``, a ``[/]`` or a ``:name:`` in them is printed as written), and a state or health without a
colour (``-``, ``stopped``) is plain text rather than an empty ``[]...[/]`` tag.
"""

from __future__ import annotations

import io

HEALTH_STYLE = {"healthy": "green", "unhealthy": "red", "starting": "yellow"}
STATE_STYLE = {"running": "green", "completed": "green", "exited": "red", "failed": "red",
               "missing": "red", "absent": "yellow", "orphan": "magenta"}
COLUMNS = ("ADDRESS", "STATE", "PID", "PORT", "HEALTH", "DETAIL")


def render_status(rows: list[dict[str, object]], *, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if not rows:
        return "No resources in the configuration."
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in COLUMNS:
        table.add_column(column)
    for r in rows:
        health = str(r["health"] or "unknown")
        state = str(r["state"])
        table.add_row(
            Text(str(r["address"])),
            Text(state, style=STATE_STYLE.get(state, "") if color else ""),
            Text(str(r["pid"] or "-")), Text(str(r["port"] or "-")),
            Text(health, style=HEALTH_STYLE.get(health, "") if color else ""),
            Text(str(r["detail"] or "")))
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=color, width=140, highlight=False, emoji=False,
            markup=False).print(table)
    return buffer.getvalue().rstrip()
