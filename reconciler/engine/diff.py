"""Stage 5, diff: desired state x observed world x last-applied specs -> one Change per address.

Pure: no I/O. :func:`compute` decides the action for every address found in the desired state,
the observed world or the state database (last-applied specs), in config source order, no-ops
included, and says why (:class:`~reconciler.model.changes.ActionReason`). Field diffs are computed
with deepdiff between the last-applied spec and the desired spec, path-addressed like
``env.LOG_LEVEL``, ``command[2]`` or ``ports[0].host``. Secret values are never in specs (only
their keyed-hash markers), so a changed secret shows as a changed marker; renderers mask it.

Rules, in the order they are tried for an address:

* first of all, an object another state's id marks (``facts["owned_by"]``) is never taken
  silently: without ``adopt`` its change gets the OWNED_ELSEWHERE reason first (a no-op turns
  into an UPDATE) and apply refuses the plan; with ``adopt`` it is REPLACEd (the new object
  carries our marks). One we never recorded is not an orphan of ours.

* the object's host is unreachable (``facts["unreachable"]``): UPDATE with reason
  ``host unreachable``; apply fails that node with the transport's message.
* ``destroy=True``: everything that exists (observed or recorded) is deleted (REQUESTED).
* not desired, but observed or recorded: DELETE (ORPHAN).
* a one-shot kind (``task``): NOOP when it completed for this spec hash, else CREATE (TASK_PENDING).
* not observed or MISSING: CREATE (NEW, or DRIFT when it was applied before).
* EXITED / FAILED / COMPLETED (not a task): CREATE (DRIFT) -- REPLACE for a kind whose
  stopped object still exists (``keeps_stopped``: ``container``).
* address in ``replace``: REPLACE (REQUESTED).
* running with another spec hash: REPLACE (SPEC_CHANGED); same hash but hash-excluded fields
  changed: UPDATE (SPEC_CHANGED); otherwise NOOP.

An ``observed_only`` kind (``attached``) is always a NOOP with the reason "attached, not
managed", on destroy too: it is never created, replaced or deleted.

Kinds with ``in_place`` identity fields (WireGuard) are converged live by
their actuator, so an existing object (observed, running or drifted) is not replaced: a spec
change is an UPDATE (SPEC_CHANGED, field diffs with ``forces_replace`` False) and drift is an
UPDATE with the drift reason. They are still REPLACEd on ``--replace`` (key rotation), when the
running spec is unknown, or when one of the kind's identity fields listed there changes
(interface name, listen port); that field's diff then ``forces_replace``.

The flags come from each kind's :class:`~reconciler.actuators.base.Kind` in the registry
(:func:`reconciler.actuators.registry.kind`); a kind nothing registers has none of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from reconciler.actuators.base import Kind
from reconciler.actuators.registry import kind as kind_of
from reconciler.model.changes import (
    OWNED_BY,
    Action,
    ActionReason,
    Change,
    FieldDiff,
    Observed,
    ReasonCode,
    Status,
)
from reconciler.model.types import (
    HASH_EXCLUDED_FIELDS,
    Address,
    DesiredState,
    Resource,
    spec_hash,
)

_PLAIN = Kind("", "")  # the traits of a kind nothing registers: none

NEW = ActionReason(ReasonCode.NEW, "new")
SPEC_CHANGED = ActionReason(ReasonCode.SPEC_CHANGED, "spec changed")
MISSING = ActionReason(ReasonCode.DRIFT, "drift: not running (missing)")
ORPHAN = ActionReason(ReasonCode.ORPHAN, "orphan: no longer in the configuration")
DESTROY = ActionReason(ReasonCode.REQUESTED, "destroy")
REPLACE_REQUESTED = ActionReason(ReasonCode.REQUESTED, "replacement requested")
TASK_PENDING = ActionReason(ReasonCode.TASK_PENDING, "task not yet run for this spec")
UNKNOWN_SPEC = ActionReason(ReasonCode.DRIFT, "drift: the running object's spec is unknown")
ATTACHED = ActionReason(ReasonCode.ATTACHED, "attached, not managed")


def compute(desired: DesiredState, observed: Mapping[Address, Observed],
            last_applied: Mapping[Address, Mapping[str, object]], *,
            replace: Collection[Address] = (), destroy: bool = False,
            adopt: bool = False) -> list[Change]:
    """One Change per address in desired, observed and last-applied, in source order.
    ``adopt`` (``--adopt``) takes over objects another state's id marks."""
    wanted = set(replace)
    changes: list[Change] = []
    last_order = -1
    for resource in desired.ordered():
        seen = observed.get(resource.address)
        last = last_applied.get(resource.address)
        if seen is not None and seen.facts.get("unreachable"):
            changes.append(Change(resource.address, Action.UPDATE, _plain(last),
                                  dict(resource.spec), reasons=(_unreachable(seen),),
                                  source=resource.source, order=resource.order))
        elif (kind_of(resource.kind) or _PLAIN).observed_only:
            changes.append(Change(resource.address, Action.NOOP, None, None,
                                  reasons=(ATTACHED,), source=resource.source,
                                  order=resource.order))
        elif destroy:
            change = _destroy_change(resource.address, seen, last)
            if last is None and owned_elsewhere(seen) is not None:
                change = Change(resource.address, Action.NOOP, None, None)
            changes.append(_claimed(_with_source(change, resource), seen, adopt))
        else:
            change = _desired_change(resource, seen, last, resource.address in wanted)
            changes.append(_claimed(change, seen, adopt))
        last_order = max(last_order, resource.order)
    orphans = sorted((set(observed) | set(last_applied)) - set(desired.resources))
    orphans = [a for a in orphans  # another state's objects we never had are not ours
               if a in last_applied or owned_elsewhere(observed.get(a)) is None]
    for index, address in enumerate(orphans, start=last_order + 1):
        seen, last = observed.get(address), last_applied.get(address)
        reason = DESTROY if destroy else ORPHAN
        changes.append(_claimed(Change(address, Action.DELETE, _plain(last), None,
                                       reasons=(reason,), order=index), seen, adopt))
    return changes


