"""render.graph: DOT and Mermaid outputs of the plan DAG (syrupy snapshots)."""

from __future__ import annotations

from syrupy.assertion import SnapshotAssertion

from reconciler.engine.plan import Plan
from reconciler.render.graph import to_dot, to_mermaid

from .conftest import build_realistic_plan


def test_dot(plan: Plan, snapshot: SnapshotAssertion) -> None:
    text = to_dot(plan)
    assert text == snapshot
    assert '"process.api" -> "process.web" [label="service_healthy"];' in text
    assert '"process.legacy" -> "process.api" [label="delete"];' in text


def test_mermaid(plan: Plan, snapshot: SnapshotAssertion) -> None:
    text = to_mermaid(plan)
    assert text == snapshot
    assert text.startswith("flowchart LR\n")
    assert 'n0["- process.legacy"]:::delete' in text


def test_deterministic() -> None:
    plans = [build_realistic_plan() for _ in range(3)]
    assert len({to_dot(p) for p in plans}) == 1
    assert len({to_mermaid(p) for p in plans}) == 1
