"""What the store keeps per managed object, and the guard that keeps secrets out of it.

:class:`ResourceRecord` is the last-applied state of one address: its spec (already masked by
the model), spec hash, recorded dependencies, observed facts, status, and which run applied
it. :func:`refuse_secrets` is the last line of defence: a clear value under a secret-looking
name (``reconciler.model.secrets.is_secret_name``) in ``spec["env"]`` or anywhere in
``facts`` raises ``ValueError`` instead of reaching the disk; keyed-hash markers pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from reconciler.model.secrets import is_marker, is_secret_name
from reconciler.model.types import Address
from reconciler.state.backend import Conn, Row
from reconciler.state.db import loads

# Names that match the secret patterns but name public material by definition
# (a WireGuard public key, an SSH host's public key).
_PUBLIC_MARK = "public"


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    """The last-applied state of one address."""

    address: Address
    spec: dict[str, object]
    spec_hash: str
    depends_on: tuple[str, ...]
    facts: dict[str, object]
    status: str
    applied_at: float
    run_id: str | None


class Hold(TypedDict):
    """A service kept stopped on purpose (``reconciler stop``) until it is started."""

    held_at: float
    who: str
    reason: str


def _clear_secret(name: str, value: object) -> bool:
    if not is_secret_name(name) or _PUBLIC_MARK in name.lower():
        return False
    if value is None or value == "" or isinstance(value, bool | int | float):
        return False
    return not is_marker(value)


def _scan(where: str, mapping: Mapping[str, object], *, recursive: bool) -> None:
    for key, value in mapping.items():
        name = str(key)
        if _clear_secret(name, value):
            raise ValueError(
                f"refusing to store a clear value under the secret-looking name "
                f"{where}.{name}; pass its keyed-hash marker (reconciler.model.secrets.marker)")
        if recursive and isinstance(value, Mapping):
            _scan(f"{where}.{name}", value, recursive=True)
        if recursive and isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    _scan(f"{where}.{name}[{index}]", item, recursive=True)


def refuse_secrets(spec: Mapping[str, object], facts: Mapping[str, object]) -> None:
    """Raise ``ValueError`` when ``spec["env"]`` or ``facts`` holds a clear secret."""
    env = spec.get("env")
    if isinstance(env, Mapping):
        _scan("spec.env", env, recursive=False)
    _scan("facts", facts, recursive=True)


def record_from_row(row: Row) -> ResourceRecord:
    return ResourceRecord(
        address=Address(row["kind"], row["name"], row["host"]),
        spec=dict(loads(row["spec"]) or {}),
        spec_hash=str(row["spec_hash"]),
        depends_on=tuple(str(d) for d in loads(row["depends_on"]) or ()),
        facts=dict(loads(row["facts"]) or {}),
        status=str(row["status"]),
        applied_at=float(row["applied_at"]),
        run_id=row["run_id"],
    )


def upsert_record(conn: Conn, row: tuple[object, ...]) -> bool:
    """Insert or update one ``resources`` row (address, kind, name, host, spec, spec_hash,
    depends_on, facts, status, applied_at, run_id); whether the address had a record."""
    existed = conn.execute("SELECT 1 FROM resources WHERE address = ?",
                           (row[0],)).fetchone() is not None
    conn.execute(
        "INSERT INTO resources (address, kind, name, host, spec, spec_hash, "
        "depends_on, facts, status, applied_at, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET "
        "spec = excluded.spec, spec_hash = excluded.spec_hash, "
        "depends_on = excluded.depends_on, facts = excluded.facts, "
        "status = excluded.status, applied_at = excluded.applied_at, "
        "run_id = excluded.run_id", row)
    return existed
