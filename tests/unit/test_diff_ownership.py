"""diff.compute and apply's refusal for objects another state's id marks (issue 28)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine import diff, ownership
from reconciler.engine.plan import build as build_plan
from reconciler.errors import OwnedElsewhere
from reconciler.model.changes import OWNED_BY, Action, Observed, ReasonCode, Status
from reconciler.model.types import Address, DesiredState, Resource

API = Address("process", "api")
EXTRA = Address("process", "extra")
OTHER = {"state_id": "0b5e7c1e-other", "dir": "/src/other"}


def res(address: Address, **spec: object) -> Resource:
    return Resource(address, {"command": ["sleep", "60"], **spec})


def state(*resources: Resource) -> DesiredState:
    return DesiredState("demo", {r.address: r for r in resources})


def foreign(resource: Resource, spec_hash: str | None = None) -> Observed:
    return Observed(resource.address, Status.RUNNING, spec_hash or resource.hash(),
                    facts={"pid": 42, OWNED_BY: OTHER}, adopted=True)


def test_same_spec_owned_elsewhere_is_not_a_silent_noop() -> None:
    r = res(API)
    [change] = diff.compute(state(r), {API: foreign(r)}, {})
    assert change.action is Action.UPDATE
    assert change.reasons[0].code is ReasonCode.OWNED_ELSEWHERE
    assert change.reasons[0].message == \
        "owned by another state (id 0b5e7c1e-other, dir /src/other)"


def test_changed_spec_owned_elsewhere_keeps_its_action_and_says_why_first() -> None:
    r = res(API)
    [change] = diff.compute(state(r), {API: foreign(r, "old-hash")}, {})
    assert change.action is Action.REPLACE
    assert [x.code for x in change.reasons] == [ReasonCode.OWNED_ELSEWHERE,
                                                ReasonCode.SPEC_CHANGED]


def test_adopt_replaces_so_the_new_object_carries_our_marks() -> None:
    r = res(API)
    [change] = diff.compute(state(r), {API: foreign(r)}, {}, adopt=True)
    assert change.action is Action.REPLACE
    assert change.reasons[0].code is ReasonCode.REQUESTED
    assert "taken over from another state (id 0b5e7c1e-other" in change.reasons[0].message


def test_another_states_objects_are_never_our_orphans() -> None:
    r = res(API)
    extra = foreign(res(EXTRA))
    changes = diff.compute(state(r), {EXTRA: extra}, {})
    assert [c.address for c in changes] == [API]
    destroyed = diff.compute(state(r), {API: foreign(r)}, {}, destroy=True)
    assert [c.action for c in destroyed] == [Action.NOOP]


def test_unmarked_objects_are_adopted_as_before() -> None:
    r = res(API)
    seen = Observed(API, Status.RUNNING, r.hash(), facts={"pid": 42}, adopted=True)
    [change] = diff.compute(state(r), {API: seen}, {})
    assert change.action is Action.NOOP and change.reasons == ()


def test_refuse_names_both_states_and_the_adopt_hint() -> None:
    r = res(API)
    desired = state(r)
    plan = build_plan(diff.compute(desired, {API: foreign(r)}, {}), desired)
    with pytest.raises(OwnedElsewhere) as raised:
        ownership.refuse(plan, "mine-123", Path("/src/mine"))
    text = raised.value.render()
    assert "process.api is owned by another state (id 0b5e7c1e-other, dir /src/other)" in text
    assert "this state: id mine-123, dir /src/mine" in text and "--adopt" in text
    adopted = build_plan(diff.compute(desired, {API: foreign(r)}, {}, adopt=True), desired)
    ownership.refuse(adopted, "mine-123", Path("/src/mine"))  # nothing to refuse
    assert ownership.takeovers({API: foreign(r)}, desired) == [(API, OTHER)]


def test_an_owner_without_state_id_is_named_by_its_directory() -> None:
    """A Compose project made from another checkout: Compose carries no state id."""
    r = res(API)
    seen = Observed(API, Status.RUNNING, r.hash(),
                    facts={OWNED_BY: {"state_id": "", "dir": "/src/one"}}, adopted=True)
    [change] = diff.compute(state(r), {API: seen}, {})
    assert change.reasons[0].message == "owned by another state (made from /src/one)"
