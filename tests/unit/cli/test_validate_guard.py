"""`reconciler validate` and the pre-commit hook never show a traceback for a user error, and a
bug on their typer-free fast paths exits 3 with the report hint (not 1, as a user error).

Before: a compose.yaml with `depends_on: cond_started` made `validate` and `hook run` print an
AttributeError traceback and exit 1; a bug anywhere under the validate fast path did the same.
The Compose CLI check of validate is skipped when no Compose CLI exists.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.actuators.compose import cli as compose_cli
from reconciler.cli import validate_cmd

BAD = "services:\n  web:\n    image: busybox:1\n    depends_on: cond_started\n"


def reconciler(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "XDG_CONFIG_HOME": str(cwd.parent / "xdg")}
    env.pop("RECONCILER_SESSION", None)
    return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          timeout=60, check=False)


def test_validate_reports_a_bad_depends_on_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(BAD)
    done = reconciler(tmp_path, "validate")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("compose.yaml:4:5: error: services.web.depends_on must be")


def test_plan_reports_a_bad_depends_on_as_a_user_error(tmp_path: Path) -> None:
    """It exited 3 (a bug) with the AttributeError before."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "compose.yaml").write_text(BAD)
    done = reconciler(project, "--state-dir", str(tmp_path / "state"), "plan")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "compose.yaml:4:5: error: services.web.depends_on must be" in done.stderr


def test_the_hook_reports_a_bad_depends_on_without_a_traceback(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                       timeout=30)

    git("init", "-q")
    (tmp_path / "compose.yaml").write_text(BAD)
    git("add", "compose.yaml")
    done = reconciler(tmp_path, "hook", "run")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "compose.yaml:4:5: error: services.web.depends_on must be" in done.stderr


def test_a_bug_under_the_validate_fast_path_exits_3(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "compose.yaml").write_text("services: {web: {image: busybox:1}}\n")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("reconciler.model.build.build", broken)
    assert validate_cmd.fast_path(["-C", str(tmp_path), "validate"]) == 3
    assert "please report it" in capsys.readouterr().err


def test_validate_works_without_a_compose_cli(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Only Compose itself refuses this host port; without its CLI validate still passes."""
    (tmp_path / "compose.yaml").write_text(
        "services: {web: {image: busybox:1, ports: ['99999:80']}}\n")
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("RECONCILER_COMPOSE", raising=False)
    monkeypatch.setattr(compose_cli, "_detected", {})
    assert validate_cmd.run_validate(tmp_path) == 0
    assert "Success!" in capsys.readouterr().out
