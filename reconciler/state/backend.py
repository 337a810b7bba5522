"""The interface every state backend offers the store: transactions, reads, existence, close.

:class:`~reconciler.state.db.Database` (SQLite) and :class:`~reconciler.state.pg.PgDatabase`
(PostgreSQL) implement :class:`Backend`; the store, the journal, the audit helpers and the
leases are written once against it. SQL is written once too, in the dialect both accept
(``?`` placeholders, which the PostgreSQL side turns into ``%s``; ``ON CONFLICT`` upserts; a
``rowid`` column that PostgreSQL tables declare explicitly). Rows support ``row["name"]``,
``row[0]`` and ``row.keys()`` on both.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol


class Conn(Protocol):
    """The connection a transaction yields (sqlite3.Connection, or the PostgreSQL adapter)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


class Backend(Protocol):
    """What the store needs from a database; see the module docstring."""

    dialect: str  # "sqlite" or "postgresql"

    @property
    def location(self) -> str:
        """Where the state is, fit to print (a path, or a URL with its password masked)."""
        ...

    def transaction(self) -> AbstractContextManager[Any]: ...

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]: ...

    def exists(self) -> bool: ...

    def close(self) -> None: ...
