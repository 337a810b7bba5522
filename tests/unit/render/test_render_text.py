"""render.text: Terraform-style plan text, plain and coloured (syrupy snapshots)."""

from __future__ import annotations

from syrupy.assertion import SnapshotAssertion

from reconciler.engine import diff
from reconciler.engine.plan import Plan, build
from reconciler.model.types import DesiredState
from reconciler.render.text import render_plan

from .conftest import CLEAR_SECRETS, build_realistic_plan


def test_plain(plan: Plan, snapshot: SnapshotAssertion) -> None:
    text = render_plan(plan)
    assert text == snapshot
    assert "\x1b[" not in text
    assert "  # process.api will be replaced (spec changed)" in text
    assert '      ~ env.LOG_LEVEL: "debug" -> "info"   # forces replacement' in text
    assert "      ~ env.API_TOKEN: (sensitive value) -> (sensitive value)" in text
    assert text.endswith("Plan: 1 to add, 1 to change, 1 to replace, 1 to destroy.")


def test_colour(plan: Plan, snapshot: SnapshotAssertion) -> None:
    text = render_plan(plan, color=True)
    assert text == snapshot
    assert "\x1b[35m-/+\x1b[0m" in text and "\x1b[32m+\x1b[0m" in text
    assert "\x1b[31m-\x1b[0m" in text and "\x1b[33m~\x1b[0m" in text


def test_show_noop_lists_unchanged(plan: Plan, snapshot: SnapshotAssertion) -> None:
    text = render_plan(plan, show_noop=True)
    assert text == snapshot
    assert "  # task.setup is up to date" in text
    assert "task.setup" not in render_plan(plan)


def test_secrets_never_appear(plan: Plan) -> None:
    for text in (render_plan(plan), render_plan(plan, color=True, show_noop=True)):
        assert not any(secret in text for secret in CLEAR_SECRETS)
        assert "(sensitive:" not in text


def test_no_changes() -> None:
    desired = DesiredState("shop", {})
    plan = build(diff.compute(desired, {}, {}), desired, created_at=0.0)
    assert render_plan(plan) == "No changes. The world matches the configuration."


def test_byte_identical_for_the_same_inputs() -> None:
    first = render_plan(build_realistic_plan(), color=True, show_noop=True)
    assert all(render_plan(build_realistic_plan(), color=True, show_noop=True) == first
               for _ in range(3))
