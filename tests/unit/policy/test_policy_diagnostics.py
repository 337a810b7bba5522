"""Diagnostics for bad policy files, with exact line:col and hints."""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_helpers import load_one

from reconciler.errors import Severity


def rendered(tmp_path: Path, text: str) -> list[str]:
    policy, diagnostics = load_one(tmp_path, text)
    assert policy.empty
    assert all(d.severity is Severity.ERROR for d in diagnostics)
    prefix = f"{tmp_path / 'policy.yaml'}:"
    return [d.render().removeprefix(prefix) for d in diagnostics]


def first_line(tmp_path: Path, text: str) -> str:
    lines = rendered(tmp_path, text)
    assert len(lines) == 1, lines
    return lines[0].splitlines()[0]


def test_bad_yaml(tmp_path: Path) -> None:
    assert first_line(tmp_path, "version: 1\nrules: [\n  {id: a\n") == (
        "4:1: error: invalid YAML: expected ',' or '}', but got '<stream end>'")


def test_duplicate_key(tmp_path: Path) -> None:
    lines = rendered(tmp_path, "version: 1\nprotect: [a]\nprotect: [b]\n")
    assert lines[0].startswith("3:1: error: invalid YAML: found duplicate key \"protect\"")
    assert lines[0].endswith("hint: each key may appear only once in a mapping")


def test_unknown_keys_everywhere_at_once(tmp_path: Path) -> None:
    lines = rendered(tmp_path, """
        version: 1
        rulez: []
        rules:
          - id: a
            decision: deny
            message: m
            match: {kind: [container]}
        change_windows:
          - {days: [mon], start: "09:00", end: "10:00", zone: UTC}
        """)
    assert [line.splitlines()[0] for line in lines] == [
        "2:1: error: unknown key 'rulez' in the policy file",
        "7:13: error: unknown key 'kind' in rules.0.match",
        "9:49: error: unknown key 'zone' in change_windows.0",
    ]
    assert lines[1].splitlines()[1] == (
        "  hint: did you mean 'kinds'? allowed keys: actions, hosts, kinds, labels, names")
    assert "allowed_hosts" in lines[0]


def test_missing_and_wrong_values(tmp_path: Path) -> None:
    lines = rendered(tmp_path, """
        version: 2
        rules:
          - id: a
            message: m
          - id: b
            decision: maybe
            message: m
            match: {actions: [create, destroy]}
        change_windows:
          - days: [monday]
            start: "9am"
            end: 17:00
        """)
    firsts = [line.splitlines()[0] for line in lines]
    assert firsts == [
        "1:10: error: version: Input should be 1",
        "3:5: error: missing required key 'decision' in rules.0",
        "6:15: error: rules.1.decision: Input should be 'deny', 'require_approval', 'warn' "
        "or 'allow'",
        "8:31: error: rules.1.match.actions.1: Input should be 'create', 'update', 'replace' "
        "or 'delete'",
        "10:12: error: change_windows.0.days.0: Input should be 'mon', 'tue', 'wed', 'thu', "
        "'fri', 'sat' or 'sun'",
        "11:12: error: change_windows.0.start: String should match pattern "
        "'^([01][0-9]|2[0-3]):[0-5][0-9]$'",
    ]
    assert lines[0].endswith("hint: write `version: 1`")
    assert lines[-1].endswith('hint: write times as "HH:MM" on a 24-hour clock, for example '
                              '"09:00"')


def test_not_a_mapping(tmp_path: Path) -> None:
    assert first_line(tmp_path, "- just\n- a list\n") == (
        "1:1: error: a policy file must be a mapping with `version` and `rules`")


@pytest.mark.parametrize(("when", "position"), [
    ("when: spec.privileged == ", "4:29"),  # YAML drops the trailing blank
    ("when: 'spec.x &&& true'", "4:21"),
    ('when: "spec.x &&& true"', "4:21"),
    ("when: |\n      has(spec.x) &&\n      spec.x === 1", "6:16"),
    ("when: >-\n      has(spec.x) &&\n      spec.x === 1", "6:16"),
])
def test_bad_cel_points_into_the_expression(tmp_path: Path, when: str, position: str) -> None:
    text = ("version: 1\nrules:\n  - id: r1\n    " + when
            + "\n    decision: deny\n    message: m\n")
    line = first_line(tmp_path, text)
    assert line.startswith(f"{position}: error: invalid CEL expression in rule 'r1': ")


def test_bad_cel_shows_a_caret_and_a_hint(tmp_path: Path) -> None:
    lines = rendered(tmp_path, "version: 1\nrules:\n  - id: r1\n    when: spec.x ==\n"
                               "    decision: deny\n    message: m\n")
    assert "^" in lines[0] and "hint: CEL strings use" in lines[0]


def test_unknown_cel_variable(tmp_path: Path) -> None:
    text = ("version: 1\nrules:\n  - id: r1\n    when: spec.ports.all(p, p.x) && sepc.y\n"
            "    decision: deny\n    message: m\n")
    assert first_line(tmp_path, text) == (
        "4:37: error: unknown variable 'sepc' in the condition of rule 'r1'")


def test_duplicate_rule_id_and_bad_time_zone(tmp_path: Path) -> None:
    lines = rendered(tmp_path, """
        version: 1
        rules:
          - {id: same, decision: warn, message: a}
          - {id: same, decision: deny, message: b}
        change_windows:
          - {days: [mon], start: "09:00", end: "10:00", tz: Mars/Olympus}
        """)
    assert [line.splitlines()[0] for line in lines] == [
        "4:10: error: duplicate rule id 'same'",
        "6:53: error: unknown time zone 'Mars/Olympus'",
    ]
    assert lines[0].splitlines()[1].endswith("policy.yaml:3:10")


def test_unreadable_file(tmp_path: Path) -> None:
    from reconciler.policy.evaluation import load_policies

    folder = tmp_path / "policy.yaml"
    folder.mkdir()
    _, diagnostics = load_policies([(folder, "project")])
    assert diagnostics[0].summary.startswith("cannot read policy file")


def test_every_file_is_reported_and_good_files_still_load(tmp_path: Path) -> None:
    from policy_helpers import write

    from reconciler.policy.evaluation import load_policies

    good = write(tmp_path / "a", "version: 1\nprotect: [db]\n")
    bad = write(tmp_path / "b", "version: 1\nrules: [{id: x}]\n")
    policy, diagnostics = load_policies([(good, "user"), (bad, "project")])
    assert [r.id for r in policy.rules] == ["protect:db"]
    assert [str(d.source) for d in diagnostics] == [f"{bad}:2:9", f"{bad}:2:9"]
