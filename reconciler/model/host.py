"""The one way host facts and file contents enter model.build: the :class:`BuildHost` boundary.

model.build does no I/O. What it needs to know about the machine it plans for -- whether a
stack's server binaries exist here (``locate``), whether a user exists and where its home is,
the effective uid, the stack catalog, and the checked, content-hashed package directories of
``type: package`` services -- comes through one ``BuildHost`` that the caller passes in.

- :class:`reconciler.local_host.LocalHost` is the real one: the single impure adapter, kept
  outside this pure layer (the pipeline, ``validate`` and the pre-commit hook pass it);
- :class:`FakeHost` here is an in-memory one for unit tests (binaries, users, stacks and
  packages given up front);
- :class:`NoHost`, the default of ``build(host=None)``, fails loudly with an InternalError
  the moment a project needs a host fact, so a caller that forgot its host cannot silently
  get "unknown stack" or "no binaries" answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reconciler.errors import Diagnostic, InternalError

if TYPE_CHECKING:
    from reconciler.packaging import Problem
    from reconciler.stacks import Stack

__all__ = ["BuildHost", "FakeHost", "NoHost", "PackageFacts"]


@dataclass(frozen=True, slots=True)
class PackageFacts:
    """What model.build needs of a checked package directory (see :mod:`reconciler.packaging`)."""

    name: str
    version: str
    manifest_file: str  # the manifest's file name, for messages
    content_hash: str  # ``sha256:<hex>`` of the deterministic archive


class BuildHost(Protocol):
    """Host facts and config reads that model.build asks for; nothing else reaches it."""

    def locate(self, requirement: str, version: str | None) -> str | None:
        """The path of a required binary (a command or an absolute glob), or None."""

    def user_exists(self, name: str) -> bool: ...

    def home_of(self, user: str) -> Path:
        """The home directory of ``user``, or the shared fallback when it has none."""

    def euid(self) -> int: ...

    def find_stack(self, name: str) -> Path | None:
        """The catalog file of stack ``name`` on the search path, or None."""

    def stack_catalog(self) -> list[str]:
        """Every stack name on the search path, sorted."""

    def load_stack(self, path: Path) -> tuple[Stack | None, list[Diagnostic]]: ...

    def load_package(self, directory: Path) -> tuple[PackageFacts | None, list[Problem]]:
        """The package in ``directory`` checked and hashed; None with problems if unusable."""


class NoHost:
    """The host of a build that was given none: every question is a programming error."""

    def _missing(self, what: str) -> InternalError:
        return InternalError(f"model.build was given no BuildHost but needs {what}; pass "
                             "reconciler.local_host.LocalHost (or a FakeHost in tests)")

    def locate(self, requirement: str, version: str | None) -> str | None:
        raise self._missing(f"to locate {requirement!r}")

    def user_exists(self, name: str) -> bool:
        raise self._missing(f"to know whether user {name!r} exists")

    def home_of(self, user: str) -> Path:
        raise self._missing(f"the home of {user!r}")

    def euid(self) -> int:
        raise self._missing("the effective uid")

    def find_stack(self, name: str) -> Path | None:
        raise self._missing(f"the catalog file of stack {name!r}")

    def stack_catalog(self) -> list[str]:
        raise self._missing("the stack catalog")

    def load_stack(self, path: Path) -> tuple[Stack | None, list[Diagnostic]]:
        raise self._missing(f"to read {path}")

    def load_package(self, directory: Path) -> tuple[PackageFacts | None, list[Problem]]:
        raise self._missing(f"to read the package in {directory}")


@dataclass
class FakeHost:
    """An in-memory host for unit tests: only what it is given exists.

    ``binaries`` maps a requirement as written in a stack (``redis-server``, or a glob such as
    ``/usr/lib/postgresql/${version}/bin/postgres``) to the path it resolves to; ``stacks``
    are parsed catalog entries (see :func:`reconciler.stacks.parse`), found as
    ``<stack_dir>/<name>.yaml``; ``packages`` maps a package directory to its facts or to
    its problems.
    """

    binaries: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, Path] = field(default_factory=dict)  # user -> home directory
    uid: int = 1000
    stacks: Mapping[str, Stack] = field(default_factory=dict)
    packages: Mapping[Path, PackageFacts | list[Problem]] = field(default_factory=dict)
    stack_dir: Path = Path("/fake/stacks")
    asked: list[str] = field(default_factory=list)  # every question, in order

    def locate(self, requirement: str, version: str | None) -> str | None:
        self.asked.append(f"locate {requirement}")
        return self.binaries.get(requirement)

    def user_exists(self, name: str) -> bool:
        self.asked.append(f"user {name}")
        return name in self.users

    def home_of(self, user: str) -> Path:
        self.asked.append(f"home {user}")
        return self.users.get(user, Path("/var/tmp") / f"reconciler-{user}")

    def euid(self) -> int:
        return self.uid

    def find_stack(self, name: str) -> Path | None:
        self.asked.append(f"find {name}")
        return self.stack_dir / f"{name}.yaml" if name in self.stacks else None

    def stack_catalog(self) -> list[str]:
        return sorted(self.stacks)

    def load_stack(self, path: Path) -> tuple[Stack | None, list[Diagnostic]]:
        stack = self.stacks.get(path.stem)
        return (stack, []) if stack is not None else (None, [])

    def load_package(self, directory: Path) -> tuple[PackageFacts | None, list[Problem]]:
        self.asked.append(f"package {directory}")
        found = self.packages.get(directory)
        if isinstance(found, PackageFacts):
            return found, []
        return None, list(_problems(found, directory))


def _problems(found: Iterable[Problem] | None, directory: Path) -> Iterable[Problem]:
    if found is not None:
        return found
    from reconciler.packaging import Problem

    return [Problem(f"package directory {str(directory)!r} does not exist",
                    "point `package:` at a directory holding a manifest.toml")]
