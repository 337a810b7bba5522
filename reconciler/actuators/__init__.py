"""WHAT is managed: one actuator module per resource kind, behind actuators.base.Actuator.

:func:`load` imports an actuator module only when a plan holds a resource of its kind, so
``validate`` and a plan of local processes never import the docker SDK or fabric.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from reconciler.errors import PlanError

if TYPE_CHECKING:
    from reconciler.actuators.base import Actuator

# kind -> "module:Class"
KINDS: dict[str, str] = {
    "process": "reconciler.actuators.process.actuator:ProcessActuator",
    "task": "reconciler.actuators.task.actuator:TaskActuator",
    "container": "reconciler.actuators.container.actuator:ContainerActuator",
    "compose": "reconciler.actuators.compose.actuator:ComposeActuator",
    "package": "reconciler.actuators.package.actuator:PackageActuator",
    "fake": "reconciler.actuators.fake:FakeActuator",
    "wireguard": "reconciler.actuators.wireguard.actuator:WireguardActuator",
}

_cache: dict[str, Actuator] = {}


def load(kind: str) -> Actuator:
    """The actuator instance for ``kind``; PlanError when no actuator manages it yet."""
    if kind in _cache:
        return _cache[kind]
    target = KINDS.get(kind)
    if target is None:
        raise PlanError(f"no actuator manages resources of kind {kind!r} yet",
                        hint=f"supported kinds: {', '.join(sorted(KINDS))}")
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    actuator: Actuator = getattr(module, class_name)()
    _cache[kind] = actuator
    return actuator


def supported_kinds() -> list[str]:
    return sorted(KINDS)
