"""The stacks catalog: reusable service bundles (postgres, redis, ...) kept as data files.

A stack is ``stacks/<name>.yaml`` next to the package (the repo checkout), or in a directory
listed in ``RECONCILER_STACKS_PATH`` (searched first). It declares ``exports`` (environment
variables such as ``DATABASE_URL`` for the programs that use it) and up to two variants in the
services.yaml shape (``services:`` / ``tasks:``): ``local`` (runs host binaries, chosen when
everything in its ``requires`` exists) and ``container`` (images).

This module is pure: it parses a catalog file's text (:func:`parse`) and fills parameters
(:func:`substitute`). Finding and reading catalog files and looking for a variant's binaries
on this host is :class:`reconciler.engine.local_host.LocalHost` (the ``BuildHost`` passed to
model.build); choosing a variant and turning it into resources is
:mod:`reconciler.model.build_stacks`.

Parameters written ``${port}``, ``${name}``, ``${data_dir}``, ``${bin_dir}``, ``${version}``
and ``${run_as}`` are filled per instance by :func:`substitute`; every other ``${...}`` is the
normal interpolation of the project.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.config.raw import RawDocument, as_dict, as_list
from reconciler.config.services_yaml import parse_yaml
from reconciler.errors import Diagnostic, SourceRange, error

BUILTIN_DIR = Path(__file__).resolve().parent / "catalog"  # package data; stacks/ links here
PATH_VAR = "RECONCILER_STACKS_PATH"
VARIANT_VAR = "RECONCILER_STACK_VARIANT"  # force "local" or "container" for every stack
VARIANTS = ("local", "container")
PARAMS = ("port", "name", "data_dir", "bin_dir", "version", "run_as")
_PARAM = re.compile(r"(?<!\$)\$\{(" + "|".join(PARAMS) + r")\}")

__all__ = ["BUILTIN_DIR", "PATH_VAR", "VARIANTS", "VARIANT_VAR", "Stack", "Variant", "parse",
           "substitute", "valid_name"]


@dataclass(frozen=True)
class Variant:
    """One way to run a stack: its services.yaml-shaped body and where it came from."""

    name: str  # local | container
    data: Mapping[str, Any]
    requires: tuple[str, ...] = ()
    run_as: str = ""


@dataclass(frozen=True)
class Stack:
    """A parsed catalog file."""

    name: str
    doc: RawDocument
    description: str = ""
    default_version: str = ""
    exports: Mapping[str, str] = field(default_factory=dict)
    variants: Mapping[str, Variant] = field(default_factory=dict)

    def where(self, *path: str | int) -> SourceRange:
        return self.doc.where(*path)


def parse(path: Path, text: str) -> tuple[Stack | None, list[Diagnostic]]:
    """Parse catalog file ``path`` whose content is ``text``; diagnostics point into it."""
    doc, problems = parse_yaml(path, text, "stack")
    if doc is None:
        return None, problems
    data = as_dict(doc.data)
    where = doc.where()
    exports = as_dict(data.get("exports"))
    if not exports:
        problems.append(error(f"stack '{path.stem}' declares no exports", where,
                              hint="add `exports:` with the variables it provides"))
    variants: dict[str, Variant] = {}
    for key in VARIANTS:
        body = data.get(key)
        if body is None:
            continue
        if not isinstance(body, dict) or not as_dict(body.get("services")):
            problems.append(error(f"stack variant '{key}' needs a `services:` mapping",
                                  doc.where(key)))
            continue
        requires = tuple(str(r) for r in as_list(body.get("requires")))
        variants[key] = Variant(key, body, requires, str(body.get("run_as") or ""))
    if not variants:
        problems.append(error(f"stack '{path.stem}' has neither a `local` nor a `container` "
                              "variant", where))
    unknown = set(data) - {"description", "default_version", "exports", *VARIANTS}
    for key in sorted(unknown):
        problems.append(error(f"unknown key '{key}' in stack file", doc.where(key),
                              hint="known keys: description, default_version, exports, "
                                   "local, container"))
    stack = Stack(path.stem, doc, str(data.get("description") or ""),
                  str(data.get("default_version") or ""),
                  {str(k): str(v) for k, v in exports.items()}, variants)
    return stack, problems


def valid_name(name: str) -> bool:
    """Whether ``name`` can be a catalog file name (no paths, no hidden files)."""
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name) is not None


def substitute(value: object, params: Mapping[str, str]) -> Any:
    """``value`` with every ``${param}`` of :data:`PARAMS` replaced, recursively."""
    if isinstance(value, str):
        return _PARAM.sub(lambda m: params.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [substitute(v, params) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, params) for k, v in value.items()}
    return value
