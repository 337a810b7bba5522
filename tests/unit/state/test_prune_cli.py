"""``state prune-audit`` and ``state verify-audit`` through the CLI, on a SQLite project."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconciler.cli.app import app, load_commands
from reconciler.errors import UserError
from reconciler.state import StateStore


def test_cutoff_takes_durations_and_dates() -> None:
    load_commands()  # first: importing a command module alone would reorder the CLI's commands
    from reconciler.cli.state_cmds import cutoff

    assert cutoff("30d", 1_000_000_000.0) == 1_000_000_000.0 - 30 * 86400
    assert cutoff("12h", 100_000.0) == 100_000.0 - 12 * 3600
    assert cutoff("2026-11-01", 0.0) == datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    with pytest.raises(UserError):
        cutoff("last tuesday", 0.0)


def test_prune_audit_then_verify(tmp_path: Path) -> None:
    load_commands()
    store = StateStore.open_project(tmp_path)
    run_id = store.begin_run("apply", meta={})
    store.end_run(run_id, result="ok", summary={})
    store.close()
    runner = CliRunner()
    done = runner.invoke(app, ["-C", str(tmp_path), "state", "prune-audit", "--before",
                               "2999-01-01"])
    assert done.exit_code == 0, done.output
    assert "Pruned 2 audit row(s)" in done.output
    verified = runner.invoke(app, ["-C", str(tmp_path), "state", "verify-audit"])
    assert verified.exit_code == 0 and "verifies" in verified.output
    nothing = runner.invoke(app, ["-C", str(tmp_path), "state", "prune-audit", "--before",
                                  "1d"])
    assert nothing.exit_code == 0 and "Nothing to prune" in nothing.output
