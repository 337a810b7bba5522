"""Retention of the append-only audit log: ``state prune-audit`` and its checkpoint chain.

The schema's triggers refuse every DELETE of ``events`` and ``decisions``; :func:`prune` is the
one sanctioned path past them. Inside one write transaction it suspends the two DELETE
triggers (SQLite: drops and re-creates them, DDL being transactional there; PostgreSQL:
``ALTER TABLE ... DISABLE/ENABLE TRIGGER``, which takes the table's exclusive lock), deletes
the rows older than the cut-off and appends an ``audit.pruned`` checkpoint row. A crash or an
error rolls all of it back, triggers included.

Each checkpoint carries ``through`` (the id of the last pruned row), ``rows``, ``decisions``,
``previous`` (the digest of the checkpoint before it, or null) and ``digest`` =
sha256(previous + the pruned rows, canonical JSON). Checkpoints are never pruned, so the
chain of prunes stays whole; :func:`verify` checks it (every checkpoint links to the one
before, and no surviving row is older than a checkpoint says it pruned). Runs and approvals
are kept: runs are small and approvals gate applies.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from reconciler.state.backend import Backend, Conn
from reconciler.state.db import dumps, loads
from reconciler.state.journal import event_from_row, insert_event

CHECKPOINT = "audit.pruned"
_EVENT_COLUMNS = "id, time, run_id, kind, address, message, data"
_DECISION_COLUMNS = ("id, time, run_id, rule_id, rule_origin, address, action, outcome, reason, "
                     "inputs_hash, git_commit, final")
_SQLITE_TRIGGERS = {
    "events_no_delete": "CREATE TRIGGER events_no_delete BEFORE DELETE ON events\n"
                        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "decisions_no_delete": "CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions\n"
                           "BEGIN SELECT RAISE(ABORT, 'decision records are append-only'); "
                           "END",
}
_PG_TRIGGERS = (("events", "events_append_only"), ("decisions", "decisions_append_only"))


def checkpoints(db: Backend) -> list[dict[str, Any]]:
    rows = db.query("SELECT * FROM events WHERE kind = ? ORDER BY id", (CHECKPOINT,))
    return [event_from_row(r) for r in rows]


def prune(db: Backend, before: float) -> dict[str, object]:
    """Delete audit rows (events, decision records) older than ``before`` (Unix time);
    returns the checkpoint's data (``rows`` 0 and no checkpoint when nothing is older)."""
    cutoff = datetime.fromtimestamp(before, UTC).isoformat()
    with db.transaction() as conn:
        events = conn.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE time < ? AND "
                              "kind != ? ORDER BY id", (before, CHECKPOINT)).fetchall()
        decisions = conn.execute(f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE time < ? "
                                 "ORDER BY rowid", (cutoff,)).fetchall()
        if not events and not decisions:
            return {"rows": 0, "decisions": 0, "before": before}
        last = conn.execute("SELECT data FROM events WHERE kind = ? ORDER BY id DESC LIMIT 1",
                            (CHECKPOINT,)).fetchone()
        previous = (loads(last[0]) or {}).get("digest") if last is not None else None
        body = dumps([list(r) for r in [*events, *decisions]])
        digest = hashlib.sha256(f"{previous or ''}\n{body}".encode()).hexdigest()
        through = max((int(r[0]) for r in events), default=None)
        _delete(db.dialect, conn, before, cutoff)
        data = {"before": before, "through": through, "rows": len(events),
                "decisions": len(decisions), "previous": previous, "digest": digest}
        insert_event(conn, None, CHECKPOINT, None,
                     f"pruned {len(events)} audit row(s) and {len(decisions)} decision "
                     f"record(s) older than {cutoff}", data)
    return data


def _delete(dialect: str, conn: Conn, before: float, cutoff: str) -> None:
    statements = (("DELETE FROM events WHERE time < ? AND kind != ?", (before, CHECKPOINT)),
                  ("DELETE FROM decisions WHERE time < ?", (cutoff,)))
    if dialect == "postgresql":
        for table, trigger in _PG_TRIGGERS:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        for sql, params in statements:
            conn.execute(sql, params)
        for table, trigger in _PG_TRIGGERS:
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        return
    for name in _SQLITE_TRIGGERS:
        conn.execute(f"DROP TRIGGER {name}")
    for sql, params in statements:
        conn.execute(sql, params)
    for create in _SQLITE_TRIGGERS.values():
        conn.execute(create)


def verify(db: Backend) -> list[str]:
    """Problems of the checkpoint chain (empty: it verifies)."""
    problems: list[str] = []
    previous: str | None = None
    through = 0
    for checkpoint in checkpoints(db):
        data = checkpoint["data"]
        if data.get("previous") != previous:
            problems.append(f"checkpoint {checkpoint['id']} does not link to the one before "
                            f"(previous {data.get('previous')!r}, expected {previous!r})")
        previous = data.get("digest")
        through = max(through, int(data.get("through") or 0))
    rows = db.query("SELECT MIN(id) FROM events WHERE kind != ?", (CHECKPOINT,))
    first = rows[0][0] if rows else None
    if first is not None and through and int(first) <= through:
        problems.append(f"audit row {first} survives a prune that went through row {through}")
    return problems