def owned_elsewhere(seen: Observed | None) -> Mapping[str, str] | None:
    """The other state (``{"state_id", "dir"}``) whose id marks the object, if any."""
    owner = seen.facts.get(OWNED_BY) if seen is not None else None
    return owner if isinstance(owner, Mapping) else None


def _claimed(change: Change, seen: Observed | None, adopt: bool) -> Change:
    """``change`` with the OWNED_ELSEWHERE reason first when another state owns the object
    and ``--adopt`` was not given (a no-op becomes an update: apply must refuse it); with
    ``--adopt`` a REPLACE (a DELETE stays one), so the new object carries our marks."""
    owner = owned_elsewhere(seen)
    if owner is None or (change.action is Action.NOOP and change.after is None):
        return change
    action: Action
    ident = owner.get("state_id")  # none for a Compose project: Compose carries no id
    who = f"(id {ident}, dir {owner.get('dir') or '?'})" if ident \
        else f"(made from {owner.get('dir') or '?'})"
    if adopt:  # the running object keeps the other state's marks: only a new one is ours
        reason = ActionReason(ReasonCode.REQUESTED, f"taken over from another state {who}")
        action = change.action if change.action is Action.DELETE else Action.REPLACE
    else:
        reason = ActionReason(ReasonCode.OWNED_ELSEWHERE, f"owned by another state {who}")
        action = Action.UPDATE if change.is_noop else change.action
    return Change(change.address, action, change.before, change.after, change.field_diffs,
                  (reason, *change.reasons), change.source, change.order)


def _unreachable(seen: Observed) -> ActionReason:
    return ActionReason(ReasonCode.DRIFT, f"host unreachable: {seen.facts['unreachable']}")


def _exists(seen: Observed | None, last: Mapping[str, object] | None) -> bool:
    return last is not None or (seen is not None and seen.status is not Status.MISSING)


def _destroy_change(address: Address, seen: Observed | None,
                    last: Mapping[str, object] | None) -> Change:
    if _exists(seen, last):
        return Change(address, Action.DELETE, _plain(last), None, reasons=(DESTROY,))
    return Change(address, Action.NOOP, None, None)


def _with_source(change: Change, resource: Resource) -> Change:
    return Change(change.address, change.action, change.before, change.after,
                  change.field_diffs, change.reasons, resource.source, resource.order)


def _desired_change(resource: Resource, seen: Observed | None, last: Mapping[str, object] | None,
                    requested: bool) -> Change:
    action, reasons = _decide(resource, seen, last, requested)
    after = dict(resource.spec)
    before = _plain(last)
    diffs: tuple[FieldDiff, ...] = ()
    if before is not None and action is not Action.NOOP and before != after:
        diffs = field_diffs(before, after, kind=resource.kind)
    return Change(resource.address, action, before, after, diffs, reasons, resource.source,
                  resource.order)


