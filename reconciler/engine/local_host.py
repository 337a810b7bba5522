"""LocalHost: the one impure adapter behind :class:`reconciler.model.host.BuildHost`.

model.build does no I/O; every fact about this machine that it needs, and every file it would
read, is asked of the ``BuildHost`` its caller passes. This module answers for the machine the
engine runs on: server binaries on PATH or absolute globs (``shutil.which`` / ``glob`` +
``os.access``), users and their homes (``pwd``), the effective uid, the stack catalog
(``stacks/*.yaml`` beside the package and the directories of ``RECONCILER_STACKS_PATH``,
parsed once per file modification time), the facts kinds' builders ask for (a
``type: package`` directory checked and hashed: ``package/facts.py``), SOPS-encrypted files
(:mod:`reconciler.engine.sops`; decrypted only when ``decrypt``) and Compose files (found,
parsed, their env files read and their paths resolved by
:class:`~reconciler.config.compose_file.ComposeDisk`, which it inherits). It sits outside
the pure layers: the pipeline, ``reconciler validate`` and the pre-commit hook construct it
with the build's environment.
"""

from __future__ import annotations

import glob
import importlib
import os
import pwd
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from reconciler.config.compose_file import ComposeDisk
from reconciler.engine.sops import SopsFiles
from reconciler.errors import Diagnostic, InternalError
from reconciler.model import stacks

__all__ = ["LocalHost", "locate", "search_path"]


def search_path(env: Mapping[str, str]) -> list[Path]:
    """The catalog directories: ``RECONCILER_STACKS_PATH`` first, then the built-in one."""
    extra = [Path(p) for p in env.get(stacks.PATH_VAR, "").split(os.pathsep) if p]
    return [*extra, stacks.BUILTIN_DIR]


def _natural(path: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path)]


def locate(requirement: str, version: str | None) -> str | None:
    """A required binary: an absolute glob (newest match) or a command on PATH."""
    pattern = requirement.replace("${version}", version or "*")
    if "/" not in pattern:
        import shutil  # here: shutil (lzma, bz2) is not on a plan's path

        return shutil.which(pattern)
    matches = sorted((m for m in glob.glob(pattern) if os.access(m, os.X_OK)), key=_natural)
    return matches[-1] if matches else None


@cache
def _load_cached(path: Path, _mtime: int) -> tuple[stacks.Stack | None, list[Diagnostic]]:
    return stacks.parse(path, path.read_text(encoding="utf-8"))


class LocalHost(ComposeDisk):
    """This machine, as model.build sees it; ``env`` is the build's environment."""

    def __init__(self, env: Mapping[str, str], *, decrypt: bool = False) -> None:
        self.env = env
        self.sops = SopsFiles(env, decrypt=decrypt)

    def sops_keys(self, path: Path) -> frozenset[str]:
        return self.sops.sops_keys(path)

    def sops_value(self, path: Path, key_path: str) -> str:
        return self.sops.sops_value(path, key_path)

    def locate(self, requirement: str, version: str | None) -> str | None:
        return locate(requirement, version)

    def user_exists(self, name: str) -> bool:
        try:
            pwd.getpwnam(name)
        except KeyError:
            return False
        return True

    def home_of(self, user: str) -> Path:
        """The home directory of ``user`` when it exists, else a shared one in /var/tmp."""
        try:
            home = Path(pwd.getpwnam(user).pw_dir)
        except KeyError:
            home = Path("/nonexistent")
        return home if home.is_dir() else Path("/var/tmp") / f"reconciler-{user}"

    def euid(self) -> int:
        return os.geteuid()

    def find_stack(self, name: str) -> Path | None:
        if not stacks.valid_name(name):
            return None
        for directory in search_path(self.env):
            candidate = directory / f"{name}.yaml"
            if candidate.is_file():
                return candidate
        return None

    def stack_catalog(self) -> list[str]:
        dirs = [d for d in search_path(self.env) if d.is_dir()]
        return sorted({p.stem for d in dirs for p in d.glob("*.yaml")})

    def load_stack(self, path: Path) -> tuple[stacks.Stack | None, list[Diagnostic]]:
        """Parse one catalog file (cached until it changes); diagnostics point into it."""
        stack, problems = _load_cached(path, path.stat().st_mtime_ns)
        return stack, list(problems)

    def fact(self, kind: str, name: str, *args: str) -> object:
        """Call function ``name`` of kind ``kind``'s ``Kind.facts`` module with ``args``."""
        from reconciler.actuators import registry

        declared = registry.kind(kind)
        module = importlib.import_module(declared.facts) if declared and declared.facts else None
        answer = getattr(module, name, None) if module is not None else None
        if not callable(answer) or name.startswith("_"):
            raise InternalError(f"kind {kind!r} answers no fact {name!r}")
        return answer(*args)
