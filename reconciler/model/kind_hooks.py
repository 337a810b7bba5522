"""The kinds' model hooks: a kind's builder, and what its resources provide and consume.

A kind names its hooks as ``"module:function"`` in its package's ``spec`` module
(``Kind.builder``, ``Kind.provides``, ``Kind.consumes``; see
:class:`reconciler.actuators.base.Kind`). The model sits below ``actuators`` and may import
only their ``spec`` modules, so it cannot read the registry: the built-in hooks come from the
generated :mod:`reconciler.model.kind_table` (``scripts/gen_schemas.py``), and a kind
registered at run time adds its own through :func:`add` (``registry.register`` calls it).
A hook is imported on first use, and only from a module named ``spec``.

- :func:`builder` -- ``type:`` -> ``(kind, build)``, with
  ``build(entry, directory, fact) -> (spec, [(key, message, hint)])``; ``entry`` is the
  services.yaml entry (the target's keys and the service's, with the resolved ``type``);
  ``fact(name, *args)`` asks the ``BuildHost`` on the kind's behalf (``BuildHost.fact``);
- :func:`link` -- every resource whose spec names what another provides (``consumes``:
  ``[(namespace, name, field)]``; ``provides``: ``[(namespace, name, digest)]``) depends on
  it and carries the digest as ``field`` in its spec, so it is replaced when that changes.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from reconciler.errors import InternalError
from reconciler.model import kind_table
from reconciler.model.types import Address, Condition, Dependency, Resource

__all__ = ["Build", "Fact", "add", "builder", "link", "remove"]

Fact = Callable[..., object]
Problems = list[tuple[str | tuple[str, int, int], str, str]]  # (key | (file, line, col), ...)
Build = Callable[[Mapping[str, object], str, Fact], tuple[Mapping[str, object], Problems]]

_builders: dict[str, tuple[str, str]] = {}  # type -> (kind, target), run-time kinds
_provides: dict[str, str] = {}
_consumes: dict[str, str] = {}


def add(kind: str, types: Sequence[str], *, builder: str | None = None,
        provides: str | None = None, consumes: str | None = None) -> None:
    """The hooks of kind ``kind`` registered at run time (built-in ones are generated)."""
    for target in (builder, provides, consumes):
        if target is not None:
            _check(target)
    taken = [t for t in types or (kind,) if t in _builders or t in kind_table.BUILDERS]
    if builder is not None and taken:
        raise InternalError(f"services.yaml type {taken[0]!r} is built by another kind")
    if builder is not None:
        _builders.update({t: (kind, builder) for t in types or (kind,)})
    if provides is not None:
        _provides[kind] = provides
    if consumes is not None:
        _consumes[kind] = consumes


def remove(kind: str) -> None:
    """Forget the run-time hooks of ``kind``."""
    for name in [t for t, (k, _) in _builders.items() if k == kind]:
        del _builders[name]
    _provides.pop(kind, None)
    _consumes.pop(kind, None)


def _check(target: str) -> str:
    module, _, function = target.partition(":")
    if module.rsplit(".", 1)[-1] != "spec" or not function:
        raise InternalError(f"kind hook {target!r} must be 'module:function' in a spec module")
    return target


def _hook(target: str) -> Callable[..., Any]:
    module, _, function = _check(target).partition(":")
    found = getattr(importlib.import_module(module), function, None)
    if not callable(found):
        raise InternalError(f"kind hook {target!r} is not a function")
    return cast(Callable[..., Any], found)


def builder(type_: str) -> tuple[str, Build] | None:
    """The kind and the builder of services.yaml ``type: <type_>``; None when no kind's
    builder builds it (the model's own branches do)."""
    found = _builders.get(type_) or kind_table.BUILDERS.get(type_)
    if found is None:
        return None
    kind, target = found
    return kind, cast(Build, _hook(target))


def _provided(resources: Sequence[Resource]) -> dict[tuple[str, str], tuple[Address, str]]:
    offered: dict[tuple[str, str], tuple[Address, str]] = {}
    for resource in resources:
        target = _provides.get(resource.kind) or kind_table.PROVIDES.get(resource.kind)
        if target is not None:
            for namespace, name, digest in _hook(target)(resource.spec):
                offered.setdefault((namespace, name), (resource.address, digest))
    return offered


def link(resources: Mapping[Address, Resource]) -> dict[Address, Resource]:
    """``resources`` with every consumer linked to its provider (see the module doc)."""
    out = dict(resources)
    offered = _provided(list(resources.values()))
    if not offered:
        return out
    for address, resource in resources.items():
        target = _consumes.get(resource.kind) or kind_table.CONSUMES.get(resource.kind)
        if target is None:
            continue
        spec, deps = dict(resource.spec), list(resource.depends_on)
        for namespace, name, field in _hook(target)(resource.spec):
            found = offered.get((namespace, name))
            if found is None or found[0] == address:
                continue
            spec[field] = found[1]
            if all(dep.target != found[0] for dep in deps):
                deps.append(Dependency(found[0], Condition.HEALTHY, resource.source))
        if spec != resource.spec:
            out[address] = dataclasses.replace(resource, spec=spec, depends_on=tuple(deps))
    return out
