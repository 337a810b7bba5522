"""The actuator registry holds production kinds only; tests add theirs through register()."""

from __future__ import annotations

import pytest
from testing import FakeActuator

from reconciler import actuators
from reconciler.actuators import registry
from reconciler.errors import InternalError, PlanError

PRODUCTION = ["compose", "container", "file", "image", "package", "process", "swarm_service",
              "task", "wireguard"]


def test_production_registry_has_no_test_doubles() -> None:
    assert sorted(registry.KINDS) == PRODUCTION
    assert all(not target.startswith("tests") and "fake" not in target
               for target in registry.KINDS.values())
    assert actuators.supported_kinds() == PRODUCTION


def test_unknown_kind_is_a_plan_error_naming_the_supported_kinds() -> None:
    with pytest.raises(PlanError) as raised:
        actuators.load("fake")
    assert raised.value.hint == "supported kinds: " + ", ".join(PRODUCTION)


def test_fake_kind_fixture_registers_for_one_test(fake_kind: FakeActuator) -> None:
    assert actuators.load("fake") is fake_kind
    assert "fake" in actuators.supported_kinds()


def test_fake_kind_is_gone_after_its_test() -> None:
    assert "fake" not in actuators.supported_kinds()


def test_register_by_target_string_imports_on_first_load() -> None:
    registry.register("fake2", "testing.fake_actuator:FakeActuator")
    try:
        loaded = actuators.load("fake2")
        assert isinstance(loaded, FakeActuator)
        assert actuators.load("fake2") is loaded  # cached
    finally:
        registry.unregister("fake2")
    with pytest.raises(PlanError):
        actuators.load("fake2")


def test_builtin_kinds_cannot_be_shadowed_and_kinds_register_once(
        fake_kind: FakeActuator) -> None:
    with pytest.raises(InternalError, match="built in"):
        registry.register("process", FakeActuator())
    with pytest.raises(InternalError, match="built in"):
        registry.unregister("process")
    with pytest.raises(InternalError, match="already registered"):
        registry.register("fake", FakeActuator())


def test_every_kind_package_declares_its_kind_and_flags() -> None:
    traits = {name: registry.kind(name) for name in PRODUCTION}
    assert all(t is not None and t.name == name for name, t in traits.items())
    flagged = {name: (t.one_shot, t.in_place, t.keeps_stopped)
               for name, t in traits.items() if t is not None}
    assert flagged == {
        "compose": (False, None, False),
        "container": (False, None, True),
        "file": (False, frozenset({"path"}), False),
        "image": (False, None, False),
        "swarm_service": (False, frozenset({"docker_host"}), False),
        "package": (False, None, False),
        "process": (False, None, False),
        "task": (True, None, False),
        "wireguard": (False, frozenset({"interface", "listen_port"}), False),
    }
    assert registry.kind("fake") is None


def test_registered_kinds_carry_their_flags_into_the_diff() -> None:
    from reconciler.engine import diff
    from reconciler.model.changes import Action, Observed, Status
    from reconciler.model.types import Address, DesiredState, Resource

    address = Address("fake2", "job")
    resource = Resource(address, {"command": ["true"]})
    desired = DesiredState("p", {address: resource})
    exited = {address: Observed(address, Status.EXITED, resource.hash())}
    last = {address: dict(resource.spec)}
    assert diff.compute(desired, exited, last)[0].action is Action.CREATE
    registry.register("fake2", FakeActuator(), keeps_stopped=True)
    try:
        assert diff.compute(desired, exited, last)[0].action is Action.REPLACE
    finally:
        registry.unregister("fake2")
