"""The project's secret key (the HMAC key of secret markers): kept OUTSIDE the state.

The key is what makes a keyed hash of a secret worthless without it, so it never sits next to
those hashes: it is ``$RECONCILER_SECRET_KEY`` (64 hex digits, shared by a team out of band),
or else a per-project key file ``$XDG_CONFIG_HOME/reconciler/keys/<project-id>.key`` (default
``~/.config``; mode 0600; created once and atomically, a link, so two processes never make two
keys). The project id is the project's name plus a digest of the name and of where its state
is (the SQLite file, or PostgreSQL host/port/database/schema): two projects of the same name
with different states get different keys, and losing ``.reconciler/`` loses no key.

Older states kept the key inside: ``<state_dir>/secret.key`` (SQLite) or the ``meta`` row
``secret_key`` (PostgreSQL). :func:`load` moves such a key into the key file on first use and
deletes it from the state (see docs/security.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import UserError
from reconciler.state.backend import Backend
from reconciler.state.db import FILE_MODE, ensure_dir

KEY_BYTES = 32
ENV_VAR = "RECONCILER_SECRET_KEY"
LEGACY_META = "secret_key"


def key_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME/reconciler/keys`` (``~/.config`` when unset or relative)."""
    base = environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "reconciler" / "keys"


def project_id(name: str, anchor: str) -> str:
    """``<name>-<digest>``: readable, and distinct for same-named projects elsewhere."""
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:40].lstrip(".") or "project"
    digest = hashlib.sha256(f"{name}\0{anchor}".encode()).hexdigest()[:16]
    return f"{slug}-{digest}"


def key_file(name: str, anchor: str, environ: Mapping[str, str]) -> Path:
    return key_dir(environ) / f"{project_id(name, anchor)}.key"


def from_env(environ: Mapping[str, str]) -> bytes | None:
    """The key of ``$RECONCILER_SECRET_KEY`` (None when unset)."""
    text = environ.get(ENV_VAR, "").strip()
    if not text:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise UserError(f"${ENV_VAR} must be {KEY_BYTES * 2} hex digits",
                        hint="make one with: python3 -c 'import secrets; "
                             "print(secrets.token_hex(32))'")
    return key


def load(db: Backend, legacy: Path, path: Path, environ: Mapping[str, str]) -> bytes:
    """The key: ``$RECONCILER_SECRET_KEY``, else the key file ``path`` (created on first use,
    or moved there from the state's ``legacy`` place, which is then emptied)."""
    try:
        return _load(db, legacy, path, environ)
    except OSError as exc:  # a key directory we may not write (or read)
        raise UserError(f"cannot keep the secret key {path}: {exc.strerror or exc}",
                        hint=f"check the permissions of {path.parent}, or set ${ENV_VAR} "
                             "(64 hex digits)") from None


def _load(db: Backend, legacy: Path, path: Path, environ: Mapping[str, str]) -> bytes:
    old = _legacy_key(db, legacy)
    if old is not None:
        _write(path, old, replace=False)  # an existing key file wins
        _drop_legacy(db, legacy)
    shared = from_env(environ)
    if shared is not None:
        return shared
    if not path.exists():
        _write(path, os.urandom(KEY_BYTES), replace=False)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise UserError(f"the secret key {path} is damaged ({len(key)} bytes, expected "
                        f"{KEY_BYTES})", hint="restore it from a backup, or `reconciler state "
                        "rotate-key` to make a new one")
    return key


def store(path: Path, key: bytes, *, replace: bool) -> None:
    """Keep ``key`` in the key file ``path``; unless ``replace``, an existing key wins."""
    _write(path, key, replace=replace)


def _legacy_key(db: Backend, legacy: Path) -> bytes | None:
    if db.dialect == "sqlite":
        with contextlib.suppress(OSError):
            key = legacy.read_bytes()
            return key if len(key) == KEY_BYTES else None
        return None
    if not db.exists():
        return None
    rows = db.query("SELECT value FROM meta WHERE key = ?", (LEGACY_META,))
    if not rows:
        return None
    try:
        key = bytes.fromhex(str(rows[0][0]))
    except ValueError:
        return None
    return key if len(key) == KEY_BYTES else None


def _drop_legacy(db: Backend, legacy: Path) -> None:
    if db.dialect == "sqlite":
        with contextlib.suppress(FileNotFoundError):
            legacy.unlink()
        return
    with db.transaction() as conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (LEGACY_META,))


def _write(path: Path, key: bytes, *, replace: bool) -> None:
    if path.exists() and not replace:
        return
    ensure_dir(path.parent)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if replace:
            os.replace(temp, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)  # atomic, and never replaces a key another process made
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
