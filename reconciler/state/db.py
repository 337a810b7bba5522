"""The one SQLite connection of a state store: lazy creation, pragmas, transactions, errors.

A :class:`Database` opens its file only when first needed. Reads of a database that does not
exist yet return ``None`` instead of a connection (so read-only commands never create files);
the first write creates the parent directory (mode 0700), the file (mode 0600), switches it to
WAL and migrates it. One connection is shared by all threads behind a re-entrant lock
(``check_same_thread=False``); process-level exclusion comes from ``BEGIN IMMEDIATE`` plus
SQLite's ``busy_timeout``.

sqlite3 exceptions are mapped here, at the boundary: a database busy for longer than the
timeout is a :class:`LockedError`, an unreadable file a :class:`UserError`, a constraint or
trigger violation a ``ValueError`` (the caller asked for something the schema forbids).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reconciler.errors import InternalError, LockedError, StateRefused, UserError
from reconciler.state.backend import Row, stamping
from reconciler.state.schema import migrate

BUSY_TIMEOUT_S = 10.0
DIR_MODE = 0o700
FILE_MODE = 0o600


def dumps(value: object) -> str:
    """Canonical JSON for stored columns (sorted keys; unknown types as their str)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def check_dir(path: Path, what: str = "state directory") -> None:
    """Raise :class:`UserError` unless ``path`` is, or can be created as, a directory: a name
    too long, a file on the way, a parent that cannot be read. Writes nothing, so a
    command refuses a wrong target before it creates any file."""
    for part in (path, *path.parents):
        try:
            mode = part.stat().st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise UserError(f"cannot use {str(path)[:120]} as the {what}: "
                            f"{exc.strerror or exc}",
                            hint="pass an existing directory or a path that can be "
                                 "created") from None
        if not stat.S_ISDIR(mode):
            raise UserError(f"cannot use {str(path)[:120]} as the {what}: {str(part)[:120]} "
                            "is a file, not a directory",
                            hint="pass a directory (it is created when missing)")
        return


SQLITE_HEADER = b"SQLite format 3\x00"


def check_sqlite_file(path: Path, url: str) -> None:
    """Raise :class:`UserError` unless ``path`` is missing, empty or a SQLite database: a
    ``--state`` that names a directory or another file is refused before anything is
    written beside it (the secret key, the schema cache)."""
    shown = url[:120]
    try:
        if path.is_dir():
            raise UserError(f"--state {shown} is a directory, not a database file",
                            hint="name the SQLite file, e.g. --state DIR/state.db, or "
                                 "pass the directory with --state-dir")
        if path.exists() and not path.is_file():
            raise UserError(f"--state {shown} is not a regular file",
                            hint="name the SQLite file, e.g. --state DIR/state.db")
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UserError(f"cannot use --state {shown}: {exc.strerror or exc}",
                        hint="check the path and its permissions") from None
    if head and head != SQLITE_HEADER:
        raise UserError(f"--state {shown} is not a SQLite database",
                        hint="name a new file or an existing reconciler state database")


def ensure_dir(path: Path, what: str = "state directory") -> None:
    """Create ``path`` (and parents) with mode 0700 for the directories we create."""
    check_dir(path, what)
    if path.is_dir():
        return
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)
    except OSError as exc:
        raise UserError(f"cannot create the {what} {str(path)[:120]}: {exc.strerror or exc}",
                        hint="check the permissions of its parent directory") from None


@contextmanager
def mapped_errors(path: Path) -> Iterator[None]:
    """Translate sqlite3 exceptions into the project's error tree."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise StateRefused(f"state database {path} refused the change: {exc}") from exc
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise LockedError(f"the state database {path} stayed busy for "
                              f"{BUSY_TIMEOUT_S:g}s: {exc}",
                              hint="another reconciler is writing it; retry") from exc
        raise UserError(f"cannot use the state database {path}: {exc}",
                        hint="check the file's permissions and free disk space") from exc
    except (sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.InternalError,
            sqlite3.NotSupportedError) as exc:  # misuse of sqlite3: our bug
        raise InternalError(f"state database {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise UserError(f"the state database {path} is unreadable: {exc}",
                        hint="move it aside; managed objects are re-adopted from their "
                             "ownership marks on the next apply") from exc
    except sqlite3.Error as exc:  # anything else sqlite3 may add
        raise InternalError(f"state database {path}: {exc}") from exc


class Database:
    """A lazily opened, thread-safe SQLite database file (a :class:`~.backend.Backend`)."""

    dialect = "sqlite"

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self.stamp: dict[str, object] = {}

    @property
    def location(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def _open(self, create: bool) -> sqlite3.Connection | None:
        if self._conn is not None:
            return self._conn
        if not create and not self.path.exists():
            return None
        ensure_dir(self.path.parent)
        is_new = not self.path.exists()
        with mapped_errors(self.path):
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S,
                                   isolation_level=None, check_same_thread=False)
            try:
                if is_new:
                    os.chmod(self.path, FILE_MODE)
                conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                conn.execute("PRAGMA foreign_keys = ON")
                self._set_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
                migrate(conn, str(self.path))
            except BaseException:
                conn.close()
                raise
        self._conn = conn
        return conn

    @staticmethod
    def _set_wal(conn: sqlite3.Connection) -> None:
        """Switch to WAL; a concurrent creator may hold the lock for a moment, so retry."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                row = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
                continue
            if row is not None and str(row[0]).lower() == "wal":
                return
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError(f"cannot switch to WAL mode (got {row!r})")
            time.sleep(0.02)

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection | None]:
        """The connection for reads, or ``None`` when the database does not exist yet."""
        with self._lock, mapped_errors(self.path):
            yield self._open(create=False)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` write transaction; creates the database on first use."""
        with self._lock, mapped_errors(self.path):
            conn = self._open(create=True)
            assert conn is not None
            conn.execute("BEGIN IMMEDIATE")
            try:
                with stamping(self.stamp):
                    yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[Row]:
        """Rows of a read query; an empty list while the database does not exist."""
        with self.reading() as conn:
            if conn is None:
                return []
            cursor = conn.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return list(cursor.fetchall())

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
