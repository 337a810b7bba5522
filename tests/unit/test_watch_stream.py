"""The watch stream: JSON lines for tools, short timestamped lines for people."""

from __future__ import annotations

import io
import json

from reconciler.events import Event, EventBus
from reconciler.model.secrets import Redactor
from reconciler.render.watch_stream import WatchStream, text_line


def test_json_lines_are_one_versioned_object_each_and_redacted() -> None:
    out = io.StringIO()
    bus = EventBus(Redactor(["hunter2-secret"]))
    bus.subscribe(WatchStream(as_json=True, stream=out))
    bus.emit("watch.reconcile", None, "saved services.yaml", reasons=["saved services.yaml"])
    bus.emit("node.failed", "process.api", "bad token hunter2-secret")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["format_version"] == "1" and first["kind"] == "watch.reconcile"
    assert first["data"] == {"reasons": ["saved services.yaml"]}
    assert second["address"] == "process.api" and "hunter2" not in lines[1]


def test_text_lines_say_what_happened() -> None:
    held = Event("watch.held", None, "1 delete(s)", {"pending_plan": "/s/pending.plan"})
    assert "reconciler apply /s/pending.plan" in (text_line(held) or "")
    invalid = Event("watch.invalid", None, "services.yaml:3:5: error: bad",
                    {"kept_running": True})
    assert "nothing was torn down" in (text_line(invalid) or "")
    assert "services.yaml:3:5" in (text_line(invalid) or "")
    applied = Event("watch.applied", None, "applied",
                    {"ok": True, "applied": 2, "failed": 0, "skipped": 0,
                     "healed": ["process.api"]})
    assert text_line(applied) == "applied: 2 applied, 0 failed, 0 skipped; healed: process.api"
    loop = Event("watch.crash_loop", "process.api", "crash loop: 3 restarts")
    assert text_line(loop) == "process.api: crash loop: 3 restarts"


def test_quiet_periodic_checks_print_nothing() -> None:
    assert text_line(Event("watch.reconcile", None, "", {"reasons": ["interval"]})) is None
    assert text_line(Event("watch.in_sync", None, "in sync", {"changed": False})) is None
    assert text_line(Event("watch.in_sync", None, "in sync", {"changed": True})) is not None
    assert text_line(Event("watch.done", None, "in-sync")) is None


def test_text_stream_stamps_lines_and_shows_a_warning_once() -> None:
    out = io.StringIO()
    stream = WatchStream(stream=out)
    warning = Event("diagnostic", "process.a", "services.yaml:2:1: warning: unset VAR")
    stream(warning)
    stream(warning)
    stream(Event("node.start", "process.a", "create", {"action": "create", "reason": "new"}))
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("services.yaml:2:1: warning: unset VAR")
    assert lines[1].endswith("process.a: Creating... (new)") and lines[1][2] == ":"
