"""What ``reconciler watch`` says when Docker is not there: the docker SDK's exception is mapped
by the engine boundary into one line with a hint, and a rendered error is never labelled
twice (``error: error: ...``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import TerminalError
from reconciler.events import Event
from reconciler.render.watch_stream import text_line
from reconciler.watch.queue import WorkQueue
from reconciler.watch.sources import DockerEvents, events_error


def test_no_engine_is_one_line_with_a_hint(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    said: list[str] = []
    source = DockerEvents(WorkQueue(0.1), "scope-x", said.append)
    source.start()  # a real docker SDK client against a socket that does not exist
    try:
        assert not source.running and len(said) == 1
    finally:
        source.stop()
    message = said[0]
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith("cannot follow docker events: cannot reach the Docker engine at "
                              f"unix://{tmp_path}/no-engine.sock: no engine socket there")
    assert "(hint: start it:" in message
    assert "Error while fetching" not in message and "FileNotFoundError" not in message
    line = text_line(Event("watch.warning", None, message, {}))
    assert line == f"warning: {message}"


def test_events_error_shortens_sdk_text() -> None:
    raw = ConnectionRefusedError("('Connection aborted.', ConnectionRefusedError(111, "
                                 "'Connection refused'))")
    assert events_error("docker events stream ended", raw).startswith(
        "docker events stream ended: cannot reach the Docker engine at ")
    assert "connection refused (hint: " in events_error("x", raw)


def test_a_rendered_error_is_not_labelled_twice() -> None:
    exc = TerminalError("cannot reach the Docker engine at unix:///x.sock: no engine socket "
                        "there", hint="start it")
    line = text_line(Event("watch.error", None, exc.render(), {"error": exc.render_short()}))
    assert line == ("error: cannot reach the Docker engine at unix:///x.sock: no engine socket "
                    "there\n  hint: start it")
    sourced = text_line(Event("watch.error", None, "services.yaml:3:5: error: bad", {}))
    assert sourced == "services.yaml:3:5: error: bad"
    assert text_line(Event("watch.error", None, "disk full", {})) == "error: disk full"
