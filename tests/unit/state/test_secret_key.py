"""The secret key lives outside the state: a per-user key file or $RECONCILER_SECRET_KEY.

Older states kept it inside (``secret.key`` beside the SQLite file, the ``meta`` row
``secret_key`` on PostgreSQL): it is moved out on first use. A dump of the state never holds
key material, on either backend.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from testing.state_backends import Backend

from reconciler.errors import UserError
from reconciler.model.secrets import marker
from reconciler.model.types import Address
from reconciler.state import StateStore

API = Address("process", "api")


def _config() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "reconciler" / "keys"


def _everything(backend: Backend) -> bytes:
    """The whole state: the database dump, plus every file of a SQLite state directory."""
    text = backend.dump().encode()
    if backend.kind == "sqlite":
        for path in Path(backend.target).parent.rglob("*"):
            if path.is_file():
                text += path.read_bytes()
    return text


def test_the_key_file_is_private_outside_the_state_and_created_once(backend: Backend) -> None:
    store = backend.new()
    key = store.secret_key()
    files = list(_config().iterdir())
    assert len(key) == 32 and [f.read_bytes() for f in files] == [key]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    assert backend.new().secret_key() == key
    store.close()


def test_a_state_dump_holds_no_secret_key(backend: Backend) -> None:
    store = backend.new()
    key = store.secret_key()
    store.record(API, spec={"env": {"API_TOKEN": marker("dev-token-123", key)}},
                 spec_hash="h", depends_on=(), facts={}, status="running", run_id=None)
    everything = _everything(backend)
    assert b"secret_key" not in everything
    assert key not in everything and key.hex().encode() not in everything
    assert b"dev-token-123" not in everything
    store.close()


def test_an_old_state_key_moves_out_of_the_state(backend: Backend) -> None:
    old = bytes(range(32))
    first = backend.new()
    first.serial()
    first.hold(API, who="me")  # the schema exists
    if backend.kind == "sqlite":
        (Path(backend.target).parent / "secret.key").write_bytes(old)
    else:
        backend.sql("INSERT INTO meta (key, value) VALUES ('secret_key', ?)", (old.hex(),))
    first.close()
    store = backend.new()
    assert store.secret_key() == old  # the hashes recorded under it still match
    assert [f.read_bytes() for f in _config().iterdir()] == [old]
    assert old not in _everything(backend) and old.hex().encode() not in _everything(backend)
    assert backend.new().secret_key() == old
    store.close()


def test_losing_the_state_directory_keeps_the_key(tmp_path: Path) -> None:
    project = tmp_path / "qs"
    store = StateStore.open_project(project, project="quickstart")
    key = store.secret_key()
    store.hold(API, who="me")
    store.close()
    shutil.rmtree(project / ".reconciler")
    assert StateStore.open_project(project, project="quickstart").secret_key() == key


def test_same_named_projects_elsewhere_get_their_own_keys(tmp_path: Path) -> None:
    one = StateStore.open_project(tmp_path / "a", project="shop")
    two = StateStore.open_project(tmp_path / "b", project="shop")
    assert one.key_file != two.key_file and one.key_file.name.startswith("shop-")
    assert one.secret_key() != two.secret_key()


def test_a_shared_key_from_the_environment_wins(tmp_path: Path) -> None:
    shared = "ab" * 32
    store = StateStore.open_project(tmp_path, project="p",
                                    environ={"RECONCILER_SECRET_KEY": shared})
    assert store.secret_key() == bytes.fromhex(shared)
    assert not store.key_file.exists()
    with pytest.raises(UserError, match="64 hex digits"):
        StateStore.open_project(tmp_path, project="p",
                                environ={"RECONCILER_SECRET_KEY": "short"}).secret_key()


def test_the_default_postgresql_schema_is_named_after_the_project(tmp_path: Path) -> None:
    store = StateStore.open_project(tmp_path / "alice-checkout", url="postgresql://u@/db",
                                    project="Shop-Front")
    assert store.backend.schema == "reconciler_shop_front"  # type: ignore[attr-defined]
    assert StateStore.open_project(tmp_path / "x", session="dev", url="postgresql://u@/db",
                                   project="shop").backend.schema == (  # type: ignore[attr-defined]
        "reconciler_shop_dev")
