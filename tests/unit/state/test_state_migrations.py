"""Schema versions: a state written at version 1 migrates to the current one, on both
backends; a read-only database and a schema that is not reconciler's give clear errors; every
psycopg error class lands in the one error tree, password masked."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from testing.state_backends import Backend

from reconciler.errors import InternalError, StateRefused, StateUnavailable, UserError
from reconciler.model.types import Address
from reconciler.state import StateStore, pg_schema, schema

API = Address("process", "api")


def write_version_1(backend: Backend) -> None:
    """A database as reconciler's first schema version left it, with a run and a record."""
    if backend.kind == "sqlite":
        path = backend.target
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as conn:
            for statement in schema._statements(schema.MIGRATIONS[0]):
                conn.execute(statement)
            conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                         "applied_at REAL NOT NULL)")
            conn.execute("INSERT INTO schema_version VALUES (1, 0)")
    else:
        import psycopg

        from reconciler.state.url import parse_pg

        target = parse_pg(backend.target, "unused")
        with psycopg.connect(target.conninfo, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{target.schema}"'.encode())
            with conn.transaction():
                conn.execute(f'CREATE SCHEMA "{target.schema}"'.encode())
                assert pg_schema.migrate(conn, target.schema, "test", upto=1) == 1
    backend.sql('INSERT INTO runs (id, kind, started_at, meta, pid, hostname, "user") '
                "VALUES ('r1', 'apply', 1.0, '{}', 1, 'h', 'u')")
    backend.sql("INSERT INTO resources VALUES ('process.api', 'process', 'api', 'local', "
                "'{}', 'h1', '[]', '{}', 'running', 1.0, 'r1')")
    backend.sql("INSERT INTO events (time, run_id, kind, message) "
                "VALUES (1.0, 'r1', 'run.start', 'apply started')")


def test_a_version_1_state_migrates_to_the_current_version(backend: Backend) -> None:
    write_version_1(backend)
    store = backend.new()
    assert store.resources()[API].spec_hash == "h1"  # old rows kept
    assert store.serial() == 1
    store.hold(API, who="me")  # v3
    assert store.holds()[API.__str__()]["who"] == "me"
    store.record_decisions(None, [])  # v2 tables exist
    assert store.approvals() == [] and len(store.secret_key()) == 32  # v4 (meta / key file)
    with store.lease("me"):
        assert store.lease_info()["command"]  # type: ignore[index]  # v4 column
    versions = store.backend.query("SELECT version FROM schema_version ORDER BY version")
    assert [int(r[0]) for r in versions] == list(range(1, schema.SCHEMA_VERSION + 1))
    assert pg_schema.SCHEMA_VERSION == schema.SCHEMA_VERSION
    store.close()


def test_a_schema_that_is_not_reconciler_state_is_refused(pg_cluster: Any) -> None:
    name = pg_cluster.fresh_schema()
    pg_cluster.sql("reconciler", f"CREATE SCHEMA {name}; CREATE TABLE {name}.orders (id int)")
    store = StateStore.open_url(pg_cluster.url(name), state_dir=pg_cluster.root, schema="x")
    with pytest.raises(StateUnavailable, match="not reconciler state") as caught:
        store.resources()
    assert "?schema=" in caught.value.hint
    store.close()


def test_a_read_only_database_gives_a_clear_error(pg_cluster: Any) -> None:
    database = pg_cluster.fresh_schema()
    pg_cluster.sql("postgres", f"CREATE DATABASE {database}")
    pg_cluster.sql("postgres", f"ALTER DATABASE {database} SET default_transaction_read_only "
                               "= on")
    store = StateStore.open_url(pg_cluster.url("s", database=database),
                                state_dir=pg_cluster.root, schema="x")
    assert store.resources() == {}  # reading works
    with pytest.raises(StateUnavailable, match="is read-only"):
        store.allocate("process.api", 40000)
    store.close()


def test_psycopg_errors_are_mapped_with_the_password_masked() -> None:
    psycopg = pytest.importorskip("psycopg")
    from reconciler.state.pg import mapped_errors
    from reconciler.state.url import parse_pg

    target = parse_pg("postgresql://bob:s3cret@db.invalid/app?sslmode=require", "team")
    cases: list[tuple[Exception, type[Exception]]] = [
        (psycopg.errors.UniqueViolation("dup"), StateRefused),
        (psycopg.errors.ReadOnlySqlTransaction("ro"), StateUnavailable),
        (psycopg.errors.InsufficientPrivilege("no"), StateUnavailable),
        (psycopg.errors.UndefinedTable("resources"), StateUnavailable),
        (psycopg.OperationalError("password s3cret refused for bob:s3cret@db.invalid"),
         StateUnavailable),
        (psycopg.ProgrammingError("bad"), InternalError),
    ]
    for raised, expected in cases:
        with pytest.raises(expected) as caught, mapped_errors(target):
            raise raised
        text = caught.value.message + caught.value.hint  # type: ignore[attr-defined]
        assert "s3cret" not in text and "db.invalid" in text
    assert target.shown.startswith("postgresql://bob:***@db.invalid/app?")
    assert "schema=team" in target.shown and target.schema == "team"
    with pytest.raises(UserError, match="invalid state schema"):
        parse_pg("postgresql://h/db?schema=Bad-Name", "x")
