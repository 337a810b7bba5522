"""A Neona .ai/policy.yaml as the ``neona`` policy layer: what applies becomes a rule, the
rest is named in one warning, bad values are warnings at their position."""

from __future__ import annotations

import shutil
from pathlib import Path

from reconciler.engine.policy_step import load_layers, policy_layers
from reconciler.policy.rules import Outcome

FIXTURE = Path(__file__).parent / "fixtures" / "neona" / ".ai" / "policy.yaml"


def _layers(tmp_path: Path) -> list[tuple[Path, str]]:
    return policy_layers(tmp_path, tmp_path / ".reconciler", None,
                         {"XDG_CONFIG_HOME": str(tmp_path / "xdg")})


def test_neona_fixture_is_a_layer_requiring_approval_for_destructive_changes(
        tmp_path: Path) -> None:
    (tmp_path / ".ai").mkdir()
    shutil.copy(FIXTURE, tmp_path / ".ai" / "policy.yaml")
    policy, diagnostics = load_layers(_layers(tmp_path))
    assert [(r.id, r.decision, sorted(r.match.actions or ())) for r in policy.rules] == [
        ("neona:task_execution.direct_main_write", Outcome.REQUIRE_APPROVAL,
         ["delete", "replace"])]
    assert str(policy.rules[0].origin).endswith(".ai/policy.yaml:4:3")
    assert len(diagnostics) == 1 and diagnostics[0].severity.value == "warning"
    note = diagnostics[0].summary
    assert "completion (evidence_required, test_evidence, diff_required)" in note
    assert "agents (respect_locks, bypass_tests)" in note and "enforce_policy" not in note
    assert "secrets_access" not in note and "direct_main_write" not in note


def test_direct_main_write_true_adds_no_rule_and_bad_values_warn_in_place(
        tmp_path: Path) -> None:
    (tmp_path / ".ai").mkdir()
    (tmp_path / ".ai" / "policy.yaml").write_text(
        "task_execution:\n  direct_main_write: true\nsafety:\n  secrets_access: maybe\n"
        "extra: 3\n")
    policy, diagnostics = load_layers(_layers(tmp_path))
    assert policy.rules == ()
    rendered = [d.render().splitlines()[0] for d in diagnostics]
    assert any(r.endswith(".ai/policy.yaml:4:3: warning: Neona rule safety.secrets_access is "
                          "not true/false and is ignored") for r in rendered), rendered
    assert any(":5:1: warning: Neona group 'extra' is not a mapping" in r for r in rendered)


def test_no_neona_file_is_no_layer(tmp_path: Path) -> None:
    policy, diagnostics = load_layers(_layers(tmp_path))
    assert policy.rules == () and diagnostics == []
