"""Where a project's state lives: a SQLite file or a PostgreSQL URL, and how to show it safely.

``--state URL`` / ``RECONCILER_STATE`` choose the backend. Unset (or a ``sqlite:`` URL / a plain
path) means the SQLite file of today. ``postgresql://[user[:password]@]host[:port]/db?...``
(also ``postgres://``) means PostgreSQL; the extra query parameter ``schema=NAME`` picks the
schema, by default one per project (:func:`default_schema`). Every other query parameter
(``sslmode``, ``host=/run/postgresql`` for a unix socket, ...) goes to libpq unchanged, and so
do credentials from ``PGPASSFILE``, ``PGPASSWORD``, ``PGUSER``.

:func:`mask` replaces the password of a URL with ``***``; every message, hint, audit row and
holder row shows URLs only through it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from reconciler.errors import UserError

PG_SCHEMES = ("postgresql", "postgres")
MASK = "***"
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_URL_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)([^@\s]*)(@)")


def is_pg_url(text: str | None) -> bool:
    scheme, colon, _ = str(text or "").partition(":")
    return bool(colon) and scheme.lower() in PG_SCHEMES


def mask(text: str) -> str:
    """``text`` with the password of every PostgreSQL URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)


def default_schema(project: str, session: str | None) -> str:
    """``reconciler_<project name>[_<session>]``, lower-cased, other characters as ``_``.

    Named after the project (its ``name:``), not its directory, so every checkout of a project
    shares one schema whatever the checkout is called.
    """
    base = re.sub(r"[^a-z0-9_]", "_", project.lower()) or "project"
    name = f"reconciler_{base}" + (f"_{re.sub(r'[^a-z0-9_]', '_', session.lower())}"
                                   if session else "")
    return name[:63]


@dataclass(frozen=True)
class PgTarget:
    """A parsed PostgreSQL state URL: the libpq conninfo (no ``schema``) and the schema."""

    conninfo: str
    schema: str
    password: str | None

    @property
    def shown(self) -> str:
        """The URL as it may be printed: password masked, schema as a query parameter."""
        return mask(f"{self.conninfo}{'&' if '?' in self.conninfo else '?'}"
                    f"schema={self.schema}")

    def scrub(self, text: str) -> str:
        """``text`` (a driver message) with this URL's password masked, wherever it shows."""
        text = mask(text)
        if self.password:
            text = text.replace(self.password, MASK).replace(quote(self.password), MASK)
        return text


def parse_pg(url: str, default: str) -> PgTarget:
    """Split ``url`` into conninfo and schema (``default`` unless ``?schema=`` says)."""
    shape = "postgresql://[user[:password]@]host[:port]/db[?schema=NAME]"
    if not url.partition(":")[2].startswith("//"):
        raise UserError(f"invalid state URL {mask(url)}: expected {shape}")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL"
        raise UserError(f"invalid state URL {mask(url)}: {exc}", hint=shape) from None
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = default
    kept = []
    for key, value in query:
        if key == "schema":
            schema = value
        else:
            kept.append((key, value))
    if not _SCHEMA.match(schema):
        raise UserError(f"invalid state schema name {schema!r} in {mask(url)}",
                        hint="use lower-case letters, digits and '_' (up to 63), "
                             "not starting with a digit")
    # urlunsplit drops the "//" of an empty host ("postgresql:///db?host=/run/postgresql"),
    # which libpq does not read: keep the URI form whole.
    query_text = urlencode(kept)
    conninfo = f"{parts.scheme}://{parts.netloc}{parts.path}" + \
        (f"?{query_text}" if query_text else "")
    password = unquote(parts.password) if parts.password else None
    target = PgTarget(conninfo, schema, password)
    check_conninfo(target)
    return target


def check_conninfo(target: PgTarget) -> None:
    """Let libpq parse the URL (no connection): an unknown parameter or a bad escape is the
    user's error, said before anything else happens."""
    try:
        from psycopg import ProgrammingError
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # the store says how to install it
        return
    try:
        conninfo_to_dict(target.conninfo)
    except ProgrammingError as exc:
        raise UserError(f"invalid state URL {target.shown}: {target.scrub(str(exc).strip())}",
                        hint="see https://www.postgresql.org/docs/current/"
                             "libpq-connect.html#LIBPQ-PARAMKEYWORDS") from None


def key_anchor(dialect: str, location: str, target: PgTarget | None) -> str:
    """Where a state is, the same from every checkout and user that shares it (part of the
    key file's name): the SQLite file's absolute path, or PostgreSQL host, port, database and
    schema (no user, no password)."""
    if dialect == "sqlite" or target is None:
        return "sqlite:" + os.path.abspath(location)
    parts = urlsplit(target.conninfo)
    query = dict(parse_qsl(parts.query))
    host = query.get("host") or parts.hostname or ""
    port = query.get("port") or (str(parts.port) if parts.port else "5432")
    return f"postgresql://{host}:{port}{parts.path}#{target.schema}"


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///abs/path`` URL or of a plain path."""
    if url.startswith("sqlite:"):
        return Path(url[len("sqlite:"):].removeprefix("//"))
    return Path(url)
