"""``status --watch``: the status table redrawn in place on a terminal, or, when the output is
piped, one line per change (``ADDRESS: OLD -> NEW``) so logs and scripts can follow it.
Ctrl-C ends it quietly."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any

from reconciler.cli.common import echo

Rows = list[dict[str, Any]]
MAX_INTERVAL_S = 86400  # a day: time.sleep refuses what does not fit a C timestamp


def _summary(row: dict[str, Any]) -> str:
    health = row.get("health")
    return f"{row.get('state')}" + (f" ({health})" if health and health != "-" else "")


def changes(before: dict[str, str], rows: Rows) -> tuple[dict[str, str], list[str]]:
    """The new per-address summaries and a line for each that changed (pure)."""
    now = {str(r["address"]): _summary(r) for r in rows}
    lines = [f"{a}: {s}" if a not in before else f"{a}: {before[a]} -> {s}"
             for a, s in now.items() if before.get(a) != s]
    lines += [f"{a}: {s} -> gone" for a, s in before.items() if a not in now]
    return now, lines


def follow_status(collect: Callable[[], Rows], render: Callable[[Rows], str],
                  interval: float) -> None:
    if not math.isfinite(interval) or not 0 <= interval <= MAX_INTERVAL_S:
        from reconciler.errors import UserError

        raise UserError(f"--interval {interval:g} is not a number of seconds between 0 and "
                        f"{MAX_INTERVAL_S}", hint="e.g. --interval 2")
    tty = sys.stdout.isatty()
    seen: dict[str, str] = {}
    try:
        while True:
            rows = collect()
            if tty:
                echo("\x1b[H\x1b[2J" + render(rows) + f"\n\nevery {interval:g}s; Ctrl-C to stop")
            else:
                seen, lines = changes(seen, rows)
                stamp = time.strftime("%H:%M:%S")
                for line in lines:
                    echo(f"{stamp} {line}")
                sys.stdout.flush()
            time.sleep(max(0.2, interval))
    except KeyboardInterrupt:
        return
