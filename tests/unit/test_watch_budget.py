"""The blast-radius budget, plan trimming for backoff, and the pending.plan file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine import diff
from reconciler.engine.plan import Plan, build, from_json
from reconciler.model.changes import Observed, Status
from reconciler.model.types import Address, Condition, Dependency, DesiredState, Resource
from reconciler.watch.budget import (
    SAVED_PLAN_KIND,
    Budget,
    is_heal,
    save_pending,
    violations,
    without,
)


def res(name: str, *deps: str, kind: str = "process", protect: bool = False,
        **spec: Any) -> Resource:
    return Resource(Address(kind, name), {"command": [name], **spec}, protect=protect,
                    depends_on=tuple(Dependency(Address.parse(d), Condition.STARTED)
                                     for d in deps))


def state(*resources: Resource) -> DesiredState:
    return DesiredState("demo", {r.address: r for r in resources})


def plan_for(desired: DesiredState, before: DesiredState | None = None,
             status: Status = Status.RUNNING) -> Plan:
    """``before`` was applied and is ``status`` in the world; plan towards ``desired``."""
    before = before or DesiredState("demo", {})
    observed = {a: Observed(a, status, r.hash()) for a, r in before.resources.items()}
    last = {a: dict(r.spec) for a, r in before.resources.items()}
    return build(diff.compute(desired, observed, last), desired, created_at=1.0)


def test_creates_and_small_edits_are_within_budget() -> None:
    old = state(res("a"), res("b"))
    new = state(res("a", env={"X": "1"}), res("b"), res("c"))
    plan = plan_for(new, old)
    assert plan.summary() == {"create": 1, "update": 0, "replace": 1, "delete": 0}
    assert violations(Budget(), plan, new) == []


def test_too_many_replacements_are_held() -> None:
    old = state(*(res(n) for n in "abcd"))
    new = state(*(res(n, env={"V": "2"}) for n in "abcd"))
    problems = violations(Budget(max_replace=3), plan_for(new, old), new)
    assert problems == ["4 replacement(s), more than --max-replace 3: process.a, process.b, "
                        "process.c, process.d"]
    assert violations(Budget(max_replace=4), plan_for(new, old), new) == []


def test_orphans_need_a_manual_apply_by_default() -> None:
    old = state(res("a"), res("gone"))
    new = state(res("a"))
    problems = violations(Budget(), plan_for(new, old), new)
    assert problems == ["1 delete(s), more than --max-delete 0: process.gone"]
    assert violations(Budget(max_delete=1), plan_for(new, old), new) == []


def test_protected_resources_are_never_replaced_unattended() -> None:
    old = state(res("db", protect=True))
    new = state(res("db", protect=True, env={"V": "2"}))
    assert violations(Budget(max_replace=10), plan_for(new, old), new) == [
        "process.db is protected and would be replaced"]


def test_heals_do_not_count_and_protected_heals_are_allowed() -> None:
    desired = state(*(res(n, kind="container", protect=True, image="x") for n in "abcde"))
    plan = plan_for(desired, desired, status=Status.EXITED)  # all five died
    assert plan.summary()["replace"] == 5
    assert all(is_heal(c) for c in plan.actionable())
    assert violations(Budget(max_replace=0), plan, desired) == []


def test_new_resources_are_not_heals() -> None:
    plan = plan_for(state(res("a")))
    assert [is_heal(c) for c in plan.actionable()] == [False]


def test_budget_refuses_negative_limits() -> None:
    with pytest.raises(ValueError, match="negative"):
        Budget(max_delete=-1)


def test_without_drops_held_nodes_and_their_dependants() -> None:
    desired = state(res("db"), res("api", "process.db"), res("other"))
    plan = plan_for(desired)
    trimmed = without(plan, {"process.db"})
    assert sorted(trimmed.graph.nodes) == ["process.other"]
    assert sorted(plan.graph.nodes) == ["process.api", "process.db", "process.other"]
    assert without(plan, set()) is plan


def test_pending_plan_is_a_saved_plan(tmp_path: Path) -> None:
    desired = state(res("a"))
    plan = plan_for(desired)
    path = save_pending(tmp_path / "state" / "pending.plan", plan, tmp_path, "s1")
    document = json.loads(path.read_text())
    assert document["kind"] == SAVED_PLAN_KIND and document["session"] == "s1"
    assert document["project_dir"] == str(tmp_path.resolve()) and not document["destroy"]
    assert from_json(document["plan"]).inputs_hash == plan.inputs_hash
    assert path.stat().st_mode & 0o777 == 0o600
