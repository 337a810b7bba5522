"""The PostgreSQL state backend: one connection per store, one schema per project, errors.

Imported only when a ``postgresql://`` state URL is used (psycopg is the optional ``pg`` extra).
:class:`PgDatabase` implements :class:`~reconciler.state.backend.Backend` like the SQLite
:class:`~reconciler.state.db.Database`: the schema is created and migrated on the first write
only, reads of a schema that does not exist yet return nothing, and every write transaction
first takes the project's write lock (``pg_advisory_xact_lock``), which serialises writers the
way SQLite's ``BEGIN IMMEDIATE`` does. SQL arrives with ``?`` placeholders and leaves with
``%s``. The lease (reconciler/state/pg_lease.py) uses a separate session of its own.

psycopg exceptions are mapped here, at the boundary, with the URL's password masked: a server
away, a read-only database or missing privileges are a :class:`StateUnavailable`, a refused
write (append-only triggers, constraints) a :class:`StateRefused`. A broken connection is
dropped, so the next call reconnects.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import psycopg
import psycopg.errors
from psycopg.rows import RowMaker

from reconciler.errors import InternalError, StateRefused, StateUnavailable
from reconciler.state.backend import Row as AnyRow
from reconciler.state.backend import stamping
from reconciler.state.pg_schema import SCHEMA_VERSION, current_version, migrate
from reconciler.state.url import PgTarget

CONNECT_TIMEOUT_S = 10
LEASE_SPACE = 0x7265_6331  # advisory lock key spaces: the lease, and the write lock
WRITE_SPACE = 0x7265_6332


class Row(tuple[Any, ...]):
    """A result row readable as ``row["name"]``, ``row[0]`` and ``row.keys()``."""

    names: tuple[str, ...]

    def __new__(cls, names: tuple[str, ...], values: Sequence[object]) -> Row:
        row = super().__new__(cls, values)
        row.names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


class Described(Protocol):
    """What :func:`row_factory` reads of a cursor: its result's columns."""

    @property
    def description(self) -> list[psycopg.Column] | None: ...


def row_factory(cursor: Described) -> RowMaker[Row]:
    names = tuple(c.name for c in cursor.description or ())
    return lambda values: Row(names, values)


def project_key(schema: str) -> int:
    """The signed 32-bit advisory-lock key of a project (its schema name)."""
    value = zlib.crc32(schema.encode())
    return value - (1 << 32) if value >= (1 << 31) else value


class Adapter:
    """A psycopg connection seen through the store's dialect (``?`` placeholders)."""

    def __init__(self, conn: psycopg.Connection[Row]):
        self.raw = conn

    def execute(self, sql: str, parameters: Sequence[object] = (), /) -> psycopg.Cursor[Row]:
        if parameters:
            return self.raw.execute(sql.replace("?", "%s"), tuple(parameters))
        return self.raw.execute(sql)


@contextmanager
def mapped_errors(target: PgTarget) -> Iterator[None]:
    """Translate psycopg exceptions into the project's error tree, password masked."""
    where = f"the PostgreSQL state at {target.shown}"
    try:
        yield
    except psycopg.errors.IntegrityError as exc:
        raise StateRefused(f"{where} refused the change: {target.scrub(str(exc))}") from None
    except psycopg.errors.ReadOnlySqlTransaction as exc:
        raise StateUnavailable(f"{where} is read-only: {target.scrub(str(exc).strip())}",
                               hint="point --state at the primary server, or use a role "
                                    "that may write") from None
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StateUnavailable(f"{where} refused access: {target.scrub(str(exc).strip())}",
                               hint="grant the role CREATE on the database and USAGE on the "
                                    "schema, or pick another schema") from None
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as exc:
        raise StateUnavailable(f"{where} is not a reconciler state schema: "
                               f"{target.scrub(str(exc).strip())}",
                               hint="pick another schema with ?schema=NAME") from None
    except psycopg.OperationalError as exc:
        raise StateUnavailable(f"cannot use {where}: {target.scrub(str(exc).strip())}",
                               hint="check that the server runs and the URL, PGPASSFILE or "
                                    "PGPASSWORD are right; the next apply converges") from None
    except (psycopg.ProgrammingError, psycopg.InterfaceError) as exc:
        raise InternalError(f"{where}: {target.scrub(str(exc).strip())}") from None
    except psycopg.Error as exc:
        raise StateUnavailable(f"{where} failed: {target.scrub(str(exc).strip())}") from None


class PgDatabase:
    """A project's schema in a PostgreSQL database (a :class:`~.backend.Backend`)."""

    dialect = "postgresql"

    def __init__(self, target: PgTarget):
        self.target = target
        self.schema = target.schema
        self.key = project_key(target.schema)
        self._lock = threading.RLock()
        self._conn: psycopg.Connection[Row] | None = None
        self._ready = False  # the schema exists at the current version
        self.stamp: dict[str, object] = {}

    @property
    def location(self) -> str:
        return self.target.shown

    def connect(self) -> psycopg.Connection[Row]:
        """A new autocommit session with ``search_path`` set to the project's schema."""
        with mapped_errors(self.target):
            conn = psycopg.connect(self.target.conninfo, autocommit=True,
                                   connect_timeout=CONNECT_TIMEOUT_S, row_factory=row_factory)
            conn.execute(f'SET search_path TO "{self.schema}"')
        return conn

    def _session(self) -> psycopg.Connection[Row]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn, self._ready = self.connect(), False
        return self._conn

    def _check(self, conn: psycopg.Connection[Row], create: bool) -> bool:
        if self._ready:
            return True
        version = current_version(conn, self.schema)
        if version == SCHEMA_VERSION:
            self._ready = True
        elif version > 0 or create:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (WRITE_SPACE, self.key))
                migrate(conn, self.schema, self.target.shown)
            self._ready = True
        return self._ready

    def _drop_if_broken(self) -> None:
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            self._conn.close()
            self._conn, self._ready = None, False

    @contextmanager
    def reading(self) -> Iterator[Adapter | None]:
        """The connection for reads, or ``None`` while the schema does not exist."""
        with self._lock:
            try:
                with mapped_errors(self.target):
                    conn = self._session()
                    yield Adapter(conn) if self._check(conn, create=False) else None
            finally:
                self._drop_if_broken()

    @contextmanager
    def transaction(self) -> Iterator[Adapter]:
        """One write transaction holding the project's write lock; creates the schema."""
        with self._lock:
            try:
                with mapped_errors(self.target):
                    conn = self._session()
                    self._check(conn, create=True)
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                                     (WRITE_SPACE, self.key))
                        with stamping(self.stamp):
                            yield Adapter(conn)
            finally:
                self._drop_if_broken()

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[AnyRow]:
        with self.reading() as conn:
            return [] if conn is None else list(conn.execute(sql, params).fetchall())

    def exists(self) -> bool:
        with self.reading() as conn:
            return conn is not None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn, self._ready = None, False
