"""StateStore.batched (reconciler/state/writebehind.py): an apply's records and audit rows
committed in batches, on SQLite and PostgreSQL, without a reader ever missing one."""

from __future__ import annotations

import pytest
from testing.state_backends import Backend

from reconciler.model.types import Address
from reconciler.state import StateStore
from reconciler.state.backend import Conn
from reconciler.state.writebehind import WriteBehind


def put(store: StateStore, name: str, run_id: str | None) -> None:
    store.record(Address("process", name), spec={"command": ["run"]}, spec_hash="h-" + name,
                 depends_on=(), facts={"pid": 42}, status="running", run_id=run_id)


def test_batched_writes_keep_their_order_and_are_read_back_at_once(backend: Backend) -> None:
    store = backend.new()
    run_id = store.begin_run("apply", meta={})
    stamp_before = store.events(run_id=run_id)[-1]["time"]
    with store.batched(interval=60.0):  # the flusher never fires on its own in this test
        put(store, "a", run_id)
        store.append_event(run_id, "node.done", "process.a", "created", {"outcome": "applied"})
        put(store, "b", run_id)
        store.forget(Address("process", "a"), run_id=run_id)
        # a read commits what is queued first: nothing deferred is ever missed
        assert set(store.resources()) == {Address("process", "b")}
        put(store, "c", run_id)
    assert set(store.resources()) == {Address("process", "b"), Address("process", "c")}
    rows = store.events(run_id=run_id)
    assert [(r["kind"], r["address"]) for r in rows] == [
        ("run.start", None), ("state.record", "process.a"), ("node.done", "process.a"),
        ("state.record", "process.b"), ("state.forget", "process.a"),
        ("state.record", "process.c")]
    assert rows[1]["message"] == "recorded process.a" and rows[4]["data"]["existed"] is True
    times = [r["time"] for r in rows]
    assert times == sorted(times) and times[1] >= stamp_before


def test_a_deferred_row_carries_the_stamp_of_when_it_was_written(backend: Backend) -> None:
    store = backend.new()
    run_id = store.begin_run("apply", meta={})
    with store.batched(interval=60.0):
        store.stamp(commit="c1")
        store.append_event(run_id, "node.start", "process.a", "", {})
        store.stamp(commit="c2")
        store.append_event(run_id, "node.start", "process.b", "", {})
    commits = {r["address"]: r["data"].get("commit") for r in store.events(run_id=run_id)}
    assert commits == {None: None, "process.a": "c1", "process.b": "c2"}


def test_the_flusher_commits_without_a_reader(backend: Backend) -> None:
    store = backend.new()
    run_id = store.begin_run("apply", meta={})
    inner = store.backend
    with store.batched(interval=0.01):
        writer = store.backend
        assert isinstance(writer, WriteBehind)
        put(store, "a", run_id)
        for _ in range(500):  # the flusher commits on its own (no read through the store)
            if inner.query("SELECT COUNT(*) FROM resources")[0][0] == 1:
                break
            writer._thread.join(timeout=0.01)
        assert inner.query("SELECT COUNT(*) FROM resources")[0][0] == 1
    assert store.backend is inner


def test_a_failed_batch_is_raised_when_the_block_ends(backend: Backend) -> None:
    store = backend.new()
    store.begin_run("apply", meta={})

    def broken(conn: Conn) -> None:
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(Exception, match="no_such_table"), store.batched(interval=60.0):
        writer = store.backend
        assert isinstance(writer, WriteBehind)
        writer.defer(broken)
    assert store.backend.exists()


def test_outside_a_batch_every_write_is_its_own_transaction(backend: Backend) -> None:
    store = backend.new()
    put(store, "a", None)
    assert not isinstance(store.backend, WriteBehind)
    assert set(store.resources()) == {Address("process", "a")}
