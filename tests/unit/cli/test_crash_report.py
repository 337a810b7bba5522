"""A bug exits 3 with one line and a crash report, never a traceback on the terminal
(issue 27: the guard printed a traceback for every exit-3 bug)."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from reconciler.cli.common import guarded
from reconciler.errors import InternalError


def boom() -> int:
    raise RuntimeError("boom")


def test_a_bug_prints_one_line_and_writes_a_private_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.delenv("RECONCILER_DEBUG", raising=False)
    monkeypatch.setattr(sys, "argv", ["reconciler", "--state",
                                      "postgresql://alice:s3cret@db/x", "plan"])
    assert guarded(boom) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[0] == \
        "internal error (a bug in reconciler; please report it): RuntimeError: boom"
    reports = list((tmp_path / "reconciler" / "crash").glob("crash-*.txt"))
    assert len(reports) == 1 and str(reports[0]) in err
    text = reports[0].read_text()
    assert "Traceback" in text and "RuntimeError: boom" in text and "in boom" in text
    assert "s3cret" not in text and "postgresql://alice:***@db/x" in text
    assert stat.S_IMODE(reports[0].stat().st_mode) == 0o600


def test_an_internal_error_gets_a_report_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))

    def failing() -> int:
        try:
            boom()
        except RuntimeError as exc:
            raise InternalError("apply failed: x: internal error") from exc
        return 0

    assert guarded(failing) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "crash report" in err


def test_debug_prints_the_traceback_and_an_unwritable_dir_names_the_frame(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))  # a file: the report cannot be written
    assert guarded(boom) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "test_crash_report.py" in err and "in boom" in err
    monkeypatch.setenv("RECONCILER_DEBUG", "1")
    assert guarded(boom) == 3
    assert "Traceback" in capsys.readouterr().err
