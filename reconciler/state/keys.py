"""The project's secret key (the HMAC key of secret markers), on either backend.

On SQLite it is the file ``<state_dir>/secret.key`` (mode 0600) beside the database, created
once and atomically (a link, so two processes never make two keys). On PostgreSQL it is the
``meta`` row ``secret_key`` (hex) of the project's schema, so every checkout and CI job that
shares the state shares the key, and their secret markers (and spec hashes) agree.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from reconciler.errors import UserError
from reconciler.state.backend import Backend
from reconciler.state.db import FILE_MODE, ensure_dir

KEY_BYTES = 32


def load(db: Backend, path: Path) -> bytes:
    """The key (created on first use); ``path`` is the SQLite key file."""
    if db.dialect == "sqlite":
        return _load_or_create_key(path)
    for _ in range(2):
        rows = db.query("SELECT value FROM meta WHERE key = 'secret_key'")
        if rows:
            key = bytes.fromhex(str(rows[0][0]))
            if len(key) != KEY_BYTES:
                raise UserError(f"the secret key in {db.location} is damaged",
                                hint="restore it from a backup")
            return key
        store(db, path, os.urandom(KEY_BYTES), replace=False)
    raise UserError(f"cannot keep a secret key in {db.location}")


def store(db: Backend, path: Path, key: bytes, *, replace: bool) -> None:
    """Keep ``key``; unless ``replace``, an existing key wins."""
    if db.dialect != "sqlite":
        conflict = "DO UPDATE SET value = excluded.value" if replace else "DO NOTHING"
        with db.transaction() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('secret_key', ?) "
                         f"ON CONFLICT(key) {conflict}", (key.hex(),))
        return
    if path.exists() and not replace:
        return
    ensure_dir(path.parent)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    os.replace(temp, path)


def _load_or_create_key(path: Path) -> bytes:
    try:
        key = _read_or_create(path)
    except OSError as exc:  # a state directory we may not write (or read)
        raise UserError(f"cannot keep the secret key {path}: {exc.strerror or exc}",
                        hint="check the permissions of the state directory, or pass "
                             "another one with --state-dir") from None
    if len(key) != KEY_BYTES:
        raise UserError(f"the secret key {path} is damaged ({len(key)} bytes, expected "
                        f"{KEY_BYTES})", hint="restore it from a backup; a new key makes "
                        "every secret show as changed once")
    return key


def _read_or_create(path: Path) -> bytes:
    if not path.exists():
        ensure_dir(path.parent)
        temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.write(fd, os.urandom(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temp, path)  # atomic, and never replaces a key another process made
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
    return path.read_bytes()
