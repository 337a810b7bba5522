"""Policy wired into the pipeline (Project.plan / enforce / execute), offline: no processes.

Plans run with ``refresh=False`` against the recorded state, so changes come from the config
and from records written here. Covers layering (user via XDG_CONFIG_HOME, project, session
override; deny wins), Policy Decision Records for every decision, plan runs, approvals, the
append-only audit tables, change windows with an injected clock, and the git commit.
"""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.engine.project import Project
from reconciler.errors import ConfigError, PolicyDenied
from reconciler.model.types import Address
from reconciler.policy.evaluation import Outcome

SERVICES = """\
version: "1.0"
name: demo
services:
  api: {type: process, command: "sleep 100"}
  web: {type: process, command: "sleep 100"}
"""


def make_project(tmp_path: Path, policy: str | None = None, *, user: str | None = None,
                 session: str | None = None, clock: datetime | None = None) -> Project:
    directory = tmp_path / "proj"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "services.yaml").write_text(SERVICES)
    if policy is not None:
        (directory / "policy.yaml").write_text(policy)
    config = tmp_path / "xdg"
    if user is not None:
        (config / "reconciler").mkdir(parents=True, exist_ok=True)
        (config / "reconciler" / "policy.yaml").write_text(user)
    override = None
    if session is not None:
        override = tmp_path / "session-policy.yaml"
        override.write_text(session)
    environ = {"XDG_CONFIG_HOME": str(config), "HOME": str(tmp_path)}
    project = Project(directory, environ=environ, policy_file=override)
    if clock is not None:
        project.clock = lambda: clock
    return project


def rule(rule_id: str, decision: str, names: str = "*", extra: str = "") -> str:
    return (f"  - id: {rule_id}\n    match: {{names: ['{names}']}}\n{extra}"
            f"    decision: {decision}\n    message: '{rule_id} says {decision} {{address}}'\n")


def policy(*rules: str, tail: str = "") -> str:
    return "version: 1\nrules:\n" + "".join(rules) + tail


