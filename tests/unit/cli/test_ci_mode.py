"""CI dry runs through the real console entry: `plan --detailed-exitcode` with `--json`,
`--markdown`, `--no-color` and `--refresh=false`, policy in the output, and exit codes 0/1/2.

Plans are offline (`--refresh=false` against an empty state), so no process is started; the
user policy layer is isolated with XDG_CONFIG_HOME. JSON and Markdown are syrupy snapshots
with the temporary project path replaced by `<project>`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

SERVICES = """\
version: "1.0"
name: ci-demo
services:
  api:
    type: process
    command: "sleep 100"
    env: {LOG_LEVEL: info, API_TOKEN: "s3cr3t-value-123"}
  worker:
    type: process
    command: "sleep 100"
    depends_on: [api]
"""

POLICY = """\
version: 1
rules:
  - id: warn-on-worker
    match: {names: [worker], actions: [create]}
    decision: warn
    message: "{address} is new: check its queue settings"
"""

DENY = """\
  - id: no-api-today
    match: {names: [api]}
    decision: deny
    message: "{address} may not change"
"""


def reconciler(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(project.parent / "xdg"), "NO_COLOR": "1"}
    env.pop("RECONCILER_SESSION", None)
    return subprocess.run([sys.executable, "-m", "reconciler", "-C", str(project), *args],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          timeout=60, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "proj"
    directory.mkdir()
    (directory / "services.yaml").write_text(SERVICES)
    (directory / "policy.yaml").write_text(POLICY)
    return directory


def normalized(text: str, project: Path) -> str:
    return text.replace(str(project), "<project>")


def test_json_plan_with_policy_exits_2_when_changes(project: Path,
                                                    snapshot: SnapshotAssertion) -> None:
    done = reconciler(project, "plan", "--json", "--detailed-exitcode", "--refresh=false")
    assert done.returncode == 2, done.stderr
    document: dict[str, Any] = json.loads(normalized(done.stdout, project))
    assert document["policy"]["result"] == "allowed"
    assert "s3cr3t-value-123" not in done.stdout
    assert document == snapshot


def test_json_plan_is_valid_against_the_published_schema(project: Path) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((Path(__file__).resolve().parents[3] / "schemas" /
                         "plan.schema.json").read_text())
    done = reconciler(project, "plan", "--json", "--no-refresh")
    assert done.returncode == 0, done.stderr
    assert list(Draft202012Validator(schema).iter_errors(json.loads(done.stdout))) == []


def test_markdown_plan_with_policy(project: Path, snapshot: SnapshotAssertion) -> None:
    done = reconciler(project, "--no-color", "plan", "--markdown", "--detailed-exitcode",
                      "-refresh=false")
    assert done.returncode == 2, done.stderr
    assert normalized(done.stdout, project) == snapshot


def test_deny_exits_1_even_with_detailed_exitcode(project: Path,
                                                  snapshot: SnapshotAssertion) -> None:
    (project / "policy.yaml").write_text(POLICY + DENY)
    done = reconciler(project, "plan", "--markdown", "--detailed-exitcode", "--refresh=false")
    assert done.returncode == 1
    assert normalized(done.stdout, project) == snapshot(name="markdown")
    assert normalized(done.stderr, project) == snapshot(name="stderr")
    as_json = reconciler(project, "plan", "--json", "--refresh=false", "-out", "x.plan")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["policy"]["result"] == "denied"
    assert not (project / "x.plan").exists()  # a denied plan is not saved


def test_no_changes_exits_0(project: Path) -> None:
    done = reconciler(project, "plan", "--destroy", "--detailed-exitcode", "--refresh=false",
                      "--no-color")
    assert done.returncode == 0, done.stderr
    assert "No changes." in done.stdout
    assert "\x1b[" not in done.stdout


def test_text_plan_shows_the_policy_section_without_colour(project: Path) -> None:
    done = reconciler(project, "--no-color", "plan", "--refresh=false")
    assert done.returncode == 0, done.stderr
    assert "warning: process.worker (create) rule 'warn-on-worker' at " \
           "<project>/policy.yaml:3:5" in normalized(done.stdout, project)
    assert "\x1b[" not in done.stdout


def test_bad_refresh_value_is_a_user_error(project: Path) -> None:
    done = reconciler(project, "plan", "--refresh=maybe")
    assert done.returncode == 1
    assert "--refresh takes true or false" in done.stderr
    assert "Traceback" not in done.stderr


def test_apply_never_prompts_in_ci(project: Path) -> None:
    (project / "policy.yaml").write_text(POLICY + DENY)
    done = reconciler(project, "apply")
    assert done.returncode == 1
    assert "denied by rule 'no-api-today'" in done.stderr
    assert "hint:" in done.stderr


def test_saved_plan_is_owner_only_and_a_bad_path_is_a_user_error(project: Path) -> None:
    saved = project / "plan.json"
    done = reconciler(project, "plan", "--refresh=false", "-out", str(saved))
    assert done.returncode == 0, done.stderr
    assert saved.stat().st_mode & 0o777 == 0o600
    bad = reconciler(project, "plan", "--refresh=false", "-out", str(project))
    assert bad.returncode == 1
    assert "cannot save the plan to" in bad.stderr and "internal error" not in bad.stderr
