"""The state schema in PostgreSQL's dialect, version for version the SQLite one, and migrate.

Each project lives in its own schema (see reconciler/state/url.py). The tables and columns are
those of reconciler/state/schema.py, with PostgreSQL types, an explicit ``rowid`` (insertion
order) on ``runs``, ``decisions`` and ``approvals``, and ``"user"`` quoted. Append-only rules
are enforced by the database: row triggers raise (SQLSTATE 23000, an integrity violation) on
any UPDATE or DELETE of ``events``, ``decisions``, ``approvals``, ``allocations``, any DELETE
of ``runs`` and any rewrite of an ended run; statement triggers refuse TRUNCATE of them too.

:func:`migrate` runs inside a transaction holding the project's write lock (an advisory
transaction lock), so of several processes opening a new schema exactly one creates it.
"""

from __future__ import annotations

import time

from reconciler.errors import StateUnavailable, UserError
from reconciler.state.backend import Conn

_REFUSE = """
CREATE FUNCTION reconciler_refuse() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = '23000'; END $fn$;
"""


def _append_only(table: str, message: str, *, updates: bool = True) -> str:
    ops = "UPDATE OR DELETE" if updates else "DELETE"
    return (f"CREATE TRIGGER {table}_append_only BEFORE {ops} ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION reconciler_refuse('{message}');\n"
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION reconciler_refuse('{message}');\n")


_V1 = _REFUSE + """
CREATE TABLE runs (
    rowid       BIGSERIAL UNIQUE,
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    started_at  DOUBLE PRECISION NOT NULL,
    ended_at    DOUBLE PRECISION,
    result      TEXT,
    meta        TEXT NOT NULL DEFAULT '{}',
    summary     TEXT,
    pid         INTEGER NOT NULL,
    hostname    TEXT NOT NULL,
    "user"      TEXT NOT NULL
);
CREATE INDEX runs_started ON runs(started_at);
CREATE FUNCTION reconciler_run_end_once() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF OLD.ended_at IS NOT NULL OR NEW.id IS DISTINCT FROM OLD.id
     OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.started_at IS DISTINCT FROM OLD.started_at
     OR NEW.meta IS DISTINCT FROM OLD.meta OR NEW.pid IS DISTINCT FROM OLD.pid
     OR NEW.hostname IS DISTINCT FROM OLD.hostname OR NEW."user" IS DISTINCT FROM OLD."user"
  THEN RAISE EXCEPTION 'a run is ended once and never rewritten' USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $fn$;
CREATE TRIGGER runs_end_once BEFORE UPDATE ON runs FOR EACH ROW
EXECUTE FUNCTION reconciler_run_end_once();
""" + _append_only("runs", "runs are append-only", updates=False) + """
CREATE TABLE resources (
    address     TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    host        TEXT NOT NULL,
    spec        TEXT NOT NULL,
    spec_hash   TEXT NOT NULL,
    depends_on  TEXT NOT NULL,
    facts       TEXT NOT NULL,
    status      TEXT NOT NULL,
    applied_at  DOUBLE PRECISION NOT NULL,
    run_id      TEXT REFERENCES runs(id)
);
CREATE TABLE allocations (
    key           TEXT PRIMARY KEY,
    port          INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    allocated_at  DOUBLE PRECISION NOT NULL
);
""" + _append_only("allocations", "port allocations are stable forever") + """
CREATE TABLE events (
    id       BIGSERIAL PRIMARY KEY,
    time     DOUBLE PRECISION NOT NULL,
    run_id   TEXT REFERENCES runs(id),
    kind     TEXT NOT NULL,
    address  TEXT,
    message  TEXT NOT NULL,
    data     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_run ON events(run_id, id);
""" + _append_only("events", "the audit log is append-only") + """
CREATE TABLE lease (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    token        TEXT NOT NULL,
    holder       TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    pid_start    TEXT,
    hostname     TEXT NOT NULL,
    acquired_at  DOUBLE PRECISION NOT NULL,
    renewed_at   DOUBLE PRECISION NOT NULL,
    expires_at   DOUBLE PRECISION NOT NULL
);
"""

_V2 = """
CREATE TABLE decisions (
    rowid        BIGSERIAL UNIQUE,
    id           TEXT PRIMARY KEY,
    time         TEXT NOT NULL,
    run_id       TEXT REFERENCES runs(id),
    rule_id      TEXT NOT NULL,
    rule_origin  TEXT NOT NULL,
    address      TEXT NOT NULL,
    action       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    inputs_hash  TEXT NOT NULL,
    git_commit   TEXT,
    final        INTEGER NOT NULL
);
CREATE INDEX decisions_run ON decisions(run_id);
""" + _append_only("decisions", "decision records are append-only") + """
CREATE TABLE approvals (
    rowid        BIGSERIAL UNIQUE,
    id           TEXT PRIMARY KEY,
    time         DOUBLE PRECISION NOT NULL,
    who          TEXT NOT NULL,
    inputs_hash  TEXT NOT NULL,
    plan_file    TEXT NOT NULL,
    addresses    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX approvals_hash ON approvals(inputs_hash);
""" + _append_only("approvals", "approvals are append-only")

_V3 = """
CREATE TABLE holds (
    address     TEXT PRIMARY KEY,
    held_at     DOUBLE PRECISION NOT NULL,
    who         TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT 'stopped'
);
"""

_V4 = """
ALTER TABLE lease ADD COLUMN command TEXT;
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4)
SCHEMA_VERSION = len(MIGRATIONS)
_VERSION_TABLE = ("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                  "applied_at DOUBLE PRECISION NOT NULL)")


def current_version(conn: Conn, schema: str) -> int:
    """The version recorded in ``schema`` (0 when it has no reconciler tables yet).

    A schema holding other tables but no ``schema_version`` is not reconciler's: refused.
    """
    tables = {str(r[0]) for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        (schema,)).fetchall()}
    if "schema_version" not in tables:
        if tables:
            raise StateUnavailable(
                f"the PostgreSQL schema {schema!r} holds tables that are not reconciler state "
                f"({', '.join(sorted(tables)[:5])})",
                hint="pick another schema with ?schema=NAME in the state URL")
        return 0
    row = conn.execute(f'SELECT MAX(version) FROM "{schema}".schema_version').fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def migrate(conn: Conn, schema: str, shown: str, *, upto: int = SCHEMA_VERSION) -> int:
    """Bring ``schema`` to version ``upto``; call inside a transaction holding the write lock."""
    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    version = current_version(conn, schema)
    if version > SCHEMA_VERSION:
        raise UserError(
            f"the state schema {schema!r} at {shown} has schema version {version}, newer than "
            f"this reconciler understands ({SCHEMA_VERSION})",
            hint="upgrade reconciler, or pick another schema with ?schema=NAME")
    if version >= upto:
        return version
    conn.execute(_VERSION_TABLE)
    for target in range(version + 1, upto + 1):
        conn.execute(MIGRATIONS[target - 1])
        conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (%s, %s)",
                     (target, time.time()))
    return upto
