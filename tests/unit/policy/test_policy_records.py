"""Approvals, Policy Decision Records and CEL evaluation errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

from policy_helpers import HASH, TUESDAY_10, container, decide, load_ok, outcome, process

from reconciler.model.changes import Action
from reconciler.policy.evaluation import DecisionRecord, evaluate

POLICY = """
version: 1
rules:
  - id: no-privileged
    match: {kinds: [container]}
    when: spec.privileged
    decision: deny
    message: "{address} is privileged"
  - id: look-at-replacements
    match: {actions: [replace]}
    decision: warn
    message: "{action} of {name}"
protect: [container.db]
"""


def test_approval_of_the_plan_hash_turns_require_approval_into_allow(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, POLICY)
    delete_db = container("db", action=Action.DELETE)
    assert decide(policy, [delete_db]).final[0].outcome.value == "require_approval"
    for approval in (HASH, "container.db"):
        result = decide(policy, [delete_db], approvals={approval})
        final = result.final[0]
        assert (final.outcome.value, final.approved, final.rule_id) == (
            "allow", True, "protect:container.db")
        assert final.reason.startswith("approved: container.db is protected")
        assert result.exit_ok


def test_approval_of_another_plan_does_not_count(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, POLICY)
    result = decide(policy, [container("db", action=Action.DELETE)], approvals={"0" * 64})
    assert result.final[0].outcome.value == "require_approval" and not result.exit_ok


def test_approval_never_overrides_deny(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, POLICY)
    change = container("db", action=Action.REPLACE, before={}, privileged=True)
    result = decide(policy, [change], approvals={HASH})
    assert result.final[0].outcome.value == "deny"
    assert [d.rule_id for d in result.denied] == ["no-privileged"]


def test_one_record_per_decision_with_every_field(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, POLICY)
    changes = [container("db", action=Action.REPLACE, before={}), process("api"),
               container("web", action=Action.NOOP)]
    result = decide(policy, changes)
    assert len(result.records) == len(result.decisions) == 4  # 2 rules + final, 1 final
    file = str(tmp_path / "policy.yaml")
    rows = [(r.rule_id, r.rule_origin, r.address, r.action, r.outcome, r.reason, r.final)
            for r in result.records]
    assert rows == [
        ("look-at-replacements", f"{file}:8:5", "container.db", "replace", "warn",
         "replace of db", False),
        ("protect:container.db", f"{file}:12:11", "container.db", "replace",
         "require_approval", "container.db is protected: deleting or replacing it needs "
         "approval", False),
        ("protect:container.db", f"{file}:12:11", "container.db", "replace",
         "require_approval", "container.db is protected: deleting or replacing it needs "
         "approval", True),
        ("default", "", "process.api", "create", "allow",
         "no policy rule matched: allowed by default", True),
    ]
    for record in result.records:
        assert re.fullmatch(r"[0-9a-f]{32}", record.id)
        assert record.time == "2024-01-02T10:00:00+00:00"
        assert (record.inputs_hash, record.git_commit) == (HASH, "abc123")
    assert len({r.id for r in result.records}) == 4


def test_record_json_round_trip(tmp_path: Path) -> None:
    result = decide(load_ok(tmp_path, POLICY), [container("x", privileged=True)])
    record = result.records[0]
    data = json.loads(json.dumps(record.to_json()))
    assert set(data) == {"id", "time", "rule_id", "rule_origin", "address", "action",
                         "outcome", "reason", "inputs_hash", "git_commit", "final"}
    assert DecisionRecord(**data) == record


def test_record_time_is_utc_and_git_commit_may_be_absent(tmp_path: Path) -> None:
    from datetime import timedelta, timezone

    paris_noon = TUESDAY_10.astimezone(timezone(timedelta(hours=1)))
    result = evaluate(load_ok(tmp_path, POLICY), [process()], now=paris_noon,
                      inputs_hash="h", git_commit=None)
    assert result.records[0].time == "2024-01-02T10:00:00+00:00"
    assert result.records[0].to_json()["git_commit"] is None


def test_condition_errors_fail_closed_by_default(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, """
        version: 1
        rules:
          - id: strict
            when: spec.privileged
            decision: deny
            message: privileged
          - id: lenient
            when: spec.missing == 1
            decision: deny
            message: never
            on_error: skip
        """)
    result = decide(policy, [process()])
    strict, lenient, final = result.decisions
    assert (strict.outcome.value, final.outcome.value, final.rule_id) == ("deny", "deny",
                                                                          "strict")
    assert "condition could not be evaluated" in strict.reason
    assert "privileged" in strict.reason
    assert lenient.outcome.value == "warn"
    assert lenient.reason.startswith("rule skipped: its condition could not be evaluated")


def test_a_condition_must_be_boolean(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, """
        version: 1
        rules:
          - id: not-bool
            when: spec.command
            decision: warn
            message: odd
            on_error: skip
        """)
    result = decide(policy, [process()])
    assert "not a bool" in result.decisions[0].reason


def test_secrets_never_reach_records(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, """
        version: 1
        rules:
          - id: any-env
            when: spec.env.exists(k, k == "TOKEN")
            decision: warn
            message: "{address} has a token"
        """)
    result = decide(policy, [process(env={"TOKEN": "(secret:abcd)"})])
    text = json.dumps([r.to_json() for r in result.records])
    assert "has a token" in text and "secret:abcd" not in text
    assert outcome(policy, process(env={})) == "allow"
