"""``state push`` / ``state pull``: copy one project's state between backends (either way).

:func:`copy` brings the destination up to the source: the audit tables (``runs``, ``events``,
``decisions``, ``approvals``, ``allocations``) gain the rows they lack (they are append-only,
so nothing of theirs is rewritten: a run the destination saw unfinished is only ended),
``resources`` and ``holds`` become the source's, and the secret key goes along, so the
keyed-hash markers of secrets stay valid, and so does the state id, so the objects the source
made (their marks carry its id) stay this state's own. The destination's serial (the id of
its newest audit row) must not be ahead of the source's, and its history must be a prefix of
the source's; otherwise the copy is refused. It runs in one destination transaction, under the
destination's lease (taken without lease.* audit rows, which would shift its serial), so it
never lands in the middle of an apply there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.errors import StateRefused, UserError

if TYPE_CHECKING:
    from reconciler.state.store import StateStore

# table -> (primary key, columns); order matters (runs before what references them)
APPEND_ONLY = {
    "runs": ("id", ("id", "kind", "started_at", "ended_at", "result", "meta", "summary", "pid",
                    "hostname", '"user"')),
    "events": ("id", ("id", "time", "run_id", "kind", "address", "message", "data")),
    "decisions": ("id", ("id", "time", "run_id", "rule_id", "rule_origin", "address", "action",
                         "outcome", "reason", "inputs_hash", "git_commit", "final")),
    "approvals": ("id", ("id", "time", "who", "inputs_hash", "plan_file", "addresses")),
    "allocations": ("key", ("key", "port", "allocated_at")),
}
ORDER = {"runs": "rowid", "events": "id", "decisions": "rowid", "approvals": "rowid",
         "allocations": "key"}
REPLACED = {
    "resources": ("address", "kind", "name", "host", "spec", "spec_hash", "depends_on",
                  "facts", "status", "applied_at", "run_id"),
    "holds": ("address", "held_at", "who", "reason"),
}


def _first_event(store: StateStore, event_id: int) -> tuple[object, ...] | None:
    rows = store.backend.query("SELECT id, time, kind, message FROM events WHERE id = ?",
                               (event_id,))
    return tuple(rows[0]) if rows else None


def check(source: StateStore, dest: StateStore) -> tuple[int, int]:
    """(source serial, destination serial); refuses a newer or diverged destination."""
    theirs, ours = source.serial(), dest.serial()
    if ours > theirs:
        raise UserError(f"{dest.location} is at serial {ours}, newer than {source.location} "
                        f"(serial {theirs}): refusing to overwrite it",
                        hint="copy the other way, or apply from the newer state")
    if ours and _first_event(dest, ours) != _first_event(source, ours):
        raise UserError(f"{dest.location} and {source.location} have different histories "
                        f"(audit row {ours} differs): refusing to mix them",
                        hint="copy into an empty state (a new ?schema= or file)")
    return theirs, ours


def copy(source: StateStore, dest: StateStore) -> dict[str, object]:
    """Bring ``dest`` up to ``source``; returns what was copied (see the module docstring)."""
    summary: dict[str, object] = {"from": source.location, "to": dest.location}
    with dest.lease("state-copy", audit=False):  # lease rows would shift the serial
        theirs, ours = check(source, dest)
        summary.update(serial=theirs, previous_serial=ours)
        with dest.backend.transaction() as conn:
            for table, (key, columns) in APPEND_ONLY.items():
                rows = source.backend.query(f"SELECT {', '.join(columns)} FROM {table} "
                                            f"ORDER BY {ORDER[table]}")
                have = {str(r[0]) for r in conn.execute(f"SELECT {key} FROM {table}")
                        .fetchall()}
                fresh = [tuple(r) for r in rows if str(r[0]) not in have]
                marks = ", ".join("?" for _ in columns)
                for values in fresh:
                    conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) "
                                 f"VALUES ({marks})", values)
                summary[table] = len(fresh)
                if table == "runs":
                    for row in rows:
                        if row[3] is not None and str(row[0]) in have:
                            conn.execute("UPDATE runs SET ended_at = ?, result = ?, summary = ? "
                                         "WHERE id = ? AND ended_at IS NULL",
                                         (row[3], row[4], row[6], row[0]))
            for table, columns in REPLACED.items():
                rows = source.backend.query(f"SELECT {', '.join(columns)} FROM {table}")
                conn.execute(f"DELETE FROM {table}")
                marks = ", ".join("?" for _ in columns)
                for row in rows:
                    conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) "
                                 f"VALUES ({marks})", tuple(row))
                summary[table] = len(rows)
            if dest.backend.dialect == "postgresql":  # explicit ids: move the sequence on
                conn.execute("SELECT setval(pg_get_serial_sequence('events', 'id'), "
                             "GREATEST((SELECT MAX(id) FROM events), 1))")
        dest.set_secret_key(source.secret_key(), replace=True)
        dest.set_state_id(source.state_id())  # the same state, moved: its marks stay ours
    if dest.serial() < theirs:
        raise StateRefused(f"copy to {dest.location} ended at serial {dest.serial()}, "
                           f"expected {theirs}")
    return summary
