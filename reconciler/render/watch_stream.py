"""The live output of ``reconciler watch``: readable lines, or one JSON event per line.

:class:`WatchStream` subscribes to the project's EventBus. ``--json`` writes every event as
``{"format_version", "time", "kind", "address", "message", "data"}`` on one line (events
arrive already redacted by the bus). The text form prints a timestamped line for what
matters to a person: what triggered a reconcile, what changed and was applied (apply
progress through :class:`~reconciler.render.progress.ProgressPrinter`), health, invalid
configuration, held plans, backoff and crash loops. Quiet periodic checks print nothing.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TextIO

from reconciler.events import Event
from reconciler.render.progress import ProgressPrinter

FORMAT_VERSION = "1"
DIAGNOSTICS_REMEMBERED = 256  # warnings already shown (bounded; cleared when full)


def json_line(event: Event) -> str:
    return json.dumps({"format_version": FORMAT_VERSION, "time": round(event.time, 6),
                       "kind": event.kind, "address": event.address,
                       "message": event.message, "data": dict(event.data)},
                      default=str, sort_keys=True)


def labelled(label: str, message: str) -> str:
    """``label: message``, unless the message (a rendered ReconcilerError: ``error: ...`` or
    ``file:line:col: error: ...``) already says it, so no line reads ``error: error:``."""
    first = message.split("\n", 1)[0]
    if first.startswith(f"{label}: ") or f": {label}: " in first:
        return message
    return f"{label}: {message}"


def _strings(value: object) -> list[str]:
    """A list payload (``reasons``, ``healed``) as text; anything else as no items."""
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def text_line(event: Event) -> str | None:
    """The watcher's own events as text; None for events not shown."""
    data, kind, addr = event.data, event.kind, event.address or ""
    if kind == "watch.start":
        return (f"{event.message} (debounce {data.get('debounce')}s, full check every "
                f"{data.get('interval')}s, budget: {data.get('max_replace')} replace(s), "
                f"{data.get('max_delete')} delete(s)); Ctrl-C stops watching")
    if kind == "watch.reconcile":
        reasons = [r for r in _strings(data.get("reasons")) if r != "interval"]
        return f"reconciling: {', '.join(reasons)}" if reasons else None
    if kind == "watch.in_sync":
        return "in sync: nothing to do" if data.get("changed") else None
    if kind == "watch.applied":
        healed = ", ".join(_strings(data.get("healed")))
        head = "applied" if data.get("ok") else "apply FAILED"
        tail = f"; healed: {healed}" if healed else ""
        return (f"{head}: {data.get('applied', 0)} applied, {data.get('failed', 0)} failed, "
                f"{data.get('skipped', 0)} skipped{tail}")
    if kind == "watch.invalid":
        kept = (" nothing was torn down; the last good configuration keeps running"
                if data.get("kept_running") else " nothing applied yet")
        return f"configuration invalid:{kept}\n{event.message}"
    if kind == "watch.valid":
        return event.message
    if kind == "watch.held":
        return (f"plan NOT applied (over the blast-radius budget): {event.message}\n"
                f"  saved to {data.get('pending_plan')}; review it and run "
                f"`reconciler apply {data.get('pending_plan')}`")
    if kind == "watch.backoff":
        return None if data.get("crash_loop") else f"{addr}: {event.message}"
    if kind in ("watch.crash_loop", "watch.recovered"):
        return f"{addr}: {event.message}"
    if kind == "watch.busy":
        return f"the project is locked ({event.message}); retrying in {data.get('retry_in')}s"
    if kind in ("watch.error", "watch.warning"):
        return labelled(kind.split(".")[1], event.message)
    if kind == "watch.stop":
        return event.message
    return None


class WatchStream:
    """An EventBus subscriber writing the watch stream to ``stream`` (stdout)."""

    def __init__(self, *, as_json: bool = False, stream: TextIO | None = None):
        self.as_json = as_json
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._progress = ProgressPrinter(color=False, stream=self.stream)
        self._seen: set[str] = set()

    def __call__(self, event: Event) -> None:
        if self.as_json:
            self._write(json_line(event))
            return
        line = self.line(event)
        if line is not None:
            stamp = time.strftime("%H:%M:%S", time.localtime(event.time))
            self._write("\n".join(f"{stamp} {part}" for part in line.splitlines()))

    def line(self, event: Event) -> str | None:
        if event.kind.startswith("watch."):
            return text_line(event)
        if event.kind == "diagnostic":
            if event.message in self._seen:
                return None
            if len(self._seen) >= DIAGNOSTICS_REMEMBERED:
                self._seen.clear()
            self._seen.add(event.message)
            return event.message
        return self._progress.line(event)

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()