def test_no_policy_allows_everything_and_records_default_decisions(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    run = project.plan(refresh=False)
    assert [d.outcome for d in run.policy.final] == [Outcome.ALLOW, Outcome.ALLOW]
    assert run.policy_sources == ()
    records = project.store.decisions(run_id=run.run_id)
    assert [(r["address"], r["rule_id"], r["final"]) for r in records] == [
        ("process.api", "default", True), ("process.web", "default", True)]
    project.enforce(run)  # allowed: no error


def test_deny_wins_across_user_project_and_session_layers(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        policy(rule("project-allows-api", "allow", "api")),
        user=policy(rule("user-warns", "warn")),
        session=policy(rule("session-denies-api", "deny", "api")))
    run = project.plan(refresh=False)
    assert [layer for layer, _ in run.policy_sources] == ["user", "project", "session"]
    assert run.policy.outcome_for(Address("process", "api")) is Outcome.DENY
    assert run.policy.outcome_for(Address("process", "web")) is Outcome.WARN
    [denied] = run.policy.denied
    assert (denied.rule_id, denied.layer) == ("session-denies-api", "session")
    with pytest.raises(PolicyDenied) as caught:
        project.enforce(run)
    assert "session-denies-api" in caught.value.message
    assert "process.api" in caught.value.message
    assert "session-policy.yaml:3:5" in caught.value.message


def test_session_layer_defaults_to_state_dir_policy(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    state_dir = project.store.state_dir
    state_dir.mkdir(parents=True)
    (state_dir / "policy.yaml").write_text(policy(rule("no-web", "deny", "web")))
    run = project.plan(refresh=False)
    assert run.policy_sources == (("session", str(state_dir / "policy.yaml")),)
    assert [d.address.name for d in run.policy.denied] == ["web"]


def test_every_decision_is_recorded_with_pdr_fields(tmp_path: Path) -> None:
    project = make_project(tmp_path, policy(rule("warn-all", "warn"),
                                            rule("deny-web", "deny", "web")))
    run = project.plan(refresh=False)
    records = project.store.decisions(run_id=run.run_id)
    assert len(records) == len(run.policy.decisions) == 5  # 3 rule decisions + 2 finals
    for record in records:
        assert set(record) >= {"id", "time", "rule_id", "rule_origin", "address", "action",
                               "outcome", "reason", "inputs_hash", "git_commit", "final"}
        assert record["inputs_hash"] == run.plan.inputs_hash
        assert record["action"] == "create"
        assert record["git_commit"] is None  # tmp_path is not a git repository
    finals = {r["address"]: r["outcome"] for r in records if r["final"]}
    assert finals == {"process.api": "warn", "process.web": "deny"}
    assert {r["rule_origin"] for r in records if r["rule_id"] == "deny-web"} == {
        str(project.directory / "policy.yaml") + ":7:5"}


def test_plan_runs_are_recorded_with_policy_results(tmp_path: Path) -> None:
    project = make_project(tmp_path, policy(rule("deny-web", "deny", "web")))
    project.plan(refresh=False)
    [run] = project.store.runs()
    assert (run["kind"], run["result"]) == ("plan", "denied")
    assert run["summary"]["deny"] == 1 and run["summary"]["create"] == 2
    assert project.store.lease_info() is None  # plan never takes the lease


def test_an_invalid_policy_stops_the_plan_and_is_recorded(tmp_path: Path) -> None:
    project = make_project(tmp_path, "version: 1\nrules:\n  - id: x\n    decision: maybe\n"
                                     "    message: m\n")
    with pytest.raises(ConfigError) as caught:
        project.plan(refresh=False)
    assert "policy.yaml:4:15" in caught.value.render()
    [run] = project.store.runs()
    assert run["result"] == "error"


def test_protected_delete_needs_approval_and_an_approval_allows_that_plan(
        tmp_path: Path) -> None:
    project = make_project(tmp_path, "version: 1\nprotect: [process.db]\n")
    project.store.record(Address("process", "db"), spec={"command": ["sleep"]},
                         spec_hash="h", depends_on=(), facts={}, status="running", run_id=None)
    run = project.plan(refresh=False)
    [waiting] = run.policy.needs_approval
    assert (str(waiting.address), waiting.action.verb) == ("process.db", "delete")
    with pytest.raises(PolicyDenied, match=r"process\.db: delete needs approval") as caught:
        project.execute(run)  # refused before anything is touched
    assert "reconciler approve PLANFILE" in caught.value.hint
    assert [r["kind"] for r in project.store.runs()] == ["plan"]

    project.store.approve(who="alice@host", inputs_hash=run.plan.inputs_hash,
                          plan_file="p.plan", addresses=["process.db"])
    again = project.plan(refresh=False)
    assert again.plan.inputs_hash == run.plan.inputs_hash
    assert not again.policy.needs_approval
    [approved] = [d for d in again.policy.final if d.approved]
    assert approved.reason.startswith("approved: ")
    project.enforce(again)
    [approval] = project.store.approvals()
    assert (approval["who"], approval["addresses"]) == ("alice@host", ["process.db"])


def test_an_approval_never_lifts_a_deny(tmp_path: Path) -> None:
    project = make_project(tmp_path, policy(rule("deny-api", "deny", "api"),
                                            rule("ask-api", "require_approval", "api")))
    run = project.plan(refresh=False)
    project.store.approve(who="bob@host", inputs_hash=run.plan.inputs_hash, plan_file="p",
                          addresses=[])
    again = project.plan(refresh=False)
    assert [d.rule_id for d in again.policy.denied] == ["deny-api"]


def test_change_windows_use_the_injected_clock(tmp_path: Path) -> None:
    windows = ("version: 1\nchange_windows:\n"
               "  - {days: [mon, tue, wed, thu, fri], start: '09:00', end: '17:00'}\n")
    open_hours = make_project(tmp_path / "a", windows,
                              clock=datetime(2024, 1, 3, 10, 0, tzinfo=UTC))  # a Wednesday
    assert open_hours.plan(refresh=False).policy.exit_ok
    weekend = make_project(tmp_path / "b", windows,
                           clock=datetime(2024, 1, 6, 10, 0, tzinfo=UTC))  # a Saturday
    denied = weekend.plan(refresh=False).policy.denied
    assert {d.rule_id for d in denied} == {"change_windows"}


def test_git_commit_is_recorded_when_the_project_is_a_repository(tmp_path: Path) -> None:
    project = make_project(tmp_path, policy(rule("warn-all", "warn")))
    git = ["git", "-C", str(project.directory), "-c", "user.email=t@example.invalid",
           "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    run = project.plan(refresh=False)
    assert {r.git_commit for r in run.policy.records} == {head}


@pytest.mark.parametrize("table", ["decisions", "approvals", "events"])
def test_audit_tables_refuse_update_and_delete(tmp_path: Path, table: str) -> None:
    project = make_project(tmp_path, "version: 1\nprotect: [process.db]\n")
    run = project.plan(refresh=False)
    project.store.approve(who="a@h", inputs_hash=run.plan.inputs_hash, plan_file="p",
                          addresses=[])
    conn = sqlite3.connect(project.store.path)
    try:
        assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] > 0
        column = {"decisions": "outcome", "approvals": "who", "events": "message"}[table]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(f"UPDATE {table} SET {column} = 'allow'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(f"DELETE FROM {table}")
    finally:
        conn.close()


def test_export_holds_runs_events_decisions_and_approvals(tmp_path: Path) -> None:
    project = make_project(tmp_path, policy(rule("warn-all", "warn")))
    run = project.plan(refresh=False)
    project.store.approve(who="a@h", inputs_hash=run.plan.inputs_hash, plan_file="p",
                          addresses=[])
    types = [entry["type"] for entry in project.store.export()]
    assert {"run", "event", "decision", "approval"} <= set(types)
    kinds = [e["kind"] for e in project.store.events()]
    assert "policy.evaluated" in kinds and "plan.approved" in kinds


def test_unrecorded_plans_still_write_their_decisions(tmp_path: Path) -> None:
    project = make_project(tmp_path, policy(rule("deny-web", "deny", "web")))
    run = project.plan(refresh=False, record=False)
    assert run.run_id is None and project.store.runs() == []
    assert {r["outcome"] for r in project.store.decisions() if r["final"]} == {"allow", "deny"}
