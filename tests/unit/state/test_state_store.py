"""StateStore: records, lazy creation, WAL, allocations, runs, the journal, secrets.

Every test taking ``store``/``backend`` runs on SQLite and on PostgreSQL (conftest.py).
"""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from testing.state_backends import Backend

from reconciler.errors import UserError
from reconciler.events import EventBus
from reconciler.model.secrets import marker
from reconciler.model.types import Address
from reconciler.state import ResourceRecord, StateStore
from reconciler.state.schema import SCHEMA_VERSION

API = Address("process", "api")
DB = Address("container", "db", "web1")


def put(store: StateStore, address: Address, run_id: str | None = None, **spec: object) -> None:
    store.record(address, spec={"command": ["run"], **spec}, spec_hash="h-" + address.name,
                 depends_on=("process.db",), facts={"pid": 42}, status="running",
                 run_id=run_id)


def test_reading_a_missing_store_is_empty_and_creates_nothing(backend: Backend,
                                                              tmp_path: Path) -> None:
    s = backend.new()
    assert s.resources() == {} and s.holds() == {}
    assert s.allocations() == {} and s.serial() == 0
    assert s.runs() == [] and s.events() == []
    assert s.lease_info() is None and s.unlock() is None
    s.forget(API, run_id=None)
    assert not s.backend.exists()
    assert not (tmp_path / "proj").exists() and not backend.local.exists()
    s.close()


def test_record_round_trip(store: StateStore, backend: Backend) -> None:
    run_id = store.begin_run("apply", meta={})
    store.record(DB, spec={"image": "x:1", "env": {"A": "1"}}, spec_hash="abc",
                 depends_on=["process.api"], facts={"id": "c0ffee", "ports": [1, 2]},
                 status="running", run_id=run_id)
    reopened = backend.new()
    record = reopened.resources()[DB]
    assert isinstance(record, ResourceRecord)
    assert record.address == DB and str(record.address) == "container.db@web1"
    assert record.spec == {"image": "x:1", "env": {"A": "1"}}
    assert (record.spec_hash, record.depends_on, record.status) == ("abc", ("process.api",),
                                                                   "running")
    assert record.facts == {"id": "c0ffee", "ports": [1, 2]}
    assert record.run_id == run_id and record.applied_at > 0
    reopened.close()


def test_record_upserts_and_forget_deletes_with_audit_rows(store: StateStore) -> None:
    put(store, API)
    store.record(API, spec={"command": ["v2"]}, spec_hash="h2", depends_on=(), facts={},
                 status="exited", run_id=None)
    assert store.resources()[API].spec_hash == "h2"
    store.update_facts(API, {"pid": 7, "port": 8080})
    assert store.resources()[API].facts == {"pid": 7, "port": 8080}
    store.forget(API, run_id=None)
    assert store.resources() == {}
    kinds = [(e["kind"], e["address"], e["data"].get("existed")) for e in store.events()]
    assert kinds == [("state.record", "process.api", False), ("state.record", "process.api",
                     True), ("state.forget", "process.api", True)]
    with pytest.raises(ValueError, match="no state recorded"):
        store.update_facts(API, {"pid": 1})


def test_files_are_private_and_wal_is_on(sqlite_store: StateStore, db_path: Path) -> None:
    put(sqlite_store, API)
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] \
            == SCHEMA_VERSION
    assert db_path.with_name("state.db-wal").exists()


def test_a_newer_schema_is_refused(backend: Backend) -> None:
    first = backend.new()
    first.allocate("x", 1000)
    first.close()
    backend.sql("INSERT INTO schema_version VALUES (?, 0)", (SCHEMA_VERSION + 1,))
    with pytest.raises(UserError, match="newer than this reconciler"):
        backend.new().resources()


def test_allocations_are_stable(store: StateStore, backend: Backend) -> None:
    assert store.allocate("process.api", 41000) == 41000
    assert store.allocate("process.api", 42000) == 41000
    assert store.allocate("process.web", 42000) == 42000
    store.close()
    assert backend.new().allocations() == {"process.api": 41000, "process.web": 42000}
    with pytest.raises(backend.integrity_error):
        backend.sql("UPDATE allocations SET port = 1 WHERE key = 'process.api'")


