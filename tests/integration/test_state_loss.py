"""Losing ``.reconciler/`` entirely restarts nothing: every process is re-adopted as it runs.

The quickstart's api has a secret (API_TOKEN) whose keyed hash is part of its spec hash; the
key lives outside the state (reconciler/state/keys.py), so after ``rm -rf .reconciler`` the
same secret hashes the same and the running api is found again, not replaced.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.cli import Cli, kill_scope

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def quickstart(tmp_path: Path) -> Iterator[tuple[Cli, str]]:
    project = tmp_path / "quickstart"
    shutil.copytree(ROOT / "examples" / "quickstart", project,
                    ignore=shutil.ignore_patterns(".reconciler", "data"))
    cli = Cli(project, f"t{os.getpid()}l")
    scope = f"quickstart_{cli.session}"
    yield cli, scope
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(scope)


def test_rm_rf_state_dir_then_apply_restarts_nothing(quickstart: tuple[Cli, str]) -> None:
    cli, scope = quickstart
    cli("apply", "--auto-approve")
    before = cli.owned(scope)
    assert set(before) == {"process.api", "process.web", "process.worker"}, before
    shutil.rmtree(cli.project / ".reconciler")
    plan = cli("plan", expect=None).stdout
    assert "-/+" not in plan and "will be replaced" not in plan, plan
    assert "process.api will be created" not in plan, plan
    cli("apply", "--auto-approve")
    assert cli.owned(scope) == before  # same pids: nothing restarted, nothing doubled
    assert cli("plan", "--detailed-exitcode").returncode == 0
