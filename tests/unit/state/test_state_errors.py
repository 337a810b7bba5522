"""sqlite3 errors reach the user inside the one error tree (issue 12)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reconciler.errors import InternalError, ReconcilerError, StateRefused, UserError
from reconciler.state.db import mapped_errors


@pytest.mark.parametrize(("raised", "expected"), [
    (sqlite3.IntegrityError("append-only"), StateRefused),
    (sqlite3.OperationalError("unable to open database file"), UserError),
    (sqlite3.DatabaseError("file is not a database"), UserError),
    (sqlite3.ProgrammingError("closed database"), InternalError),
    (sqlite3.InterfaceError("bad parameter"), InternalError),
])
def test_every_sqlite_error_is_mapped(raised: sqlite3.Error, expected: type[Exception]) -> None:
    with pytest.raises(expected) as caught, mapped_errors(Path("/x/state.db")):
        raise raised
    assert isinstance(caught.value, ReconcilerError) and "/x/state.db" in str(caught.value)


def test_a_refused_write_is_still_a_value_error() -> None:
    with pytest.raises(ValueError), mapped_errors(Path("s.db")):
        raise sqlite3.IntegrityError("x")


def test_the_hook_fast_path_maps_every_error_of_the_tree(tmp_path: Path, monkeypatch,  # type: ignore[no-untyped-def]
                                                         capsys) -> None:
    from reconciler.workflows import hook

    def broken(_directory: Path) -> int:
        raise InternalError("state database: closed")

    monkeypatch.setattr(hook, "run_hook", broken)
    assert hook.fast_path(["-C", str(tmp_path), "hook", "run"]) == 3
    assert "closed" in capsys.readouterr().err
