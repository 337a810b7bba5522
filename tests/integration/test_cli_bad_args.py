"""Global options that name a wrong place (issue 27): exit 1 with a clear message, no
traceback, and nothing written before the target is known to be right.

Each case runs the real console entry twice where it can: ``plan`` (the argparse fast path,
cli/fast.py) and ``status`` (the typer app), so both parsers are covered.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SERVICES = "services:\n  web:\n    command: sleep 100\n"


def run(argv: list[str], cwd: Path) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "reconciler", *argv], cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1"}, check=False)
    return proc.returncode, proc.stderr.decode(errors="replace")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "services.yaml").write_text(SERVICES)
    return directory


def user_error(code: int, err: str, *words: str) -> None:
    assert "Traceback" not in err, err
    assert code == 1, err
    assert err.startswith("error: "), err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize("command", ["plan", "status"])
def test_a_state_dir_name_too_long(project: Path, command: str) -> None:
    code, err = run(["--state-dir", "a" * 300, command], project)
    user_error(code, err, "state directory", "too long")


@pytest.mark.parametrize("command", ["plan", "status"])
@pytest.mark.parametrize("below", ["", "/x"])
def test_a_state_dir_that_is_a_file(project: Path, command: str, below: str) -> None:
    (project / "afile").write_text("not a directory\n")
    code, err = run(["--state-dir", f"afile{below}", command], project)
    user_error(code, err, "state directory")
    assert (project / "afile").read_text() == "not a directory\n"


def test_status_watch_interval_too_large(project: Path) -> None:
    code, err = run(["status", "-w", "--interval", "1e309"], project)
    user_error(code, err, "--interval")


@pytest.mark.parametrize("command", ["plan", "status"])
def test_a_postgres_url_without_host_is_a_user_error(project: Path, command: str) -> None:
    code, err = run(["--state", "postgresql://", command], project)
    user_error(code, err, "postgresql://")
    assert "internal error" not in err


@pytest.mark.parametrize("command", ["plan", "status"])
def test_a_state_url_naming_a_directory_writes_nothing(project: Path, tmp_path: Path,
                                                       command: str) -> None:
    place = tmp_path / "place"
    (place / "dir").mkdir(parents=True)
    code, err = run(["--state", str(place / "dir"), command], project)
    user_error(code, err, "is a directory")
    assert sorted(p.name for p in place.iterdir()) == ["dir"]
    assert not any((place / "dir").iterdir())
    assert not (project / ".reconciler").exists()


def test_a_state_url_naming_another_file_writes_nothing(project: Path, tmp_path: Path) -> None:
    place = tmp_path / "place"
    place.mkdir()
    (place / "notes.txt").write_text("hello\n")
    code, err = run(["--state", str(place / "notes.txt"), "status"], project)
    user_error(code, err, "not a SQLite database")
    assert sorted(p.name for p in place.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("command", ["plan", "status", "apply"])
def test_a_missing_project_directory_is_not_created(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "nonexistent" / "x"
    code, err = run(["-C", str(missing), command, *(["--auto-approve"] if command == "apply"
                                                    else [])], tmp_path)
    user_error(code, err, "project directory")
    assert not (tmp_path / "nonexistent").exists()


@pytest.mark.parametrize("interval", ["1e309", "nan", "-1"])
def test_ui_interval_out_of_range_is_refused_before_serving(project: Path,
                                                            interval: str) -> None:
    code, err = run(["ui", "--listen", "127.0.0.1:1", "--interval", interval], project)
    user_error(code, err, "--interval")


@pytest.mark.parametrize("command", ["plan", "status", "validate"])
@pytest.mark.parametrize("option", ["-C", "--policy", "--state-dir"])
def test_a_path_option_with_a_name_too_long(project: Path, command: str, option: str) -> None:
    code, err = run([option, "a" * 300, command], project)
    user_error(code, err, "too long")
