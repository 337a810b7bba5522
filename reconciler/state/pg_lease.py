"""The lease on PostgreSQL: a session-level advisory lock plus the row naming its holder.

The lock (key ``(LEASE_SPACE, project_key(schema))``, so projects in one database never block
each other) is held by a connection of its own that lives exactly as long as the lease. The
server frees it the moment that session ends, so a holder killed with SIGKILL, or whose host
or network died, loses the lease at once: there is no TTL to wait out. The ``lease`` row is
only the holder's identity (who, host, pid, command, since, heartbeat) for messages and
``reconciler unlock``; whether someone holds the lease is asked of ``pg_locks``. A row left by
a dead holder is overwritten by the next one (audited as ``lease.takeover``).

``reconciler unlock`` removes the row and terminates the sessions holding the lock.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import psycopg

from reconciler.errors import LockedError
from reconciler.state.backend import Conn
from reconciler.state.lease import (
    LEASE_COLUMNS,
    Holder,
    Lease,
    LeaseRow,
    LockedBy,
    describe,
    lease_row,
    locked_error,
    read_lease,
    write_holder,
)
from reconciler.state.pg import LEASE_SPACE, PgDatabase, Row, mapped_errors

_HOLDERS = ("FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
            "AND classid::bigint = %s AND objid::bigint = %s "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")


def _lock_args(db: PgDatabase) -> tuple[int, int]:
    return LEASE_SPACE, db.key & 0xFFFF_FFFF  # pg_locks shows the key as an unsigned oid


class PgLease(Lease):
    """The project's lease as an advisory lock; see the module docstring."""

    db: PgDatabase

    def __init__(self, db: PgDatabase, holder: str, **options: Any):
        super().__init__(db, holder, **options)
        self._session: psycopg.Connection[Row] | None = None

    def claim(self, token: str) -> str | None:
        if self._session is None or self._session.closed:
            self._session = self.db.connect()
        with mapped_errors(self.db.target):
            got = self._session.execute("SELECT pg_try_advisory_lock(%s, %s)",
                                        (LEASE_SPACE, self.db.key)).fetchone()
        if not got or not got[0]:
            row = read_lease(self.db)
            if row is None:  # between its lock and its row, or it is just leaving
                raise locked_error(LockedBy(holder="another session", pid="?", hostname="?",
                                            acquired_at=time.time(), command=None))
            raise locked_error(row)
        try:
            with self.db.transaction() as conn:
                found = conn.execute(
                    "SELECT holder, pid, hostname FROM lease WHERE id = 1").fetchone()
                previous = None if found is None else Holder(
                    holder=found[0], pid=found[1], hostname=found[2])
                return write_holder(conn, token, self.holder, self.ttl, previous,
                                    self.audit)
        except BaseException:
            self._close_session()
            raise

    def renew(self) -> bool:
        """Push the heartbeat forward through the lock's own session; False once it died."""
        if self.token is None or self._session is None:
            return False
        now = time.time()
        try:
            cursor = self._session.execute(
                f'UPDATE "{self.db.schema}".lease SET renewed_at = %s, expires_at = %s '
                "WHERE id = 1 AND token = %s", (now, now + self.ttl, self.token))
            if cursor.rowcount == 0:
                self.lost = True
        except psycopg.Error:
            self.lost = True
        return not self.lost

    def drop(self, token: str) -> None:
        try:
            if not self.lost:
                super().drop(token)
        finally:
            self._close_session()

    def _close_session(self) -> None:
        session, self._session = self._session, None
        if session is None or session.closed:
            return
        with contextlib.suppress(psycopg.Error):  # a dead session took its lock with it
            session.execute("SELECT pg_advisory_unlock_all()")
        session.close()


def lock_held(db: PgDatabase) -> bool:
    """Whether any session holds the project's lease lock right now."""
    rows = db.query(f"SELECT COUNT(*) {_HOLDERS}".replace("%s", "?"), _lock_args(db))
    return bool(rows and rows[0][0])


def lease_info(db: PgDatabase) -> dict[str, object] | None:
    row = read_lease(db)
    return None if row is None else {**row, "alive": lock_held(db)}


def force_unlock(db: PgDatabase) -> LeaseRow | None:
    """Remove the holder row and end the sessions holding the lock; the removed row."""
    from reconciler.state.journal import insert_event

    if not db.exists():
        return None
    with db.transaction() as conn:
        row = read_lease_in(conn)
        if row is not None:
            conn.execute("DELETE FROM lease WHERE id = 1")
            insert_event(conn, None, "lease.unlocked", None,
                         f"lease of {describe(row)} removed by unlock",
                         {"holder": row["holder"], "pid": row["pid"],
                          "hostname": row["hostname"]})
        conn.execute(f"SELECT pg_terminate_backend(pid) {_HOLDERS}".replace("%s", "?"),
                     _lock_args(db))
    return row


def read_lease_in(conn: Conn) -> LeaseRow | None:
    found = conn.execute(f"SELECT {LEASE_COLUMNS} FROM lease WHERE id = 1").fetchone()
    return None if found is None else lease_row(found)


__all__ = ["LockedError", "PgLease", "force_unlock", "lease_info", "lock_held"]
