"""A state target is checked before anything is written (issue 27): a state directory that a
file blocks or whose name is too long, a ``--state`` that is a directory, a device or another
file, and a state directory the key cannot be written to are user errors, never OSErrors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.errors import UserError
from reconciler.state import keys
from reconciler.state.db import Database, check_dir, check_sqlite_file
from reconciler.state.store import StateStore
from reconciler.state.url import parse_pg


def test_check_dir(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    check_dir(tmp_path / "new" / "deeper")  # creatable: fine, and nothing made
    assert not (tmp_path / "new").exists()
    for bad, words in ((tmp_path / "file", "is a file"), (tmp_path / "file" / "x", "Not a"),
                       (tmp_path / ("a" * 300), "too long")):
        with pytest.raises(UserError, match=words):
            check_dir(bad)


def test_check_sqlite_file(tmp_path: Path) -> None:
    check_sqlite_file(tmp_path / "new.db", "new.db")
    (tmp_path / "empty.db").write_bytes(b"")
    check_sqlite_file(tmp_path / "empty.db", "empty.db")
    db = Database(tmp_path / "real.db")
    with db.transaction() as conn:
        conn.execute("SELECT 1")
    db.close()
    check_sqlite_file(tmp_path / "real.db", "real.db")
    (tmp_path / "notes.txt").write_text("hello")
    os.mkfifo(tmp_path / "fifo")
    for bad, words in ((tmp_path, "is a directory"), (tmp_path / "notes.txt", "not a SQLite"),
                       (tmp_path / "fifo", "not a regular file")):
        with pytest.raises(UserError, match=words):
            check_sqlite_file(bad, str(bad))


def test_open_project_refuses_before_writing(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="state directory"):
        StateStore.open_project(tmp_path, state_dir=tmp_path / "file" / "sub")
    with pytest.raises(UserError, match="is a directory"):
        StateStore.open_project(tmp_path, url=str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_key_that_cannot_be_written_is_a_user_error(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(keys.os, "open", refuse)
    store = StateStore(tmp_path / "state" / "state.db")
    with pytest.raises(UserError, match=r"cannot keep the secret key .*Permission denied"):
        store.secret_key()


@pytest.mark.parametrize("url", ["postgresql:x", "postgresql://[x/db",
                                 "postgresql://h/db?bogus=1", "postgresql://u:s3cr%zz@h/db"])
def test_a_malformed_postgres_url_is_a_user_error(url: str) -> None:
    with pytest.raises(UserError, match="invalid state URL") as refused:
        parse_pg(url, "reconciler_x")
    assert "s3cr" not in refused.value.render()


def test_a_postgres_url_without_a_host_keeps_its_slashes() -> None:
    assert parse_pg("postgresql://", "s").conninfo == "postgresql://"
    assert parse_pg("postgresql:///db?host=/run/postgresql", "s").conninfo == \
        "postgresql:///db?host=%2Frun%2Fpostgresql"
