"""The state backends the parametrised state tests run on (see tests/unit/state/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.state import StateStore


@dataclass
class Backend:
    """One backend under test: how to open its store, reach it raw, and name it to others."""

    kind: str
    target: str  # the database file, or the state URL (with ?schema=)
    local: Path
    cluster: Any = None

    def new(self) -> StateStore:
        if self.kind == "sqlite":
            return StateStore(Path(self.target))
        return StateStore.open_url(self.target, state_dir=self.local, schema="unused")

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        """Run ``statement`` with the driver itself (bypassing the store)."""
        if self.kind == "sqlite":
            import sqlite3

            with sqlite3.connect(self.target) as conn:
                conn.execute(statement, params)
            return
        import psycopg

        from reconciler.state.url import parse_pg

        target = parse_pg(self.target, "unused")
        with psycopg.connect(target.conninfo, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{target.schema}"')
            conn.execute(statement.replace("?", "%s").encode(), params or None)

    @property
    def integrity_error(self) -> type[Exception]:
        if self.kind == "sqlite":
            import sqlite3

            return sqlite3.IntegrityError
        import psycopg

        return psycopg.errors.IntegrityError

    def dump(self) -> str:
        """Everything stored, as text (to look for secrets in clear)."""
        if self.kind == "sqlite":
            return Path(self.target).read_bytes().decode(errors="replace")
        from reconciler.state.url import parse_pg

        schema = parse_pg(self.target, "unused").schema
        tables = [str(r[0]) for r in self.cluster.sql(
            "reconciler", f"SELECT table_name FROM information_schema.tables "
                          f"WHERE table_schema = '{schema}'")]
        return "\n".join(str(self.cluster.sql("reconciler", f'SELECT * FROM "{schema}"."{t}"'))
                         for t in tables)
