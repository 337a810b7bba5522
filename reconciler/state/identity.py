"""The state's identity: a stable id (a uuid) that names one state, on either backend.

Every state (a SQLite file, a PostgreSQL schema) has the ``meta`` row ``state_id``, written
once by whoever first needs it (``INSERT ... ON CONFLICT DO NOTHING``, so two processes never
make two ids) and never changed: a state made by an older reconciler gets its id the first
time it is opened by this one. Actuators write the id into every owner mark
(``RECONCILER_STATE_ID``, the ``io.reconciler.state-id`` label) so an object made by another
state is never replaced or adopted silently (docs/state-format.md). Checkouts sharing one
PostgreSQL state share its id.
"""

from __future__ import annotations

import uuid

from reconciler.errors import UserError
from reconciler.state.backend import Backend

META_KEY = "state_id"


def load(db: Backend) -> str:
    """The state's id, created on first use."""
    for _ in range(2):
        rows = db.query("SELECT value FROM meta WHERE key = ?", (META_KEY,))
        if rows:
            return str(rows[0][0])
        store(db, str(uuid.uuid4()), replace=False)
    raise UserError(f"cannot keep a state id in {db.location}")


def store(db: Backend, state_id: str, *, replace: bool) -> None:
    """Keep ``state_id``; unless ``replace``, an existing id wins."""
    conflict = "DO UPDATE SET value = excluded.value" if replace else "DO NOTHING"
    with db.transaction() as conn:
        conn.execute(f"INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) {conflict}",
                     (META_KEY, state_id))
