"""StateStore: the only writer of a project's state, on SQLite or PostgreSQL.

It keeps, per project (and session): the last-applied record of every managed address, the
auto-assigned ports (chosen once, kept forever), the runs (plan/apply/destroy/watch) with
their results, the append-only audit journal and the lease; never the secret key
(reconciler/state/keys.py). The history half (runs, journal, decisions, approvals) is
:class:`~reconciler.state.runlog.RunLog`, mixed in. Every state change is one transaction
together with its audit row. Nothing is created on disk until the first write; reading a
store that does not exist yet gives empty results. Thread-safe; see
:mod:`reconciler.state.db` for how.

The backend is chosen by :func:`open_project`'s ``url`` (``--state``): the SQLite file by
default, or a PostgreSQL schema (reconciler/state/pg.py, imported only then). Both run the same
code here against :class:`~reconciler.state.backend.Backend`; on PostgreSQL the lease is an
advisory lock (reconciler/state/pg_lease.py). Logs and pid files stay in the local state dir.
An apply batches its records and audit rows (:meth:`RunLog.batched`, state/writebehind.py).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.errors import UserError
from reconciler.model.types import Address
from reconciler.state import identity, keys
from reconciler.state.backend import Backend, Conn
from reconciler.state.db import Database, check_dir, check_sqlite_file, dumps, loads
from reconciler.state.journal import insert_event
from reconciler.state.lease import Lease, LeaseRow, force_unlock, holder_alive, read_lease
from reconciler.state.records import (
    Hold,
    ResourceRecord,
    record_from_row,
    refuse_secrets,
    upsert_record,
)
from reconciler.state.runlog import RunLog
from reconciler.state.url import default_schema, is_pg_url, key_anchor, parse_pg, sqlite_path
from reconciler.state.writebehind import defer_or_commit

STATE_DIRNAME = ".reconciler"
DB_NAME = "state.db"
KEY_NAME = "secret.key"  # where older SQLite states kept the key (moved out on first use)
_SESSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class StateStore(RunLog):
    """A project's state database; see the module docstring and docs/state-format.md.

    Runs, the audit journal, decisions and approvals come from :class:`RunLog`
    (reconciler/state/runlog.py); this class owns opening the state, resource records,
    holds, port allocations, the secret key, the state id and the lease."""

    def __init__(self, path: Path | None = None, *, db: Backend | None = None,
                 state_dir: Path | None = None, project: str | None = None,
                 environ: Mapping[str, str] | None = None):
        if db is None:
            if path is None:
                raise ValueError("a StateStore needs a path or a backend")
            db = Database(Path(path))
        self._db: Backend = db
        self.path: Path | None = Path(path) if path is not None else None
        self._local = Path(state_dir) if state_dir is not None else None
        self.project = project  # the project's name: part of its key file's name
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self._key: bytes | None = None
        self._id: str | None = None
        self._leases: list[Lease] = []

    @staticmethod
    def local_dir(project_dir: Path, session: str | None, state_dir: Path | None) -> Path:
        """The directory of a project's (session's) local files: state.db, logs, pid files."""
        base = Path(state_dir) if state_dir is not None else project_dir / STATE_DIRNAME
        if session is not None:
            if not _SESSION.match(session):
                raise UserError(f"invalid session name {session!r}",
                                hint="use letters, digits, '.', '_' and '-' (up to 63)")
            base = base / "sessions" / session
        return base

    @classmethod
    def open_project(cls, project_dir: Path, session: str | None = None,
                     state_dir: Path | None = None, url: str | None = None,
                     project: str | None = None,
                     environ: Mapping[str, str] | None = None) -> StateStore:
        """``<project>/.reconciler/state.db`` (or ``.../sessions/<session>/state.db``), or
        the PostgreSQL schema of ``url`` (``--state``; see reconciler/state/url.py), by
        default named after ``project`` (the project's name; else its directory's)."""
        base = cls.local_dir(project_dir, session, state_dir)
        if url and is_pg_url(url):
            check_dir(base)
            name = project or Path(project_dir).resolve().name
            store = cls.open_url(url, state_dir=base, schema=default_schema(name, session))
        elif url:
            path = sqlite_path(url)
            check_dir(path.parent)
            check_sqlite_file(path, url)
            store = cls(path)
        else:
            check_dir(base)
            store = cls(base / DB_NAME)
        store.project = project or Path(project_dir).resolve().name
        if environ is not None:
            store.environ = environ
        return store

    @classmethod
    def open_url(cls, url: str, *, state_dir: Path, schema: str) -> StateStore:
        """A store on the PostgreSQL ``url`` (``schema`` unless ``?schema=`` names one)."""
        try:
            from reconciler.state.pg import PgDatabase
        except ImportError:
            raise UserError("a postgresql:// state needs psycopg",
                            hint="pip install 'reconciler[pg]'") from None
        return cls(db=PgDatabase(parse_pg(url, schema)), state_dir=state_dir)

    @property
    def state_dir(self) -> Path:
        """The local directory of logs, pid files and (on SQLite) the database and key."""
        if self._local is not None:
            return self._local
        assert self.path is not None
        return self.path.parent

    @property
    def location(self) -> str:
        """Where the state is, fit to print (the URL's password masked)."""
        return self._db.location

    @property
    def backend(self) -> Backend:
        return self._db

    def __repr__(self) -> str:
        return f"StateStore({self.location!r})"

    # -- resources ---------------------------------------------------------------------------

    def resources(self) -> dict[Address, ResourceRecord]:
        rows = self._db.query("SELECT * FROM resources ORDER BY address")
        return {record.address: record for record in map(record_from_row, rows)}

    def record(self, address: Address, *, spec: Mapping[str, object], spec_hash: str,
               depends_on: Sequence[str], facts: Mapping[str, object], status: str,
               run_id: str | None) -> None:
        """Upsert the last-applied record of ``address`` and its audit row, atomically."""
        refuse_secrets(spec, facts)
        key, at = str(address), time.time()
        row = (key, address.kind, address.name, address.host, dumps(dict(spec)), spec_hash,
               dumps([str(d) for d in depends_on]), dumps(dict(facts)), status, at, run_id)
        def write(conn: Conn) -> None:
            existed = upsert_record(conn, row)
            insert_event(conn, run_id, "state.record", key,
                         f"{'updated' if existed else 'recorded'} {key}",
                         {"spec_hash": spec_hash, "status": status, "existed": existed}, at=at)
        defer_or_commit(self._db, write)

    def forget(self, address: Address, *, run_id: str | None) -> None:
        """Delete the record of ``address`` (no error when absent) with its audit row."""
        key, at = str(address), time.time()
        if not self._db.exists():
            return
        def write(conn: Conn) -> None:
            cursor = conn.execute("DELETE FROM resources WHERE address = ?", (key,))
            insert_event(conn, run_id, "state.forget", key, f"forgot {key}",
                         {"existed": cursor.rowcount > 0}, at=at)
        defer_or_commit(self._db, write)

    def update_facts(self, address: Address, facts: Mapping[str, object]) -> None:
        """Merge ``facts`` into the record's facts (dict.update); unknown address: ValueError."""
        key = str(address)
        with self._db.transaction() as conn:
            row = conn.execute("SELECT spec, facts FROM resources WHERE address = ?",
                               (key,)).fetchone()
            if row is None:
                raise ValueError(f"no state recorded for {key}")
            merged = {**(loads(row[1]) or {}), **facts}
            refuse_secrets(loads(row[0]) or {}, merged)
            conn.execute("UPDATE resources SET facts = ? WHERE address = ?",
                         (dumps(merged), key))

    # -- holds: services stopped on purpose (`reconciler stop`) ---------------------------------

    def holds(self) -> dict[str, Hold]:
        """Address -> {held_at, who, reason} of every service kept stopped until started."""
        rows = self._db.query("SELECT * FROM holds ORDER BY address")
        return {str(r["address"]): {"held_at": float(r["held_at"]), "who": str(r["who"]),
                                    "reason": str(r["reason"])} for r in rows}

    def hold(self, address: Address, *, who: str, run_id: str | None = None) -> None:
        """Keep ``address`` stopped across apply and watch until :meth:`release`."""
        key = str(address)
        with self._db.transaction() as conn:
            conn.execute("INSERT INTO holds (address, held_at, who) VALUES (?, ?, ?) "
                         "ON CONFLICT(address) DO UPDATE SET held_at = excluded.held_at, "
                         "who = excluded.who", (key, time.time(), who))
            insert_event(conn, run_id, "state.hold", key, f"{key} held stopped by {who}", {})

    def release(self, address: Address, *, run_id: str | None = None) -> bool:
        """Drop the hold of ``address``; whether there was one."""
        key = str(address)
        with self._db.transaction() as conn:
            gone = bool(conn.execute("DELETE FROM holds WHERE address = ?",
                                     (key,)).rowcount > 0)
            if gone:
                insert_event(conn, run_id, "state.release", key, f"{key} released", {})
        return gone

    # -- port allocations --------------------------------------------------------------------

    def allocations(self) -> dict[str, int]:
        return {str(r["key"]): int(r["port"])
                for r in self._db.query("SELECT key, port FROM allocations ORDER BY key")}

    def allocate(self, key: str, port: int) -> int:
        """Record ``port`` for ``key`` unless one is recorded; return the recorded port."""
        with self._db.transaction() as conn:
            conn.execute("INSERT INTO allocations (key, port, allocated_at) VALUES (?, ?, ?) "
                         "ON CONFLICT(key) DO NOTHING", (key, port, time.time()))
            row = conn.execute("SELECT port FROM allocations WHERE key = ?", (key,)).fetchone()
        assert row is not None  # inserted or kept just above, in this transaction
        return int(row[0])

    # -- secret key, lease, lifecycle --------------------------------------------------------

    @property
    def key_file(self) -> Path:
        """This state's key file (reconciler/state/keys.py), used unless
        ``$RECONCILER_SECRET_KEY`` is set."""
        name = self.project or self.state_dir.resolve().parent.name
        return keys.key_file(name, key_anchor(self._db.dialect, self.location,
                                              getattr(self._db, "target", None)), self.environ)

    def secret_key(self) -> bytes:
        """The project's 32-byte HMAC key, created once, never in the state."""
        if self._key is None:
            self._key = keys.load(self._db, self.state_dir / KEY_NAME, self.key_file,
                                  self.environ)
        return self._key

    def state_id(self) -> str:
        """The state's stable id (a uuid made once; reconciler/state/identity.py)."""
        if self._id is None:
            self._id = identity.load(self._db)
        return self._id

    def set_state_id(self, state_id: str) -> None:
        """Take ``state_id`` over (state push/pull: the copy is the same state)."""
        identity.store(self._db, state_id, replace=True)
        self._id = None

    def set_secret_key(self, key: bytes, *, replace: bool) -> None:
        """Keep ``key`` in this state's key file (push/pull, rotate-key); unless
        ``replace``, an existing key wins."""
        keys.store(self.key_file, key, replace=replace)
        self._key = None

    def lease(self, holder: str, *, ttl: float = 30.0, heartbeat: float = 5.0,
              wait: float = 0.0, audit: bool = True) -> Lease:
        """The project's lease as a context manager (acquired on enter, released on exit);
        ``wait`` seconds of retrying while another live holder has it (``--lock-timeout``)."""
        if self._db.dialect == "postgresql":
            from reconciler.state.pg_lease import PgLease

            lease: Lease = PgLease(self._db, holder, ttl=ttl,  # type: ignore[arg-type]
                                   heartbeat=heartbeat, wait=wait, audit=audit)
        else:
            lease = Lease(self._db, holder, ttl=ttl, heartbeat=heartbeat, wait=wait,
                          audit=audit)
        self._leases = [held for held in self._leases if held.token is not None] + [lease]
        return lease

    def lease_info(self) -> dict[str, object] | None:
        """The current lease row plus ``alive`` (whether its holder still owns it)."""
        if self._db.dialect == "postgresql":
            from reconciler.state import pg_lease

            return pg_lease.lease_info(self._db)  # type: ignore[arg-type]
        row = read_lease(self._db)
        return None if row is None else {**row, "alive": holder_alive(row)}

    def unlock(self) -> LeaseRow | None:
        """Force-remove the lease; return what was removed (None when not locked)."""
        if self._db.dialect == "postgresql":
            from reconciler.state import pg_lease

            return pg_lease.force_unlock(self._db)  # type: ignore[arg-type]
        return force_unlock(self._db)

    def close(self) -> None:
        """Release leases taken through this store and close the connection."""
        for lease in self._leases:
            if lease.token is not None:
                lease.release()
        self._leases.clear()
        self._db.close()
