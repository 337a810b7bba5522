"""Policy decision records, plan approvals and the JSONL export of the whole audit log.

Every function here takes the store's :class:`~reconciler.state.db.Database`. Decisions and
approvals are only ever inserted (schema triggers refuse UPDATE and DELETE); each insert is
one transaction together with its row in ``events``, so ``reconciler history`` and
``reconciler audit export`` see decisions and approvals next to the runs they belong to.

The log is written on change: an evaluation outside any run (a watcher's or sync agent's
re-plan) identical to the last one recorded (same inputs hash, commit, rules and outcomes) is
not written again, so a loop polling an unchanged world adds no rows.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence

from reconciler.state.backend import Backend, Conn, Row
from reconciler.state.db import dumps, loads
from reconciler.state.journal import event_from_row, insert_event, run_from_row

DECISION_FIELDS = ("id", "time", "rule_id", "rule_origin", "address", "action", "outcome",
                   "reason", "inputs_hash", "git_commit", "final")


def insert_decisions(db: Backend, run_id: str | None,
                     records: Sequence[Mapping[str, object]]) -> None:
    """Append decision records (``DecisionRecord.to_json()`` dicts) in one transaction."""
    if not records:
        return
    digest = _digest(records)
    with db.transaction() as conn:
        if run_id is None and _last_digest(conn) == digest:
            return
        for record in records:
            values = [record.get(name) for name in DECISION_FIELDS]
            values[-1] = 1 if record.get("final") else 0
            conn.execute(
                "INSERT INTO decisions (id, time, rule_id, rule_origin, address, action, "
                "outcome, reason, inputs_hash, git_commit, final, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (*values, run_id))
        finals = [r for r in records if r.get("final")]
        counts: dict[str, int] = {}
        for record in finals:
            outcome = str(record.get("outcome"))
            counts[outcome] = counts.get(outcome, 0) + 1
        insert_event(conn, run_id, "policy.evaluated", None,
                     f"policy decided {len(finals)} change(s)",
                     {"records": len(records), "outcomes": counts,
                      "inputs_hash": records[0].get("inputs_hash"), "digest": digest})


def _digest(records: Sequence[Mapping[str, object]]) -> str:
    """What an evaluation decided, without its record ids and times."""
    kept = [{k: v for k, v in r.items() if k not in ("id", "time")} for r in records]
    return hashlib.sha256(dumps(kept).encode()).hexdigest()


def _last_digest(conn: Conn) -> str | None:
    row = conn.execute("SELECT data FROM events WHERE kind = 'policy.evaluated' "
                       "ORDER BY id DESC LIMIT 1").fetchone()
    data = loads(row[0]) if row is not None else None
    return str(data["digest"]) if isinstance(data, dict) and data.get("digest") else None


def decision_from_row(row: Row) -> dict[str, object]:
    out = {name: row[name] for name in DECISION_FIELDS}
    out["final"] = bool(out["final"])
    out["run_id"] = row["run_id"]
    return out


def decisions(db: Backend, *, run_id: str | None = None) -> list[dict[str, object]]:
    """Decision records in insertion order (of one run, if given)."""
    where, params = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
    rows = db.query(f"SELECT * FROM decisions {where} ORDER BY rowid", params)
    return [decision_from_row(r) for r in rows]


def insert_approval(db: Backend, *, who: str, inputs_hash: str, plan_file: str,
                    addresses: Sequence[str]) -> dict[str, object]:
    """Record that ``who`` approved the plan whose inputs hash is ``inputs_hash``."""
    approval = {"id": uuid.uuid4().hex, "time": time.time(), "who": who,
                "inputs_hash": inputs_hash, "plan_file": plan_file,
                "addresses": list(addresses)}
    with db.transaction() as conn:
        conn.execute("INSERT INTO approvals (id, time, who, inputs_hash, plan_file, addresses) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     (approval["id"], approval["time"], who, inputs_hash, plan_file,
                      dumps(list(addresses))))
        insert_event(conn, None, "plan.approved", None,
                     f"{who} approved plan {inputs_hash[:12]}",
                     {"approval_id": approval["id"], "inputs_hash": inputs_hash,
                      "addresses": list(addresses), "who": who})
    return approval


def approval_from_row(row: Row) -> dict[str, object]:
    return {"id": row["id"], "time": row["time"], "who": row["who"],
            "inputs_hash": row["inputs_hash"], "plan_file": row["plan_file"],
            "addresses": loads(row["addresses"]) or []}


def approvals(db: Backend) -> list[dict[str, object]]:
    return [approval_from_row(r) for r in db.query("SELECT * FROM approvals ORDER BY rowid")]


def approved_hashes(db: Backend) -> set[str]:
    return {str(r["inputs_hash"]) for r in db.query("SELECT inputs_hash FROM approvals")}


def export(db: Backend) -> Iterator[dict[str, object]]:
    """Every run, event, decision and approval as ``{"type": ..., **row}``, oldest first."""
    for row in db.query("SELECT * FROM runs ORDER BY started_at, rowid"):
        yield {"type": "run", **run_from_row(row)}
    for row in db.query("SELECT * FROM events ORDER BY id"):
        yield {"type": "event", **event_from_row(row)}
    for row in db.query("SELECT * FROM decisions ORDER BY rowid"):
        yield {"type": "decision", **decision_from_row(row)}
    for row in db.query("SELECT * FROM approvals ORDER BY rowid"):
        yield {"type": "approval", **approval_from_row(row)}
