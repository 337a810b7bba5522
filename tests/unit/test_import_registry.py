"""Import is a kind capability (issue 29): ``Kind.adopt`` in the registry names the hook.

The importable kinds, the ID each takes and the hook that adopts them come from the registry
alone, so a kind registered at run time (a plug-in) is importable with no engine change, and
a kind without ``adopt`` is refused with a hint that lists the importable kinds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testing import FakeActuator

from reconciler.actuators import registry
from reconciler.actuators.base import ActuatorContext, Adopted, Adoption
from reconciler.engine import importing
from reconciler.model.types import Resource


def adopt_fake(resource: Resource, ident: str, ctx: ActuatorContext) -> Adopted:
    """The test plug-in's AdoptHook."""
    return Adopted(dict(resource.spec), {"token": ident}, f"fake {ident}")


@pytest.fixture
def plugin() -> Iterator[str]:
    registry.register("plugged", FakeActuator(),
                      adopt=Adoption(f"{__name__}:adopt_fake", "token", "a token"))
    try:
        yield "plugged"
    finally:
        registry.unregister("plugged")


def test_importable_kinds_come_from_the_registry() -> None:
    assert set(registry.importable()) == {"process", "container", "wireguard", "compose",
                                          "file"}
    for name in registry.importable():
        assert callable(registry.adopt_hook(name)), name
    assert registry.adopt_hook("task") is None and registry.adopt_hook("nope") is None
    hint = importing.importable_hint()
    assert "process (a pid" in hint and "file (the file's path" in hint


def test_a_registered_kind_is_importable_through_its_hook(plugin: str) -> None:
    assert registry.importable()[plugin].key == "token"
    hook = registry.adopt_hook(plugin)
    assert hook is adopt_fake
    assert f"{plugin} (a token)" in importing.importable_hint()