def test_runs_and_events(store: StateStore) -> None:
    first = store.begin_run("plan", meta={"targets": []})
    second = store.begin_run("apply", meta={"inputs_hash": "ih"})
    store.append_event(second, "node.done", "process.api", "created", {"seconds": 0.5})
    store.append_event(None, "watch.tick", None, "tick", {})
    store.end_run(second, result="ok", summary={"applied": 1})
    runs = store.runs()
    assert [r["id"] for r in runs] == [second, first]
    assert runs[0]["result"] == "ok" and runs[0]["summary"] == {"applied": 1}
    assert runs[0]["meta"] == {"inputs_hash": "ih"} and runs[1]["ended_at"] is None
    assert len(first) == 32 and int(first, 16) >= 0
    mine = store.events(run_id=second)
    assert [e["kind"] for e in mine] == ["run.start", "node.done", "run.end"]
    assert mine[1]["data"] == {"seconds": 0.5} and mine[1]["address"] == "process.api"
    assert [e["kind"] for e in store.events(limit=2)] == ["watch.tick", "run.end"]
    with pytest.raises(ValueError, match="never rewritten"):
        store.end_run(second, result="failed", summary={})
    with pytest.raises(ValueError, match="unknown run"):
        store.end_run("missing", result="ok", summary={})


@pytest.mark.parametrize("sql", ["UPDATE events SET message = 'x'", "DELETE FROM events",
                                 "DELETE FROM runs", "DELETE FROM allocations"])
def test_append_only_tables_refuse_changes(store: StateStore, backend: Backend,
                                           sql: str) -> None:
    store.append_event(store.begin_run("apply", meta={}), "node.done", None, "done", {})
    store.allocate("process.api", 40000)
    with pytest.raises(backend.integrity_error, match=r"append-only|stable forever"):
        backend.sql(sql)
    assert len(store.events()) == 2 and store.allocations() == {"process.api": 40000}


def test_clear_secrets_are_refused_markers_pass(store: StateStore, backend: Backend) -> None:
    with pytest.raises(ValueError, match=r"spec\.env\.DB_PASSWORD"):
        store.record(API, spec={"env": {"DB_PASSWORD": "hunter2"}}, spec_hash="h",
                     depends_on=(), facts={}, status="running", run_id=None)
    with pytest.raises(ValueError, match=r"facts\.auth\.api_token"):
        store.record(API, spec={}, spec_hash="h", depends_on=(),
                     facts={"auth": {"api_token": "abc123"}}, status="running", run_id=None)
    assert store.resources() == {}
    masked = marker("hunter2", b"k" * 32)
    store.record(API, spec={"env": {"DB_PASSWORD": masked, "PORT": "80"}}, spec_hash="h",
                 depends_on=(), facts={"public_key": "pub=", "private_key": None},
                 status="running", run_id=None)
    assert store.resources()[API].spec["env"]["DB_PASSWORD"] == masked
    put(store, DB)
    with pytest.raises(ValueError, match="SECRET_KEY"):
        store.update_facts(DB, {"SECRET_KEY": "s3cr3t"})
    assert "hunter2" not in backend.dump() and "s3cr3t" not in backend.dump()


def test_the_secret_key_is_shared_by_every_store_of_the_backend(backend: Backend) -> None:
    first, second = backend.new(), backend.new()
    assert len(first.secret_key()) == 32 and second.secret_key() == first.secret_key()
    first.close()
    second.close()


def test_open_project_locations(tmp_path: Path) -> None:
    assert StateStore.open_project(tmp_path).path == tmp_path / ".reconciler" / "state.db"
    dev = StateStore.open_project(tmp_path, "dev")
    assert dev.state_dir == tmp_path / ".reconciler" / "sessions" / "dev"
    custom = StateStore.open_project(tmp_path, None, tmp_path / "elsewhere")
    assert custom.path == tmp_path / "elsewhere" / "state.db"
    with pytest.raises(UserError, match="invalid session"):
        StateStore.open_project(tmp_path, "../escape")


def test_concurrent_writers_from_threads(store: StateStore) -> None:
    run_id = store.begin_run("apply", meta={})
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                put(store, Address("process", f"s{n}-{i}"), run_id)
                store.allocate(f"process.s{n}-{i}", 20000 + n * 100 + i)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.resources()) == 160 and len(store.allocations()) == 160
    assert len(store.events(run_id=run_id)) == 161


def test_journal_subscriber_keeps_redacted_bus_events(store: StateStore) -> None:
    run_id = store.begin_run("apply", meta={})
    bus = EventBus()
    bus.redactor.add(["topsecret"])
    bus.subscribe(store.journal(run_id))
    bus.emit("node.start", API, "create process.api with topsecret", action="create")
    bus.emit("node.log", API, "a log line")
    kept = store.events(run_id=run_id)
    assert [e["kind"] for e in kept] == ["run.start", "node.start"]
    assert kept[1]["message"] == "create process.api with (sensitive)"
    assert kept[1]["data"] == {"action": "create"}
