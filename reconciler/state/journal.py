"""The audit journal: append-only rows in ``events``, and the runs they belong to.

Helpers here write inside a transaction the caller already holds (so a state change and its
audit row commit together) and turn rows back into plain dicts for renderers. There is no
UPDATE or DELETE of ``events`` anywhere; schema triggers enforce it. :class:`Journal` is an
:class:`~reconciler.events.EventBus` subscriber that appends the (already redacted) events of
one run to the journal.
"""

from __future__ import annotations

import getpass
import os
import socket
import time
from collections.abc import Callable, Collection, Mapping

from reconciler.events import Event
from reconciler.state.backend import STAMP, Conn, Row
from reconciler.state.db import dumps, loads


def insert_event(conn: Conn, run_id: str | None, kind: str,
                 address: str | None, message: str, data: Mapping[str, object], *,
                 at: float | None = None) -> None:
    """Append one audit row (with the backend's stamp); call inside an open transaction.
    ``at`` is when it happened (a deferred write's time; now by default)."""
    if not kind:
        raise ValueError("an event needs a kind")
    conn.execute(
        "INSERT INTO events (time, run_id, kind, address, message, data) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (time.time() if at is None else at, run_id, kind, address, message,
         dumps({**(STAMP.get() or {}), **data})))


def insert_run(conn: Conn, run_id: str, kind: str,
               meta: Mapping[str, object]) -> None:
    conn.execute(
        'INSERT INTO runs (id, kind, started_at, meta, pid, hostname, "user") '
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (run_id, kind, time.time(), dumps(dict(meta)), os.getpid(), socket.gethostname(),
         current_user()))


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers run with a bare uid)
        return str(os.getuid())


def event_from_row(row: Row) -> dict[str, object]:
    return {"id": row["id"], "time": row["time"], "run_id": row["run_id"], "kind": row["kind"],
            "address": row["address"], "message": row["message"],
            "data": loads(row["data"]) or {}}


def run_from_row(row: Row) -> dict[str, object]:
    return {"id": row["id"], "kind": row["kind"], "started_at": row["started_at"],
            "ended_at": row["ended_at"], "result": row["result"],
            "meta": loads(row["meta"]) or {}, "summary": loads(row["summary"]),
            "pid": row["pid"], "hostname": row["hostname"], "user": row["user"]}


class Journal:
    """Subscriber that appends bus events (already redacted by the bus) to the audit log.

    ``kinds`` limits which event kinds are kept (prefix match, e.g. ``"node."``); by default
    every event but ``node.log`` lines is kept, so the journal stays small.
    """

    def __init__(self, append: Callable[[str | None, str, str | None, str, dict[str, object]],
                                        None],
                 run_id: str | None, kinds: Collection[str] | None = None):
        self._append = append
        self.run_id = run_id
        self.kinds = tuple(kinds) if kinds is not None else None

    def wanted(self, kind: str) -> bool:
        if self.kinds is None:
            return kind != "node.log"
        return any(kind.startswith(prefix) for prefix in self.kinds)

    def __call__(self, event: Event) -> None:
        if self.wanted(event.kind):
            self._append(self.run_id, event.kind, event.address, event.message,
                         dict(event.data))
