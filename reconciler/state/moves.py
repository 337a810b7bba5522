"""``state mv``'s write: one record renamed in one transaction with its audit row.

The record keeps its spec, facts (pid + start time, container id) and status; the hold
follows it and the new address gets the old one's auto-assigned port (allocations are
append-only), so the object keeps running
and the next plan finds it under its new address by its recorded facts
(reconciler/actuators/process/actuator.py observe claims a moved process by them).
"""

from __future__ import annotations

from reconciler.model.types import Address
from reconciler.state.backend import Backend
from reconciler.state.journal import insert_event


def move(db: Backend, old: Address, new: Address, *, run_id: str | None = None) -> None:
    """Rename the record ``old`` to ``new`` (with its hold and port), audited as
    ``state.move``. The caller checked that ``old`` is recorded and ``new`` is not."""
    src, dest = str(old), str(new)
    with db.transaction() as conn:
        conn.execute("UPDATE resources SET address = ?, kind = ?, name = ?, host = ? "
                     "WHERE address = ?", (dest, new.kind, new.name, new.host, src))
        conn.execute("UPDATE holds SET address = ? WHERE address = ?", (dest, src))
        # allocations are append-only (stable forever): the new address gets the same port
        conn.execute("INSERT INTO allocations (key, port, allocated_at) SELECT ?, port, "
                     "allocated_at FROM allocations WHERE key = ? ON CONFLICT(key) DO NOTHING",
                     (dest, src))
        insert_event(conn, run_id, "state.move", dest, f"moved {src} to {dest}",
                     {"from": src, "to": dest})
