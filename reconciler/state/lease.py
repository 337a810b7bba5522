"""The project's lease: one apply at a time, a heartbeat, and takeover of dead holders.

The lease is the single row of the ``lease`` table: holder, pid (+ its start time from
/proc, so a reused pid is not mistaken for the holder), hostname, acquired_at, renewed_at,
expires_at, and a random token that identifies this acquisition. Acquiring runs inside
``BEGIN IMMEDIATE``, so of several processes racing exactly one wins.

Whether a recorded holder is alive:
  * on this host, the pid decides: alive (and not a zombie, and started when recorded) means
    held, even past ``expires_at`` (a stopped or busy apply still owns the project);
  * on another host, ``expires_at`` decides: the holder renews it every ``heartbeat`` seconds.
A dead holder's lease is taken over silently; :attr:`Lease.took_over_from` says from whom.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import uuid
from datetime import datetime
from types import TracebackType
from typing import TypedDict

from reconciler.errors import LockedError
from reconciler.state.backend import Backend, Conn, Cursor, Row
from reconciler.state.journal import insert_event
from reconciler.state.url import mask

UNLOCK_HINT = ("wait for it to finish; if that process is gone for good, run "
               "`reconciler unlock`")
POLL_S = 0.1  # how often a waiting acquire (``--lock-timeout``) tries again
LEASE_COLUMNS = "holder, pid, pid_start, hostname, acquired_at, renewed_at, expires_at, command"


def current_command() -> str:
    """This process's command line for the holder row (URL passwords masked)."""
    return mask(" ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]]))[:500]


def locked_error(row: LockedBy) -> LockedError:
    since = datetime.fromtimestamp(float(row["acquired_at"])).isoformat(sep=" ",
                                                                        timespec="seconds")
    command = f" running `{row['command']}`" if row.get("command") else ""
    return LockedError(f"the project is locked by {describe(row)} since {since}{command}",
                       hint=UNLOCK_HINT)


def write_holder(conn: Conn, token: str, holder: str, ttl: float,
                 previous: Holder | None, audit: bool = True) -> str | None:
    """Write this process's holder row (and its audit row); who it took over from, if any."""
    now, pid = time.time(), os.getpid()
    conn.execute(
        "INSERT INTO lease (id, token, holder, pid, pid_start, hostname, acquired_at, "
        "renewed_at, expires_at, command) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET token = excluded.token, holder = excluded.holder, "
        "pid = excluded.pid, pid_start = excluded.pid_start, hostname = excluded.hostname, "
        "acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, "
        "expires_at = excluded.expires_at, command = excluded.command",
        (token, holder, pid, pid_start(pid), socket.gethostname(), now, now, now + ttl,
         current_command()))
    data: dict[str, object] = {"holder": holder, "pid": pid, "hostname": socket.gethostname()}
    took_over = describe(previous) if previous is not None else None
    if took_over is not None:
        data["took_over_from"] = took_over
    if audit:
        insert_event(conn, None, "lease.takeover" if previous else "lease.acquired", None,
                     f"lease acquired by {holder}", data)
    return took_over


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state letter, start time in clock ticks) from /proc, or None where unavailable."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    return (fields[0], fields[19]) if len(fields) > 19 else None


def pid_start(pid: int) -> str | None:
    stat = _proc_stat(pid)
    return stat[1] if stat is not None else None


