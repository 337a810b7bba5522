"""render.markdown: the CI summary / PR comment (syrupy snapshot)."""

from __future__ import annotations

from syrupy.assertion import SnapshotAssertion

from reconciler.engine import diff
from reconciler.engine.plan import Plan, build
from reconciler.model.types import DesiredState
from reconciler.render.markdown import render_plan_md

from .conftest import CLEAR_SECRETS


def test_snapshot(plan: Plan, snapshot: SnapshotAssertion) -> None:
    text = render_plan_md(plan)
    assert text == snapshot
    assert "**Plan: 1 to add, 1 to change, 1 to replace, 1 to destroy.**" in text
    assert "| replace | `process.api` | spec changed |" in text
    assert text.count("<details>") == text.count("</details>") == 4
    assert "\x1b[" not in text
    assert not any(secret in text for secret in CLEAR_SECRETS)


def test_pipes_in_reasons_are_escaped() -> None:
    from reconciler.render.markdown import _cell

    assert _cell("a|b") == "a\\|b"


def test_no_changes() -> None:
    desired = DesiredState("shop", {})
    plan = build(diff.compute(desired, {}, {}), desired, created_at=0.0)
    assert render_plan_md(plan) == \
        "### reconciler plan for `shop`\n\nNo changes. The world matches the configuration.\n"
