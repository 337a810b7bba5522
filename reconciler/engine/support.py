"""Small pure helpers between the pipeline's stages: target addresses from the command line,
the observed hashes a plan's ``inputs_hash`` covers, and the offline (``--refresh=false``)
observation built from recorded state instead of the world, and the small line files the
pipeline keeps in the state directory (``schema-passed``: fingerprints of config documents
that passed the JSON Schemas, see :func:`reconciler.validate.checker.check`), and the
removal of services held stopped (:func:`without_held`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.config import RawDocument
from reconciler.errors import Diagnostic, PlanError
from reconciler.model.changes import Action, ActionReason, Change, Observed, ReasonCode, Status
from reconciler.model.types import Address, DesiredState, spec_hash
from reconciler.state import ResourceRecord, StateStore
from reconciler.state.db import ensure_dir
from reconciler.validate.checker import check, fingerprints

SCHEMA_PASSED = "schema-passed"


def kinds_needed(changes: Sequence[Change], desired: DesiredState) -> set[str]:
    """The actuator kinds an apply loads: every changed and every desired resource's."""
    return {c.address.kind for c in changes} | {r.kind for r in desired.resources.values()}


def parse_target(text: str) -> Address:
    """``process.api`` or just ``api`` (any kind with that name is matched by plan.build)."""
    try:
        return Address.parse(text)
    except ValueError:
        if "." in text or not text:
            raise PlanError(f"not a resource address: {text!r}",
                            hint="use kind.name[@host], e.g. process.api") from None
        return Address("process", text)


def observed_hashes(observed: Mapping[Address, Observed]) -> dict[str, str]:
    return {str(a): f"{o.status.value}:{o.spec_hash or ''}" for a, o in observed.items()}


def offline_observed(records: Mapping[Address, Any]) -> dict[Address, Observed]:
    """``--refresh=false``: believe the state database instead of looking at the world."""
    result: dict[Address, Observed] = {}
    for address, record in records.items():
        status = Status(record.status) if record.status in Status._value2member_map_ \
            else Status.RUNNING
        result[address] = Observed(address, status, record.spec_hash, facts=record.facts)
    return result


def schema_check(docs: Sequence[RawDocument], state_dir: Path, key: bytes) -> list[Diagnostic]:
    """validate.check with the fingerprints of files that passed before, kept in
    ``state_dir/schema-passed`` (only those of the current files)."""
    path = state_dir / SCHEMA_PASSED
    known = read_lines(path)
    passed = set(known)
    found = check(docs, passed=passed, key=key)
    if passed != known:
        write_lines(path, passed & fingerprints(docs, key))
    return found


def read_lines(path: Path) -> set[str]:
    """The non-empty lines of ``path`` (none when it is missing or unreadable)."""
    try:
        return {line for line in path.read_text().splitlines() if line}
    except (OSError, UnicodeDecodeError):
        return set()


def write_lines(path: Path, lines: Collection[str]) -> None:
    """Replace ``path`` atomically with ``lines`` (sorted); a cache: failures are ignored."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        ensure_dir(path.parent)  # the state dir (0700) may not exist yet on a first plan
        try:
            temp.write_text("".join(f"{line}\n" for line in sorted(lines)))
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)


def without_held(desired: DesiredState, holds: Mapping[str, object]) -> DesiredState:
    """``desired`` without the services held stopped (``reconciler stop``): a running held
    service is planned as a delete, a stopped one stays stopped, until ``reconciler start``."""
    if not holds:
        return desired
    kept = {a: r for a, r in desired.resources.items() if str(a) not in holds}
    return replace(desired, resources=kept)


HELD = ActionReason(ReasonCode.REQUESTED, "stopped: held by `reconciler stop` until `start`")


def explain_held(changes: Sequence[Change], holds: Mapping[str, object]) -> list[Change]:
    """The deletes of held services say why (not "no longer in the configuration")."""
    return [replace(c, reasons=(HELD,)) if str(c.address) in holds and
            c.action is Action.DELETE else c for c in changes]


def upgrade_paths(store: StateStore, desired: DesiredState) -> dict[Address, ResourceRecord]:
    """The records, those written before paths were recorded relative to the project first
    rewritten (their spec hash is that of the absolute form of the desired spec): an upgrade
    replaces nothing (reconciler/model/paths.py)."""
    records = store.resources()
    for address, record in list(records.items()):
        resource = desired.resources.get(address)
        if resource is None or not resource.root or record.spec_hash != spec_hash(resource.spec):
            continue
        new = resource.hash()
        if new != record.spec_hash:
            store.record(address, spec=resource.portable_spec(), spec_hash=new,
                         depends_on=record.depends_on, facts=record.facts,
                         status=record.status, run_id=None)
            records[address] = dataclasses.replace(record, spec=resource.portable_spec(),
                                                   spec_hash=new)
    return records
