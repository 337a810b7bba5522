"""The kind registry: every resource kind, its traits and the actuator that manages it.

:data:`PACKAGES` lists the kind packages under ``reconciler/actuators/``; each defines a
light :class:`~reconciler.actuators.base.Kind` as ``KIND`` (name, ``"module:Class"`` of its
actuator, diff flags, the ``"module:Class"`` of its services.yaml schema models). Adding a
kind is one package plus one line here, then ``scripts/gen_schemas.py`` (the services schema
and the per-type key rules are generated from the registry: ``actuators/schema.py``).
:func:`load` imports an actuator module only when a plan holds a resource of its kind, so
``validate`` and a plan of local processes never import the docker SDK or fabric.

Only production kinds are listed. Test doubles (``tests/testing``) enter through
:func:`register` -- given a ``"module:Class"`` target or a ready actuator instance -- and leave
through :func:`unregister` (``tests/conftest.py`` wraps both in the ``fake_kind`` fixture).
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING

from reconciler.actuators.base import Adoption, Kind
from reconciler.errors import InternalError, PlanError
from reconciler.model import kind_hooks

if TYPE_CHECKING:
    from collections.abc import Mapping

    from reconciler.actuators.base import Actuator, AdoptHook

__all__ = ["KINDS", "PACKAGES", "Kind", "adopt_hook", "importable", "kind", "kinds", "load",
           "register", "supported_kinds", "unregister"]

PACKAGES: tuple[str, ...] = (
    "reconciler.actuators.process",
    "reconciler.actuators.task",
    "reconciler.actuators.container",
    "reconciler.actuators.compose",
    "reconciler.actuators.package",
    "reconciler.actuators.wireguard",
    "reconciler.actuators.file",
    "reconciler.actuators.swarm_service",
    "reconciler.actuators.image",
    "reconciler.actuators.attached",
)


def _builtin() -> dict[str, Kind]:
    found: dict[str, Kind] = {}
    for package in PACKAGES:
        declared = importlib.import_module(package).KIND
        if not isinstance(declared, Kind) or declared.name in found:
            raise InternalError(f"{package}.KIND must be a Kind with a name of its own")
        found[declared.name] = declared
    return found


_BUILTIN: Mapping[str, Kind] = MappingProxyType(_builtin())
# kind -> "module:Class" of the built-in kinds
KINDS: Mapping[str, str] = MappingProxyType({n: k.actuator for n, k in _BUILTIN.items()})
_added: dict[str, Kind] = {}  # kinds registered at run time (tests, plug-ins)
_instances: dict[str, Actuator] = {}  # their ready actuators, when given as instances
_cache: dict[str, Actuator] = {}


def register(name: str, target: Actuator | str, *, one_shot: bool = False,
             in_place: frozenset[str] | None = None, keeps_stopped: bool = False,
             schemas: tuple[str, ...] = (), builder: str | None = None,
             types: tuple[str, ...] = (), provides: str | None = None,
             consumes: str | None = None, facts: str | None = None,
             adopt: Adoption | None = None) -> Kind:
    """Let ``target`` (an actuator, or ``"module:Class"`` to import on first use) manage kind
    ``name`` with the given diff flags and model hooks (see :class:`Kind`; the hooks go to
    :func:`reconciler.model.kind_hooks.add`, since the model cannot read this registry). A
    built-in kind cannot be shadowed, and a kind is registered once: both are InternalErrors,
    since only code (never a config file) registers."""
    if name in _BUILTIN:
        raise InternalError(f"kind {name!r} is built in and cannot be re-registered")
    if name in _added:
        raise InternalError(f"kind {name!r} is already registered")
    declared = Kind(name, target if isinstance(target, str) else "", one_shot=one_shot,
                    in_place=in_place, keeps_stopped=keeps_stopped, schemas=schemas,
                    builder=builder, types=types, provides=provides, consumes=consumes,
                    facts=facts, adopt=adopt)
    kind_hooks.add(name, types, builder=builder, provides=provides, consumes=consumes)
    _added[name] = declared
    if not isinstance(target, str):
        _instances[name] = target
    _cache.pop(name, None)
    return declared


def unregister(name: str) -> None:
    """Forget a kind added by :func:`register` (built-in kinds stay)."""
    if name in _BUILTIN:
        raise InternalError(f"kind {name!r} is built in and cannot be unregistered")
    _added.pop(name, None)
    kind_hooks.remove(name)
    _instances.pop(name, None)
    _cache.pop(name, None)


def kind(name: str) -> Kind | None:
    """The traits of kind ``name``; None for a kind nothing manages."""
    return _BUILTIN.get(name) or _added.get(name)


def kinds() -> list[Kind]:
    """Every kind: the built-in ones in :data:`PACKAGES` order, then those registered."""
    return [*_BUILTIN.values(), *_added.values()]


def load(name: str) -> Actuator:
    """The actuator instance for kind ``name``; PlanError when no actuator manages it yet."""
    if name in _cache:
        return _cache[name]
    declared = kind(name)
    if declared is None:
        raise PlanError(f"no actuator manages resources of kind {name!r} yet",
                        hint=f"supported kinds: {', '.join(supported_kinds())}")
    actuator = _instances.get(name) or _instantiate(declared.actuator)
    _cache[name] = actuator
    return actuator


def _instantiate(target: str) -> Actuator:
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    actuator: Actuator = getattr(module, class_name)()
    return actuator


def importable() -> dict[str, Adoption]:
    """Every kind ``reconciler import`` (and ``adopt:``) can take over, by name."""
    return {k.name: k.adopt for k in kinds() if k.adopt is not None}


def adopt_hook(name: str) -> AdoptHook | None:
    """The adopt hook of kind ``name`` (imported on first use); None when not importable."""
    declared = kind(name)
    if declared is None or declared.adopt is None:
        return None
    module_name, _, function = declared.adopt.hook.partition(":")
    hook: AdoptHook = getattr(importlib.import_module(module_name), function)
    return hook


def supported_kinds() -> list[str]:
    """Every kind an actuator manages: the built-in ones and those registered at run time."""
    return sorted(set(_BUILTIN) | set(_added))
