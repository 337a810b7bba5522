"""WHAT is managed: one package per resource kind, behind actuators.base.Actuator.

The registry of kinds lives in :mod:`reconciler.actuators.registry`; ``load`` and
``supported_kinds`` are re-exported here for the engine (``actuators.load(kind)``).
"""

from __future__ import annotations

from reconciler.actuators.registry import (
    KINDS,
    Kind,
    kind,
    load,
    register,
    supported_kinds,
    unregister,
)

__all__ = ["KINDS", "Kind", "kind", "load", "register", "supported_kinds", "unregister"]
