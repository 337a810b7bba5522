"""Deny-wins layering across user, project and session policies, and change windows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from policy_helpers import container, decide, load_ok, outcome, process, write

from reconciler.model.changes import Action
from reconciler.policy.evaluation import load_policies

USER = """
version: 1
rules:
  - id: trust-my-containers
    match: {kinds: [container]}
    decision: allow
    message: the user allows every container
"""
PROJECT = """
version: 1
rules:
  - id: no-privileged
    when: has(spec.privileged) && spec.privileged
    decision: deny
    message: no privileged containers
  - id: warn-replace
    match: {actions: [replace]}
    decision: warn
    message: replacing
"""
SESSION = """
version: 1
rules:
  - id: allow-privileged-in-this-session
    when: spec.privileged
    decision: allow
    message: the session wants privileged containers
protect: [container.db]
"""


def three_layers(tmp_path: Path) -> list[tuple[Path, str]]:
    return [(write(tmp_path / "home", USER), "user"),
            (write(tmp_path / "project", PROJECT), "project"),
            (write(tmp_path / "session", SESSION, "override.yaml"), "session")]


def test_deny_wins_over_allows_in_other_layers(tmp_path: Path) -> None:
    policy, diagnostics = load_policies(three_layers(tmp_path))
    assert diagnostics == []
    result = decide(policy, [container("x", privileged=True)])
    per_rule = [(d.layer, d.rule_id, d.outcome.value) for d in result.decisions if not d.final]
    assert per_rule == [("user", "trust-my-containers", "allow"),
                        ("project", "no-privileged", "deny"),
                        ("session", "allow-privileged-in-this-session", "allow")]
    final = result.final[0]
    assert (final.outcome.value, final.rule_id, final.layer) == ("deny", "no-privileged",
                                                                 "project")
    assert final.rule_origin == f"{tmp_path / 'project' / 'policy.yaml'}:3:5"


def test_most_severe_outcome_wins_in_every_order(tmp_path: Path) -> None:
    paths = three_layers(tmp_path)
    for order in (paths, paths[::-1], [paths[1], paths[2], paths[0]]):
        policy, _ = load_policies(order)
        replace_db = container("db", action=Action.REPLACE, before={})
        assert outcome(policy, replace_db) == "require_approval"
        assert outcome(policy, container("web", action=Action.REPLACE, before={})) == "warn"
        assert outcome(policy, container("web")) == "allow"
        assert outcome(policy, container("web", privileged=True)) == "deny"


def test_effective_policy_shows_each_rule_with_its_origin(tmp_path: Path) -> None:
    policy, _ = load_policies(three_layers(tmp_path))
    shown = [(r["layer"], r["id"], r["origin"]) for r in policy.describe()]
    home, proj, sess = (tmp_path / "home" / "policy.yaml", tmp_path / "project" / "policy.yaml",
                        tmp_path / "session" / "override.yaml")
    assert shown == [("user", "trust-my-containers", f"{home}:3:5"),
                     ("project", "no-privileged", f"{proj}:3:5"),
                     ("project", "warn-replace", f"{proj}:7:5"),
                     ("session", "allow-privileged-in-this-session", f"{sess}:3:5"),
                     ("session", "protect:container.db", f"{sess}:7:11")]
    assert policy.sources == (("user", str(home)), ("project", str(proj)),
                              ("session", str(sess)))
    assert policy.describe()[1]["when"] == "has(spec.privileged) && spec.privileged"


def test_missing_user_and_project_files_are_fine_but_a_missing_override_is_not(
        tmp_path: Path) -> None:
    policy, diagnostics = load_policies([(tmp_path / "none.yaml", "user"),
                                         (tmp_path / "policy.yaml", "project")])
    assert policy.empty and diagnostics == []
    _, diagnostics = load_policies([(tmp_path / "override.yaml", "session")])
    assert [d.summary for d in diagnostics] == [
        "policy file for layer 'session' does not exist"]


WINDOWS = """
version: 1
rules:
  - id: allow-all
    decision: allow
    message: everything is allowed
change_windows:
  - days: [mon, tue, wed, thu, fri]
    start: "09:00"
    end: "17:30"
    tz: Europe/Paris
  - days: [sat]
    start: "22:00"
    end: "02:00"
"""


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2024, 1, 2, 8, 0, tzinfo=UTC), "allow"),     # Tue 09:00 Paris: opens
    (datetime(2024, 1, 2, 7, 59, tzinfo=UTC), "deny"),     # Tue 08:59 Paris
    (datetime(2024, 1, 2, 16, 29, tzinfo=UTC), "allow"),   # Tue 17:29 Paris
    (datetime(2024, 1, 2, 16, 30, tzinfo=UTC), "deny"),    # Tue 17:30 Paris: closed
    (datetime(2024, 7, 2, 15, 0, tzinfo=UTC), "allow"),    # summer time: 17:00 Paris
    (datetime(2024, 7, 2, 15, 30, tzinfo=UTC), "deny"),    # summer time: 17:30 Paris
    (datetime(2024, 1, 7, 12, 0, tzinfo=UTC), "deny"),     # Sunday noon
    (datetime(2024, 1, 6, 23, 0, tzinfo=UTC), "allow"),    # Sat 23:00 UTC
    (datetime(2024, 1, 7, 1, 59, tzinfo=UTC), "allow"),    # Sun 01:59: Saturday's window
    (datetime(2024, 1, 7, 2, 0, tzinfo=UTC), "deny"),      # Sun 02:00: closed
    (datetime(2024, 1, 6, 1, 0, tzinfo=UTC), "deny"),      # Sat 01:00: Friday has no night
])
def test_change_windows_deny_outside_and_beat_allow(tmp_path: Path, now: datetime,
                                                    expected: str) -> None:
    policy = load_ok(tmp_path, WINDOWS)
    result = decide(policy, [process()], now=now)
    final = result.final[0]
    assert final.outcome.value == expected
    if expected == "deny":
        assert final.rule_id == "change_windows"
        assert final.reason == "create of process.api is outside every change window"
        assert ("allow-all", "allow") in [(d.rule_id, d.outcome.value)
                                          for d in result.decisions]


def test_evaluate_needs_an_aware_now(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(load_ok(tmp_path, WINDOWS), [process()], now=datetime(2024, 1, 2, 10))


def test_now_is_visible_to_cel(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, """
        version: 1
        rules:
          - id: no-friday-deploys
            when: now.getDayOfWeek() == 5 && now.getHours() >= 12
            decision: deny
            message: not on Fridays
        """)
    assert outcome(policy, process(), datetime(2024, 1, 5, 12, tzinfo=UTC)) == "deny"
    assert outcome(policy, process(), datetime(2024, 1, 5, 11, tzinfo=UTC)) == "allow"
    assert outcome(policy, process(), datetime(2024, 1, 4, 12, tzinfo=UTC)) == "allow"
