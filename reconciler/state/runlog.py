"""The run and audit half of :class:`~reconciler.state.store.StateStore`.

:class:`RunLog` owns what a store says about history rather than about resources: runs
(plan/apply/destroy/watch) with their results, the append-only audit journal and its stamp,
policy decision records, approvals, the audit export, pruning and verification of the
checkpoint chain (reconciler/state/prune.py). It works on the store's backend only; the store
mixes it in, so callers keep using ``StateStore`` methods.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from reconciler.state import audit, prune
from reconciler.state.backend import Backend
from reconciler.state.db import dumps
from reconciler.state.journal import (
    Journal,
    event_from_row,
    insert_event,
    insert_run,
    run_from_row,
)
from reconciler.state.writebehind import WriteBehind, defer_or_commit

# How late an apply's node results may be committed (one transaction per batch, not per node).
BATCH_INTERVAL = 0.05


class RunLog:
    """Runs, the audit journal, decisions and approvals of a state (mixed into StateStore)."""

    _db: Backend

    # -- runs and the audit journal ----------------------------------------------------------

    def stamp(self, **values: object) -> None:
        """Add ``values`` (None ones dropped) to every audit row written from now on."""
        self._db.stamp.clear()
        self._db.stamp.update({k: v for k, v in values.items() if v is not None})

    def begin_run(self, kind: str, *, meta: Mapping[str, object]) -> str:
        """Start a run (plan/apply/destroy/watch); returns its id (uuid4 hex)."""
        if not kind:
            raise ValueError("a run needs a kind")
        run_id = uuid.uuid4().hex
        with self._db.transaction() as conn:
            insert_run(conn, run_id, kind, meta)
            insert_event(conn, run_id, "run.start", None, f"{kind} started", {"kind": kind})
        return run_id

    def end_run(self, run_id: str, *, result: str, summary: Mapping[str, object]) -> None:
        """Close a run once; ending an unknown or already ended run raises ValueError."""
        with self._db.transaction() as conn:
            cursor = conn.execute("UPDATE runs SET ended_at = ?, result = ?, summary = ? "
                                  "WHERE id = ?",
                                  (time.time(), result, dumps(dict(summary)), run_id))
            if cursor.rowcount == 0:
                raise ValueError(f"unknown run {run_id!r}")
            insert_event(conn, run_id, "run.end", None, f"run ended: {result}",
                         {"result": result, **summary})

    def append_event(self, run_id: str | None, kind: str, address: str | None, message: str,
                     data: Mapping[str, object]) -> None:
        """Append one audit row (deferred while the store is :meth:`batched`)."""
        if not kind:
            raise ValueError("an event needs a kind")
        at, data = time.time(), dict(data)
        defer_or_commit(self._db, lambda conn: insert_event(conn, run_id, kind, address,
                                                            message, data, at=at))

    @contextmanager
    def batched(self, interval: float = BATCH_INTERVAL) -> Iterator[None]:
        """Within the block, resource records, forgets and audit rows are committed in
        batches at most ``interval`` s late (reconciler/state/writebehind.py); the rest is
        committed when the block ends."""
        inner = self._db
        writer = WriteBehind(inner, interval=interval)
        self._db = writer
        try:
            yield
        finally:
            self._db = inner
            writer.close()

    def events(self, *, run_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest ``limit`` audit rows (of one run, if given), oldest first."""
        where, params = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
        rows = self._db.query(f"SELECT * FROM (SELECT * FROM events {where} ORDER BY id DESC "
                              f"LIMIT ?) AS recent ORDER BY id", (*params, limit))
        return [event_from_row(r) for r in rows]

    def serial(self) -> int:
        """How far the state has come: the id of its newest audit row (0 when empty)."""
        rows = self._db.query("SELECT MAX(id) FROM events")
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest ``limit`` runs, newest first."""
        rows = self._db.query("SELECT * FROM runs ORDER BY started_at DESC, rowid DESC "
                              "LIMIT ?", (limit,))
        return [run_from_row(r) for r in rows]

    # -- policy decisions, approvals, export (see state/audit.py) ----------------------------

    def record_decisions(self, run_id: str | None,
                         records: Sequence[Mapping[str, object]]) -> None:
        """Append Policy Decision Records (``DecisionRecord.to_json()`` dicts)."""
        audit.insert_decisions(self._db, run_id, records)

    def decisions(self, *, run_id: str | None = None) -> list[dict[str, object]]:
        return audit.decisions(self._db, run_id=run_id)

    def approve(self, *, who: str, inputs_hash: str, plan_file: str,
                addresses: Sequence[str]) -> dict[str, Any]:
        """Record an approval of the plan with ``inputs_hash``; returns the approval row."""
        return audit.insert_approval(self._db, who=who, inputs_hash=inputs_hash,
                                     plan_file=plan_file, addresses=addresses)

    def approvals(self) -> list[dict[str, object]]:
        return audit.approvals(self._db)

    def approved_hashes(self) -> set[str]:
        return audit.approved_hashes(self._db)

    def export(self) -> list[dict[str, object]]:
        """The whole audit log (runs, events, decisions, approvals) as plain dicts."""
        return list(audit.export(self._db))

    def prune_audit(self, before: float) -> dict[str, object]:
        """Remove audit rows older than ``before``, leaving a checkpoint (state/prune.py)."""
        return prune.prune(self._db, before)

    def verify_audit(self) -> list[str]:
        """Problems of the audit log's checkpoint chain (empty: it verifies)."""
        return prune.verify(self._db)

    def journal(self, run_id: str | None, kinds: Collection[str] | None = None) -> Journal:
        """An EventBus subscriber appending that run's events to the audit journal."""
        return Journal(self.append_event, run_id, kinds)
