"""Approving or rejecting from the dashboard a plan that policy held for approval (issue 30):
the same CSRF and token rules as the other actions, the plan named by its inputs hash, the
decision and who made it in the audit log, the approved plan no longer held; and the node
detail gives each value's own file:line:col. Starlette's TestClient; nothing is started."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from testing.dashboard import dashboard_client, write_project

from reconciler.engine.project import Project
from reconciler.ui.security import Guard
from reconciler.ui.service import Dashboard

TOKEN = "a" * 32
SERVICES = ("name: approvals\nservices:\n  web:\n    command: sleep 100\n"
            "    env:\n      GREETING: hello\n")
POLICY = ("version: 1\nrules:\n  - id: ask-first\n    match: {kinds: [process]}\n"
          "    decision: require_approval\n    message: '{address} needs a second pair of eyes'\n")


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_project(tmp_path, monkeypatch, {"services.yaml": SERVICES, "policy.yaml": POLICY})


@pytest.fixture
def http(project_dir: Path) -> Iterator[tuple[TestClient, Guard, Dashboard]]:
    with dashboard_client(project_dir, TOKEN) as client:
        yield client


def act(http: tuple[TestClient, Guard, Dashboard], body: dict[str, str],
        csrf: str | None = None) -> tuple[int, Any]:
    client, guard, _ = http
    response = client.post("/api/action", json=body,
                           headers={"x-csrf-token": guard.csrf if csrf is None else csrf})
    return response.status_code, response.json()


def held_plan(http: tuple[TestClient, Guard, Dashboard]) -> dict[str, Any]:
    response = http[0].get("/api/plan")
    assert response.status_code == 200
    plan: dict[str, Any] = response.json()
    return plan


def test_approve_from_the_page_lifts_the_hold_and_is_audited(
        http: tuple[TestClient, Guard, Dashboard], project_dir: Path) -> None:
    plan = held_plan(http)
    assert [p["outcome"] for p in plan["policy"]] == ["require_approval"]
    status, answer = act(http, {"action": "apply", "inputs_hash": plan["inputs_hash"]})
    assert status == 409 and "approv" in answer["error"]  # held: nothing runs

    status, answer = act(http, {"action": "approve", "inputs_hash": plan["inputs_hash"]})
    assert status == 200, answer
    assert answer["addresses"] == ["process.web"] and "dashboard" in answer["who"]

    again = held_plan(http)
    assert again["inputs_hash"] == plan["inputs_hash"]
    assert [(p["outcome"], p["approved"]) for p in again["policy"]] == [("allow", True)]
    store = Project(project_dir).store
    approvals = store.approvals()
    assert [a["inputs_hash"] for a in approvals] == [plan["inputs_hash"]]
    assert "testclient" in str(approvals[0]["who"])  # who, and from where
    events = [e for e in store.events() if e["kind"] == "plan.approved"]
    assert len(events) == 1 and "dashboard" in events[0]["message"]


def test_reject_from_the_page_is_audited_and_keeps_the_hold(
        http: tuple[TestClient, Guard, Dashboard], project_dir: Path) -> None:
    plan = held_plan(http)
    status, answer = act(http, {"action": "reject", "inputs_hash": plan["inputs_hash"]})
    assert status == 200, answer
    assert answer["addresses"] == ["process.web"]
    store = Project(project_dir).store
    rejected = [e for e in store.events() if e["kind"] == "plan.rejected"]
    assert len(rejected) == 1 and rejected[0]["data"]["inputs_hash"] == plan["inputs_hash"]
    assert "dashboard" in str(rejected[0]["data"]["who"])
    assert store.approvals() == []
    assert [p["outcome"] for p in held_plan(http)["policy"]] == ["require_approval"]


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_decision_needs_csrf_and_the_current_plan(
        http: tuple[TestClient, Guard, Dashboard], project_dir: Path, action: str) -> None:
    plan = held_plan(http)
    status, _ = act(http, {"action": action, "inputs_hash": plan["inputs_hash"]}, csrf="x")
    assert status == 403
    status, answer = act(http, {"action": action})
    assert status == 400 and "inputs_hash" in answer["error"]
    status, answer = act(http, {"action": action, "inputs_hash": "0123abcd"})
    assert status == 409 and "stale" in answer["error"]
    response = http[0].post("/api/action", json={"action": action,
                                                 "inputs_hash": plan["inputs_hash"]},
                            headers={"x-csrf-token": http[1].csrf,
                                     "authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert Project(project_dir).store.approvals() == []


def test_a_denied_plan_cannot_be_approved(http: tuple[TestClient, Guard, Dashboard],
                                          project_dir: Path) -> None:
    (project_dir / "policy.yaml").write_text(POLICY.replace("require_approval", "deny"))
    plan = held_plan(http)
    status, answer = act(http, {"action": "approve", "inputs_hash": plan["inputs_hash"]})
    assert status == 409 and "deny" in answer["error"]
    assert Project(project_dir).store.approvals() == []


def test_node_detail_gives_each_value_its_own_line(
        http: tuple[TestClient, Guard, Dashboard], project_dir: Path) -> None:
    response = http[0].get("/api/node?address=process.web")
    assert response.status_code == 200
    sources = response.json()["sources"]
    path = project_dir / "services.yaml"
    assert sources["command"] == f"{path}:4:5"
    assert sources["env.GREETING"] == f"{path}:6:7"
