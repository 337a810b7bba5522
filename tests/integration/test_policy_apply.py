"""Policy on a real apply of local processes, through the CLI.

A denied change is refused before anything is touched (no process starts, no apply run);
a protected replace waits for `reconciler approve PLANFILE`, then `apply PLANFILE` goes
through; the audit log holds the plan and apply runs, per-node start/end events, every
decision record and the approval. Clean-up: the policy is removed and the project destroyed;
any process still marked with the project's scope is then killed by pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SERVICES = """\
version: "1.0"
name: guarded
services:
  api: {type: process, command: "exec sleep 300"}
  db: {type: process, command: "exec sleep DB_SECONDS"}
"""
POLICY = """\
version: 1
rules:
  - id: no-forbidden
    match: {names: [forbidden]}
    decision: deny
    message: "{address} is not allowed here"
protect: [process.db]
"""


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(project.parent / "xdg")}
    return subprocess.run([sys.executable, "-m", "reconciler", "-C", str(project), *args],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          timeout=120, check=False, cwd=project)  # plan files land there


def write(project: Path, db_seconds: int, extra: str = "") -> None:
    (project / "services.yaml").write_text(
        SERVICES.replace("DB_SECONDS", str(db_seconds)) + extra)


def pids(project: Path) -> dict[str, Any]:
    status = json.loads(cli(project, "status", "--json").stdout)
    return {r["address"]: r.get("pid") for r in status["resources"]}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "guarded"
    directory.mkdir()
    write(directory, 301)
    (directory / "policy.yaml").write_text(POLICY)
    yield directory
    (directory / "policy.yaml").unlink(missing_ok=True)
    cli(directory, "destroy", "--auto-approve")
    for pid in pids(directory).values():  # anything destroy left behind, by its own pid
        if isinstance(pid, int):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_deny_refuses_before_touching_anything(project: Path) -> None:
    assert cli(project, "apply", "--auto-approve").returncode == 0
    write(project, 301, "  forbidden: {type: process, command: \"exec sleep 300\"}\n")
    done = cli(project, "apply", "--auto-approve")
    assert done.returncode == 1
    assert "process.forbidden: create denied by rule 'no-forbidden'" in done.stderr
    assert "policy.yaml:3:5" in done.stderr
    assert pids(project).get("process.forbidden") is None  # never started
    kinds = [r["kind"] for r in json.loads(cli(project, "history", "--json").stdout)]
    assert kinds == ["plan", "apply", "plan"]  # the refused plan never became an apply


def test_protected_replace_needs_an_approved_plan(project: Path) -> None:
    assert cli(project, "apply", "--auto-approve").returncode == 0
    before = pids(project)["process.db"]
    write(project, 302)
    planned = cli(project, "plan", "-out", "change.plan", "--no-color")
    assert planned.returncode == 0, planned.stderr
    assert "needs approval: process.db (replace) rule 'protect:process.db'" in planned.stdout

    refused = cli(project, "apply", "change.plan")
    assert refused.returncode == 1
    assert "reconciler approve change.plan" in refused.stderr
    assert pids(project)["process.db"] == before  # nothing was touched

    approved = cli(project, "approve", "change.plan")
    assert approved.returncode == 0, approved.stderr
    applied = cli(project, "apply", "change.plan")
    assert applied.returncode == 0, applied.stderr
    assert pids(project)["process.db"] not in (None, before)

    audit = [json.loads(line) for line in cli(project, "audit", "export", "--json")
             .stdout.splitlines()]
    runs = [e for e in audit if e["type"] == "run"]
    last_apply = [r for r in runs if r["kind"] == "apply"][-1]
    node_events = [(e["kind"], e["address"]) for e in audit
                   if e["type"] == "event" and e["run_id"] == last_apply["id"]]
    assert ("node.start", "process.db") in node_events
    assert ("node.done", "process.db") in node_events
    approvals = [e for e in audit if e["type"] == "approval"]
    assert approvals[0]["addresses"] == ["process.db"]
    finals = [e for e in audit if e["type"] == "decision" and e["final"]
              and e["run_id"] == last_apply["meta"]["plan_run"]]
    assert {(d["address"], d["outcome"]) for d in finals} == {("process.db", "allow")}
    assert finals[0]["reason"].startswith("approved: ")
