"""Early crashes under the event-driven apply (issue 14): a process counts as up when it is
exec'd (or its health check passes) and the apply moves on, but every process the apply started
is watched (pidfd) until the apply ends; one that dies meanwhile fails its node with its log
tail, dependants not started yet are skipped, and the apply exits 1 instead of "complete".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.cli import Cli, kill_scope

pytestmark = pytest.mark.integration

PROJECT = """\
name: crash
services:
  flaky:
    command: "sleep 1; echo dying now; exit 4"
  slow:
    command: "sleep 3; touch {ready}; exec sleep 3600"
    health_check: {{command: test, args: [-f, "{ready}"], interval: 0.2, start_period: 60}}
    startup_timeout: 60
  late:
    command: "exec sleep 3600"
    depends_on: [slow, flaky]
"""


@pytest.fixture
def crash(tmp_path: Path) -> Iterator[tuple[Cli, str]]:
    (tmp_path / "services.yaml").write_text(PROJECT.format(ready=tmp_path / "ready"))
    cli = Cli(tmp_path, f"t{os.getpid()}c")
    yield cli, f"crash_{cli.session}"
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(f"crash_{cli.session}")


def test_a_crash_after_the_start_while_the_apply_runs_fails_that_node(
        crash: tuple[Cli, str]) -> None:
    cli, scope = crash
    out = cli("apply", "--auto-approve", expect=1)
    text = out.stdout + out.stderr
    assert "Apply complete!" not in text and "process.slow: Healthy" in text
    assert "Resources: 1 added" in text and "1 failed, 1 skipped" in text  # slow is added
    assert "process.flaky exited 4" in text and "after it started" in text
    assert "dying now" in text  # the log tail
    owned = cli.owned(scope)
    assert "process.slow" in owned  # the independent branch went on
    assert "process.late" not in owned  # its dependency crashed before it could start


def test_an_immediate_crash_fails_the_apply_with_its_log_tail(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(
        'name: boom\nservices:\n  api:\n    command: "echo no config; exit 3"\n')
    cli = Cli(tmp_path, f"t{os.getpid()}b")
    try:
        out = cli("apply", "--auto-approve", expect=1)
        text = out.stdout + out.stderr
        assert "process.api exited 3 right after it started" in text and "no config" in text
        assert "Apply complete!" not in text
    finally:
        kill_scope(f"boom_{cli.session}")
