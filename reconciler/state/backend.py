"""The interface every state backend offers the store: transactions, reads, existence, close.

:class:`~reconciler.state.db.Database` (SQLite) and :class:`~reconciler.state.pg.PgDatabase`
(PostgreSQL) implement :class:`Backend`; the store, the journal, the audit helpers and the
leases are written once against it. SQL is written once too, in the dialect both accept
(``?`` placeholders, which the PostgreSQL side turns into ``%s``; ``ON CONFLICT`` upserts; a
``rowid`` column that PostgreSQL tables declare explicitly). Rows support ``row["name"]``,
``row[0]`` and ``row.keys()`` on both.

A backend's ``stamp`` is added to the data of every audit row written through it (a row's own
value wins): a sync agent stamps its commit, so ``run.start``, ``state.record``, ``lease.*``
and every other row it writes name the commit, from whichever thread writes them. Each
transaction makes its backend's stamp the current one (:data:`STAMP`) for its thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

STAMP: ContextVar[Mapping[str, object] | None] = ContextVar("audit_stamp", default=None)


@contextmanager
def stamping(stamp: Mapping[str, object]) -> Iterator[None]:
    """Make ``stamp`` the current thread's audit stamp for the duration of a transaction."""
    previous = STAMP.get()
    STAMP.set(dict(stamp))
    try:
        yield
    finally:  # set, not reset: the block may be left from another context than it was entered
        STAMP.set(previous)


class Row(Protocol):
    """One result row (sqlite3.Row, :class:`reconciler.state.pg.Row`): ``row["column"]``,
    ``row[0]``, ``row.keys()``. A value is what the driver returns for its column: both
    drivers type that ``Any``, so readers convert it (``str(...)``, ``loads(...)``)."""

    def __getitem__(self, key: str | int, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    """What an ``execute`` returns (a sqlite3 or psycopg cursor), as used here."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Row | None: ...

    def fetchall(self) -> Sequence[Row]: ...


class Conn(Protocol):
    """The connection a transaction yields (sqlite3.Connection, or the PostgreSQL adapter)."""

    def execute(self, sql: str, parameters: Sequence[object] = ..., /) -> Cursor: ...


class Backend(Protocol):
    """What the store needs from a database; see the module docstring."""

    dialect: str  # "sqlite" or "postgresql"
    stamp: dict[str, object]  # added to every audit row's data (see the module docstring)

    @property
    def location(self) -> str:
        """Where the state is, fit to print (a path, or a URL with its password masked)."""
        ...

    def transaction(self) -> AbstractContextManager[Conn]: ...

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[Row]: ...

    def exists(self) -> bool: ...

    def close(self) -> None: ...
