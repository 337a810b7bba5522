"""Apply progress: turns engine events into Terraform-like lines as they happen.

``ProgressPrinter`` is an event subscriber. With colour (a terminal) lines are styled through
rich; without (CI, pipes) they are plain text. The final summary line mirrors Terraform's
``Apply complete! Resources: 1 added, 0 changed, 0 destroyed.``
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, TextIO

from reconciler.events import Event

if TYPE_CHECKING:
    from reconciler.engine.apply import ApplyResult

STYLES = {"node.start": "bold", "node.done": "green", "node.failed": "bold red",
          "node.skipped": "yellow", "node.wait_health": "cyan", "node.healthy": "green",
          "node.retry": "yellow", "node.adopted": "cyan"}
ING = {"create": "Creating...", "replace": "Replacing...", "update": "Updating...",
       "delete": "Destroying..."}
DONE = {"create": "Creation complete", "replace": "Replacement complete",
        "update": "Modifications complete", "delete": "Destruction complete"}


class ProgressPrinter:
    """Subscribe to an EventBus; prints one line per node milestone."""

    def __init__(self, *, color: bool = False, stream: TextIO | None = None):
        self.color = color
        self.stream = stream or sys.stdout
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()
        self._counts = {"create": 0, "update": 0, "replace": 0, "delete": 0}
        self._counted: dict[str, str] = {}  # address -> the action its node.done counted

    def __call__(self, event: Event) -> None:
        line = self.line(event)
        if line is None:
            return
        with self._lock:
            if self.color:
                from rich.console import Console
                from rich.text import Text

                Console(file=self.stream, force_terminal=True, highlight=False).print(
                    Text(line, style=STYLES.get(event.kind, "")))
            else:
                self.stream.write(line + "\n")
                self.stream.flush()

    def line(self, event: Event) -> str | None:
        addr = event.address or ""
        action = str(event.data.get("action", ""))
        if event.kind == "node.start":
            self._started[addr] = time.monotonic()
            reason = event.data.get("reason")
            suffix = f" ({reason})" if reason else ""
            return f"{addr}: {ING.get(action, 'Applying...')}{suffix}"
        if event.kind == "node.wait_health":
            return f"{addr}: Waiting for health ({event.message})"
        if event.kind == "node.healthy":
            return f"{addr}: Healthy"
        if event.kind == "node.done":
            if event.data.get("outcome") == "unchanged":
                return None
            if action in self._counts:
                self._counts[action] += 1
                self._counted[addr] = action
            took = time.monotonic() - self._started.get(addr, time.monotonic())
            return f"{addr}: {DONE.get(action, 'Done')} after {took:.1f}s"
        if event.kind == "node.failed":
            counted = self._counted.pop(addr, None)
            if counted is not None:  # it crashed after it was done (the apply's exit watch)
                self._counts[counted] -= 1
            return f"{addr}: FAILED: {event.message}"
        if event.kind == "node.skipped":
            return f"{addr}: skipped ({event.message})"
        if event.kind == "node.retry":
            return f"{addr}: retrying ({event.message})"
        if event.kind == "node.adopted":
            return f"{addr}: {event.message}"
        return None

    def summary(self, result: ApplyResult, *, destroy: bool = False) -> str:
        c = self._counts
        if destroy:
            head = "Destroy complete!" if result.ok else "Destroy incomplete."
            return f"\n{head} Resources: {c['delete']} destroyed."
        head = "Apply complete!" if result.ok else "Apply incomplete."
        text = (f"\n{head} Resources: {c['create']} added, {c['update']} changed, "
                f"{c['replace']} replaced, {c['delete']} destroyed.")
        if not result.ok:
            text += (f" {result.count('failed')} failed, "
                     f"{result.count('skipped')} skipped (upstream failed).")
        return text