def pid_alive(pid: int, start: str | None = None) -> bool:
    """True when ``pid`` runs (not a zombie) and, if ``start`` is known, is that process."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, started = stat
    if state in ("Z", "X"):
        return False
    return start is None or started == start


def holder_alive(row: LeaseRow, *, now: float | None = None) -> bool:
    """Whether the recorded lease holder still owns the lease (see the module docstring)."""
    if row["hostname"] == socket.gethostname():
        return pid_alive(int(row["pid"]), row.get("pid_start"))
    return float(row["expires_at"]) > (time.time() if now is None else now)


def describe(row: Holder) -> str:
    return f"{row['holder']} (pid {row['pid']} on {row['hostname']})"


class Holder(TypedDict):
    """Who holds the lease (``pid`` is ``"?"`` when another session's row is not written yet)."""

    holder: str
    pid: int | str
    hostname: str


class LockedBy(Holder):
    acquired_at: float
    command: str | None


class LeaseRow(LockedBy):
    """The lease table's one row: who holds the project, since when, until when."""

    pid_start: str | None
    renewed_at: float
    expires_at: float


def lease_row(row: Row) -> LeaseRow:
    """A row selected as :data:`LEASE_COLUMNS` (the lease table's parse boundary)."""
    start, command = row[2], row[7]
    return LeaseRow(holder=str(row[0]), pid=int(row[1]),
                    pid_start=None if start is None else str(start), hostname=str(row[3]),
                    acquired_at=float(row[4]), renewed_at=float(row[5]),
                    expires_at=float(row[6]), command=None if command is None else str(command))


def read_lease(db: Backend) -> LeaseRow | None:
    rows = db.query(f"SELECT {LEASE_COLUMNS} FROM lease WHERE id = 1")
    return lease_row(rows[0]) if rows else None


def _row(cursor: Cursor) -> LeaseRow | None:
    found = cursor.fetchone()
    return None if found is None else lease_row(found)


class Lease:
    """A context manager holding the project's lease, renewed by a daemon thread.

    This class is the SQLite lease (the row decides, see the module docstring);
    :class:`~reconciler.state.pg_lease.PgLease` overrides :meth:`claim`, :meth:`renew` and
    :meth:`drop` with an advisory lock. ``wait`` is how long :meth:`acquire` keeps trying
    while another live holder has the lease (``--lock-timeout``).
    """

    def __init__(self, db: Backend, holder: str, *, ttl: float = 30.0,
                 heartbeat: float = 5.0, wait: float = 0.0, audit: bool = True):
        if ttl <= 0 or heartbeat <= 0 or heartbeat >= ttl:
            raise ValueError(f"need 0 < heartbeat < ttl (got heartbeat={heartbeat}, "
                             f"ttl={ttl})")
        self.db = db
        self.holder = holder
        self.ttl = ttl
        self.heartbeat = heartbeat
        self.wait = max(0.0, wait)
        self.audit = audit  # False: no lease.* audit rows (state push/pull copies serials)
        self.token: str | None = None
        self.took_over_from: str | None = None
        self.lost = False  # set when the heartbeat finds the lease removed (unlock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self.token is not None and not self.lost

    def acquire(self) -> Lease:
        """Take the lease or raise :class:`LockedError` naming the live holder."""
        if self.token is not None:
            raise RuntimeError("this lease is already acquired")
        token = uuid.uuid4().hex
        self.lost = False
        deadline = time.monotonic() + self.wait
        while True:
            try:
                self.took_over_from = self.claim(token)
                break
            except LockedError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))
        self.token = token
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="reconciler-lease",
                                        daemon=True)
        self._thread.start()
        return self

    def claim(self, token: str) -> str | None:
        """One attempt: write the holder row unless a live holder has it; who was taken over."""
        with self.db.transaction() as conn:
            previous = _row(conn.execute(f"SELECT {LEASE_COLUMNS} FROM lease WHERE id = 1"))
            if previous is not None and holder_alive(previous):
                raise locked_error(previous)
            return write_holder(conn, token, self.holder, self.ttl, previous, self.audit)

    def renew(self) -> bool:
        """Push ``expires_at`` forward; False (and :attr:`lost`) when the lease was removed."""
        if self.token is None:
            return False
        now = time.time()
        with self.db.transaction() as conn:
            cursor = conn.execute("UPDATE lease SET renewed_at = ?, expires_at = ? "
                                  "WHERE id = 1 AND token = ?", (now, now + self.ttl,
                                                                 self.token))
            if cursor.rowcount == 0:
                self.lost = True
        return not self.lost

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                if not self.renew():
                    return
            except Exception:  # a busy database: try again on the next beat
                continue

    def release(self) -> None:
        """Stop the heartbeat and remove the lease row if it is still ours."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None
        token, self.token = self.token, None
        if token is not None:
            self.drop(token)

    def drop(self, token: str) -> None:
        """Remove the holder row if it is still ours (with its audit row)."""
        with self.db.transaction() as conn:
            cursor = conn.execute("DELETE FROM lease WHERE id = 1 AND token = ?", (token,))
            if cursor.rowcount and self.audit:
                insert_event(conn, None, "lease.released", None,
                             f"lease released by {self.holder}", {"holder": self.holder})

    def __enter__(self) -> Lease:
        return self.acquire() if self.token is None else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def force_unlock(db: Backend) -> LeaseRow | None:
    """Remove the lease whoever holds it; return the removed row (None when unlocked)."""
    if not db.exists():
        return None
    with db.transaction() as conn:
        row = _row(conn.execute(f"SELECT {LEASE_COLUMNS} FROM lease WHERE id = 1"))
        if row is None:
            return None
        conn.execute("DELETE FROM lease WHERE id = 1")
        insert_event(conn, None, "lease.unlocked", None,
                     f"lease of {describe(row)} removed by unlock",
                     {"holder": row["holder"], "pid": row["pid"],
                      "hostname": row["hostname"]})
    return row