def _decide(resource: Resource, seen: Observed | None, last: Mapping[str, object] | None,
            requested: bool) -> tuple[Action, tuple[ActionReason, ...]]:
    desired_hash = resource.hash()
    traits = kind_of(resource.kind) or _PLAIN
    if traits.one_shot:
        if requested:
            return Action.CREATE, (ActionReason(ReasonCode.REQUESTED, "re-run requested"),)
        if seen is not None and seen.status is Status.COMPLETED \
                and seen.spec_hash == desired_hash:
            return Action.NOOP, ()
        if seen is not None and seen.status is Status.FAILED and seen.spec_hash == desired_hash:
            code = "?" if seen.exit_code is None else str(seen.exit_code)
            return Action.CREATE, (ActionReason(ReasonCode.TASK_PENDING,
                                                f"task failed: exit {code}"),)
        return Action.CREATE, (TASK_PENDING,)
    identity = traits.in_place
    if identity is not None and last is not None and _identity_changed(resource, last, identity):
        return Action.REPLACE, (SPEC_CHANGED,)  # the old object lives under its old identity
    if seen is None or seen.status is Status.MISSING:
        return Action.CREATE, ((MISSING,) if last is not None else (NEW,))
    if identity is not None:
        return _decide_in_place(resource, seen, last, requested)
    if not seen.running:
        drift = ActionReason(ReasonCode.DRIFT,
                             f"drift: {seen.reason or seen.status.value}")
        return (Action.REPLACE if traits.keeps_stopped else Action.CREATE), (drift,)
    running_hash = seen.spec_hash or (spec_hash(last) if last is not None else None)
    if requested:
        return Action.REPLACE, (REPLACE_REQUESTED,)
    if running_hash is None:
        return Action.REPLACE, (UNKNOWN_SPEC,)
    if running_hash != desired_hash:
        return Action.REPLACE, (SPEC_CHANGED,)
    if last is not None and _excluded(last) != _excluded(resource.spec):
        return Action.UPDATE, (SPEC_CHANGED,)
    return Action.NOOP, ()


def _decide_in_place(resource: Resource, seen: Observed, last: Mapping[str, object] | None,
                     requested: bool) -> tuple[Action, tuple[ActionReason, ...]]:
    """An existing object of an in-place kind: UPDATE for spec changes and drift alike."""
    if requested:
        return Action.REPLACE, (REPLACE_REQUESTED,)
    running_hash = seen.spec_hash or (spec_hash(last) if last is not None else None)
    if running_hash is None:
        return Action.REPLACE, (UNKNOWN_SPEC,)
    reasons: list[ActionReason] = []
    if running_hash != resource.hash() or \
            (last is not None and _excluded(last) != _excluded(resource.spec)):
        if last is None:  # which fields changed is unknown: nothing says a live update is enough
            return Action.REPLACE, (SPEC_CHANGED,)
        reasons.append(SPEC_CHANGED)
    if not seen.running:
        reasons.append(ActionReason(ReasonCode.DRIFT, f"drift: {seen.reason or seen.status.value}"))
    return (Action.UPDATE, tuple(reasons)) if reasons else (Action.NOOP, ())


def _identity_changed(resource: Resource, last: Mapping[str, object],
                      identity: frozenset[str]) -> bool:
    return any(last.get(key) != resource.spec.get(key) for key in identity)


def _excluded(spec: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in spec.items() if k in HASH_EXCLUDED_FIELDS}


def _plain(spec: Mapping[str, object] | None) -> dict[str, object] | None:
    return None if spec is None else dict(spec)


def field_diffs(before: Mapping[str, object], after: Mapping[str, object], *,
                kind: str = "") -> tuple[FieldDiff, ...]:
    """Path-addressed differences between two specs, sorted by path. A difference
    ``forces_replace`` unless its top-level field is hash-excluded or, for a kind with
    ``in_place`` identity fields, is not one of them."""
    traits = kind_of(kind)
    identity = traits.in_place if traits is not None else None
    from deepdiff import DeepDiff
    from deepdiff.helper import notpresent

    tree = DeepDiff(dict(before), dict(after), view="tree")
    found: list[tuple[tuple[tuple[int, object], ...], FieldDiff]] = []
    for levels in tree.values():
        for level in levels:
            parts: list[object] = level.path(output_format="list")
            old = None if level.t1 is notpresent else level.t1
            new = None if level.t2 is notpresent else level.t2
            top = str(parts[0]) if parts else ""
            forces = top not in HASH_EXCLUDED_FIELDS if identity is None else top in identity
            diff = FieldDiff(render_path(parts), old, new, forces_replace=forces)
            found.append((tuple((0, p) if isinstance(p, int) else (1, str(p)) for p in parts),
                          diff))
    found.sort(key=lambda item: item[0])
    return tuple(diff for _, diff in found)


def render_path(parts: list[object]) -> str:
    """``['env', 'LOG_LEVEL']`` -> ``env.LOG_LEVEL``; ``['ports', 0, 'host']`` ->
    ``ports[0].host``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
