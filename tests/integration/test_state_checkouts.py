"""Two checkouts of the quickstart in different directories share one PostgreSQL state: the
second plans no changes, although ``cwd`` (and every other path written relative in the
config) is a different absolute path in each (specs are recorded relative to the project).

The second checkout only plans (it shares the state through the same ``--state`` URL), so the
test depends on nothing but the recorded specs and their hashes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.cli import Cli, kill_scope

ROOT = Path(__file__).resolve().parents[2]


class Checkout(Cli):
    def __init__(self, project: Path, session: str, url: str):
        super().__init__(project, session)
        self.url = url

    def argv(self, *args: str) -> list[str]:
        return [*super().argv()[:-1], "--state", self.url, "--no-color", *args]


@pytest.fixture
def checkouts(tmp_path: Path, pg_cluster: Any) -> Iterator[tuple[Checkout, Checkout, str]]:
    url = pg_cluster.url(pg_cluster.fresh_schema())
    session = f"t{os.getpid()}c"
    made = []
    for person in ("alice", "bob"):
        project = tmp_path / person / "qs"
        shutil.copytree(ROOT / "examples" / "quickstart", project,
                        ignore=shutil.ignore_patterns(".reconciler", "data"))
        made.append(Checkout(project, session, url))
    scope = f"quickstart_{session}"
    yield made[0], made[1], scope
    made[0]("destroy", "--auto-approve", expect=None)
    kill_scope(scope)


def test_a_second_checkout_plans_no_changes(checkouts: tuple[Checkout, Checkout, str]) -> None:
    alice, bob, scope = checkouts
    assert "4 added" in alice("apply", "--auto-approve").stdout
    running = alice.owned(scope)
    plan = bob("plan", "--detailed-exitcode", expect=None)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "cwd" not in plan.stdout and "replace" not in plan.stdout.replace(
        "0 to replace", "")
    assert alice("plan", "--detailed-exitcode").returncode == 0
    assert alice.owned(scope) == running
    spec = json.loads(alice("state", "show", "process.api", "--json").stdout)["spec"]
    assert spec["cwd"] == "{project}" and str(alice.project) not in json.dumps(spec)
