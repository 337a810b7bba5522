"""The actuator registry: which actuator manages each resource kind.

:data:`KINDS` maps a production kind to ``"module:Class"``; :func:`load` imports an actuator
module only when a plan holds a resource of its kind, so ``validate`` and a plan of local
processes never import the docker SDK or fabric.

Only production kinds live here. Test doubles (``tests/testing``) enter through
:func:`register` -- given a ``"module:Class"`` target or a ready actuator instance -- and leave
through :func:`unregister` (``tests/conftest.py`` wraps both in the ``fake_kind`` fixture).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from reconciler.errors import InternalError, PlanError

if TYPE_CHECKING:
    from reconciler.actuators.base import Actuator

__all__ = ["KINDS", "load", "register", "supported_kinds", "unregister"]

# kind -> "module:Class"
KINDS: dict[str, str] = {
    "process": "reconciler.actuators.process.actuator:ProcessActuator",
    "task": "reconciler.actuators.task.actuator:TaskActuator",
    "container": "reconciler.actuators.container.actuator:ContainerActuator",
    "compose": "reconciler.actuators.compose.actuator:ComposeActuator",
    "package": "reconciler.actuators.package.actuator:PackageActuator",
    "wireguard": "reconciler.actuators.wireguard.actuator:WireguardActuator",
}

_BUILTIN: frozenset[str] = frozenset(KINDS)
_added: dict[str, Actuator | str] = {}  # kinds registered at run time (tests, plug-ins)
_cache: dict[str, Actuator] = {}


def register(kind: str, target: Actuator | str) -> None:
    """Let ``target`` (an actuator, or ``"module:Class"`` to import on first use) manage
    ``kind``. A production kind cannot be shadowed, and a kind is registered once: both are
    InternalErrors, since only code (never a config file) registers."""
    if kind in _BUILTIN:
        raise InternalError(f"kind {kind!r} is built in and cannot be re-registered")
    if kind in _added:
        raise InternalError(f"kind {kind!r} is already registered")
    _added[kind] = target
    _cache.pop(kind, None)


def unregister(kind: str) -> None:
    """Forget a kind added by :func:`register` (built-in kinds stay)."""
    if kind in _BUILTIN:
        raise InternalError(f"kind {kind!r} is built in and cannot be unregistered")
    _added.pop(kind, None)
    _cache.pop(kind, None)


def load(kind: str) -> Actuator:
    """The actuator instance for ``kind``; PlanError when no actuator manages it yet."""
    if kind in _cache:
        return _cache[kind]
    target: Actuator | str | None = _added.get(kind, KINDS.get(kind))
    if target is None:
        raise PlanError(f"no actuator manages resources of kind {kind!r} yet",
                        hint=f"supported kinds: {', '.join(supported_kinds())}")
    actuator = _instantiate(target) if isinstance(target, str) else target
    _cache[kind] = actuator
    return actuator


def _instantiate(target: str) -> Actuator:
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    actuator: Actuator = getattr(module, class_name)()
    return actuator


def supported_kinds() -> list[str]:
    """Every kind an actuator manages: the built-in ones and those registered at run time."""
    return sorted(set(KINDS) | set(_added))
