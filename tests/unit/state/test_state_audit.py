"""The audit log is written on change and stamped, on every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.errors import ReconcilerError
from reconciler.state import StateStore


def decision(outcome: str = "allow", inputs_hash: str = "h1", rid: str = "d1") -> dict[str, Any]:
    return {"id": rid, "time": datetime.now(UTC).isoformat(), "rule_id": "default",
            "rule_origin": "-", "address": "process.a", "action": "delete",
            "outcome": outcome, "reason": "ok",
            "inputs_hash": inputs_hash, "git_commit": "c1", "final": True}


def kinds(store: StateStore) -> list[str]:
    return [e["kind"] for e in store.events()]


def test_an_unchanged_evaluation_outside_a_run_is_written_once(store: StateStore) -> None:
    store.record_decisions(None, [decision(rid="d1")])
    store.record_decisions(None, [decision(rid="d2")])  # same decision, new id and time
    assert kinds(store).count("policy.evaluated") == 1
    assert len(store.decisions()) == 1
    store.record_decisions(None, [decision("deny", rid="d3")])  # a change: written
    store.record_decisions(None, [decision(inputs_hash="h2", rid="d4")])  # new inputs
    store.record_decisions(None, [decision(inputs_hash="h2", rid="d5")])
    assert kinds(store).count("policy.evaluated") == 3
    run_id = store.begin_run("apply", meta={})
    store.record_decisions(run_id, [decision(inputs_hash="h2", rid="d6")])  # a run's: kept
    assert len(store.decisions(run_id=run_id)) == 1


def test_every_row_carries_the_stamp_and_its_own_value_wins(store: StateStore) -> None:
    store.stamp(commit="abc")
    run_id = store.begin_run("watch", meta={})
    store.append_event(run_id, "node.start", "process.a", "x", {"commit": "own"})
    with store.lease("me@here"):
        pass
    store.stamp(commit=None)
    store.end_run(run_id, result="ok", summary={})
    rows = {e["kind"]: e["data"].get("commit") for e in store.events()}
    assert rows == {"run.start": "abc", "node.start": "own", "lease.acquired": "abc",
                    "lease.released": "abc", "run.end": None}


def test_prune_removes_old_rows_through_the_sanctioned_path_and_verifies(
        store: StateStore) -> None:
    run_id = store.begin_run("apply", meta={})
    store.record_decisions(run_id, [decision(rid="old")])
    store.end_run(run_id, result="ok", summary={})
    old = store.events()
    cut = old[-1]["time"] + 1e-6
    store.append_event(None, "later", None, "after the cut-off", {})
    done = store.prune_audit(cut)
    assert done["rows"] == len(old) and done["decisions"] == 1
    assert done["through"] == old[-1]["id"] and done["previous"] is None
    assert [e["kind"] for e in store.events()] == ["later", "audit.pruned"]
    assert store.decisions() == []
    assert store.verify_audit() == []
    again = store.prune_audit(store.events()[-1]["time"] + 1)  # the checkpoint is kept
    assert again["previous"] == done["digest"] and again["rows"] == 1
    assert [e["kind"] for e in store.events()] == ["audit.pruned", "audit.pruned"]
    assert store.verify_audit() == []
    assert store.prune_audit(0)["rows"] == 0
    # outside prune, the log is still append-only
    with pytest.raises(ReconcilerError), store._db.transaction() as conn:
        conn.execute("DELETE FROM events")
