"""The state database's schema and its forward migrations.

Owns the DDL of every table (see docs/state-format.md) and :func:`migrate`, which brings a
database up to :data:`SCHEMA_VERSION` inside one ``BEGIN IMMEDIATE`` transaction, so two
processes opening the same new database never both migrate it. Migrations only go forward; a
database written by a newer reconciler is refused rather than guessed at.

Append-only rules are enforced by the database itself: triggers abort any UPDATE or DELETE of
``events`` (the audit log), ``decisions`` (policy decision records), ``approvals`` and
``allocations`` (auto ports are chosen once, forever), any DELETE of ``runs``, and any UPDATE
of a run that has already ended.
"""

from __future__ import annotations

import sqlite3
import time

from reconciler.errors import UserError

_V1 = """
CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    started_at  REAL NOT NULL,
    ended_at    REAL,
    result      TEXT,
    meta        TEXT NOT NULL DEFAULT '{}',
    summary     TEXT,
    pid         INTEGER NOT NULL,
    hostname    TEXT NOT NULL,
    user        TEXT NOT NULL
);
CREATE INDEX runs_started ON runs(started_at);
CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs
BEGIN SELECT RAISE(ABORT, 'runs are append-only'); END;
CREATE TRIGGER runs_end_once BEFORE UPDATE ON runs
WHEN OLD.ended_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind
  OR NEW.started_at IS NOT OLD.started_at OR NEW.meta IS NOT OLD.meta
  OR NEW.pid IS NOT OLD.pid OR NEW.hostname IS NOT OLD.hostname OR NEW.user IS NOT OLD.user
BEGIN SELECT RAISE(ABORT, 'a run is ended once and never rewritten'); END;

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
    applied_at  REAL NOT NULL,
    run_id      TEXT REFERENCES runs(id)
);

CREATE TABLE allocations (
    key           TEXT PRIMARY KEY,
    port          INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    allocated_at  REAL NOT NULL
);
CREATE TRIGGER allocations_no_update BEFORE UPDATE ON allocations
BEGIN SELECT RAISE(ABORT, 'port allocations are stable forever'); END;
CREATE TRIGGER allocations_no_delete BEFORE DELETE ON allocations
BEGIN SELECT RAISE(ABORT, 'port allocations are stable forever'); END;

CREATE TABLE events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    time     REAL NOT NULL,
    run_id   TEXT REFERENCES runs(id),
    kind     TEXT NOT NULL,
    address  TEXT,
    message  TEXT NOT NULL,
    data     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_run ON events(run_id, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE lease (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    token        TEXT NOT NULL,
    holder       TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    pid_start    TEXT,
    hostname     TEXT NOT NULL,
    acquired_at  REAL NOT NULL,
    renewed_at   REAL NOT NULL,
    expires_at   REAL NOT NULL
);
"""

# Version 2: policy decision records and plan approvals, both append-only.
_V2 = """
CREATE TABLE decisions (
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
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decision records are append-only'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decision records are append-only'); END;

CREATE TABLE approvals (
    id           TEXT PRIMARY KEY,
    time         REAL NOT NULL,
    who          TEXT NOT NULL,
    inputs_hash  TEXT NOT NULL,
    plan_file    TEXT NOT NULL,
    addresses    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX approvals_hash ON approvals(inputs_hash);
CREATE TRIGGER approvals_no_update BEFORE UPDATE ON approvals
BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;
CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals
BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;
"""

_V3 = """
CREATE TABLE holds (
    address     TEXT PRIMARY KEY,
    held_at     REAL NOT NULL,
    who         TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT 'stopped'
);
"""

# Version 4: the lease row names the holder's command; ``meta`` keeps per-project settings
# (on PostgreSQL the project's secret key, which a SQLite project keeps in a file).
_V4 = """
ALTER TABLE lease ADD COLUMN command TEXT;
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"""

# Index i holds the script that takes a database from version i to version i + 1.
# reconciler/state/pg_schema.py holds the same versions in PostgreSQL's dialect.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4)
SCHEMA_VERSION = len(MIGRATIONS)

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    applied_at  REAL NOT NULL
)
"""


def current_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in ``conn``'s database (0 for a new database)."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if found is None:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def _statements(script: str) -> list[str]:
    """Split a migration script into complete statements (triggers contain ``;``)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Apply every missing migration in one immediate transaction; return the version.

    ``conn`` must be in autocommit mode (``isolation_level=None``). ``executescript`` is not
    used because it commits on its own; each statement runs inside our transaction instead.
    """
    if current_version(conn) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_VERSION_TABLE)
        version = current_version(conn)
        if version > SCHEMA_VERSION:
            raise UserError(
                f"the state database {path} has schema version {version}, newer than this "
                f"reconciler understands ({SCHEMA_VERSION})",
                hint="upgrade reconciler, or point --state-dir at another directory")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _statements(MIGRATIONS[target - 1]):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                         (target, time.time()))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return SCHEMA_VERSION
