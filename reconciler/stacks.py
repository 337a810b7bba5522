"""The stacks catalog: reusable service bundles (postgres, redis, ...) kept as data files.

A stack is ``stacks/<name>.yaml`` next to the package (the repo checkout), or in a directory
listed in ``RECONCILER_STACKS_PATH`` (searched first). It declares ``exports`` (environment
variables such as ``DATABASE_URL`` for the programs that use it) and up to two variants in the
services.yaml shape (``services:`` / ``tasks:``): ``local`` (runs host binaries, chosen when
everything in its ``requires`` exists) and ``container`` (images). This module finds, parses
and picks; turning a chosen variant into resources is :mod:`reconciler.model.build_stacks`.

Parameters written ``${port}``, ``${name}``, ``${data_dir}``, ``${bin_dir}``, ``${version}``
and ``${run_as}`` are filled per instance by :func:`substitute`; every other ``${...}`` is the
normal interpolation of the project.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from reconciler.config.raw import RawDocument, as_dict, as_list
from reconciler.config.services_yaml import parse_yaml
from reconciler.errors import Diagnostic, SourceRange, error

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "stacks"
PATH_VAR = "RECONCILER_STACKS_PATH"
VARIANT_VAR = "RECONCILER_STACK_VARIANT"  # force "local" or "container" for every stack
VARIANTS = ("local", "container")
PARAMS = ("port", "name", "data_dir", "bin_dir", "version", "run_as")
_PARAM = re.compile(r"(?<!\$)\$\{(" + "|".join(PARAMS) + r")\}")

__all__ = ["BUILTIN_DIR", "Stack", "Variant", "catalog", "find", "load", "substitute"]


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


@dataclass(frozen=True)
class Choice:
    """The variant picked for one instance and the parameters it runs with."""

    variant: Variant
    bin_dir: str
    run_as: str
    version: str


def search_path(env: Mapping[str, str]) -> list[Path]:
    extra = [Path(p) for p in env.get(PATH_VAR, "").split(os.pathsep) if p]
    return [*extra, BUILTIN_DIR]


def catalog(env: Mapping[str, str]) -> list[str]:
    """Every stack name found on the search path, sorted."""
    names = {p.stem for d in search_path(env) if d.is_dir() for p in d.glob("*.yaml")}
    return sorted(names)


def find(name: str, env: Mapping[str, str]) -> Path | None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        return None
    for directory in search_path(env):
        candidate = directory / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    return None


def load(path: Path) -> tuple[Stack | None, list[Diagnostic]]:
    """Parse one catalog file; diagnostics point into it."""
    return _load_cached(path, path.stat().st_mtime_ns)


@cache
def _load_cached(path: Path, _mtime: int) -> tuple[Stack | None, list[Diagnostic]]:
    doc, problems = parse_yaml(path, path.read_text(encoding="utf-8"), "stack")
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


def _natural(path: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path)]


def locate(requirement: str, version: str | None) -> str | None:
    """A required binary: an absolute glob (newest match) or a command on PATH."""
    pattern = requirement.replace("${version}", version or "*")
    if "/" not in pattern:
        return shutil.which(pattern)
    matches = sorted((m for m in glob.glob(pattern) if os.access(m, os.X_OK)), key=_natural)
    return matches[-1] if matches else None


def usable_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def home_of(user: str) -> Path:
    """The home directory of ``user`` when it exists, else a shared fallback in /var/tmp."""
    try:
        home = Path(pwd.getpwnam(user).pw_dir)
    except KeyError:
        home = Path("/nonexistent")
    return home if home.is_dir() else Path("/var/tmp") / f"reconciler-{user}"


def choose(stack: Stack, version: str | None, env: Mapping[str, str],
           locate_fn: Callable[[str, str | None], str | None] = locate) -> Choice | str:
    """The variant this host can run (local first), or why none can."""
    forced = env.get(VARIANT_VAR, "").strip()
    order = [forced] if forced in VARIANTS else list(VARIANTS)
    reasons: list[str] = []
    for key in order:
        variant = stack.variants.get(key)
        if variant is None:
            reasons.append(f"it has no {key} variant")
            continue
        found = [locate_fn(r, version) for r in variant.requires]
        missing = [r for r, f in zip(variant.requires, found, strict=True) if f is None]
        if missing:
            reasons.append(f"{key}: not found: {', '.join(missing)}")
            continue
        run_as = variant.run_as if os.geteuid() == 0 else ""
        if run_as and not usable_user(run_as):
            reasons.append(f"{key}: user '{run_as}' does not exist")
            continue
        bin_dir = os.path.dirname(found[0]) if found and found[0] else ""
        return Choice(variant, bin_dir, run_as, version or stack.default_version)
    return "; ".join(reasons)


def substitute(value: Any, params: Mapping[str, str]) -> Any:
    """``value`` with every ``${param}`` of :data:`PARAMS` replaced, recursively."""
    if isinstance(value, str):
        return _PARAM.sub(lambda m: params.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [substitute(v, params) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, params) for k, v in value.items()}
    return value
