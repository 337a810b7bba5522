"""The one way host facts and file contents enter model.build: the :class:`BuildHost` boundary.

model.build does no I/O. What it needs to know about the machine it plans for -- whether a
stack's server binaries exist here (``locate``), whether a user exists and where its home is,
the effective uid, the stack catalog, the checked, content-hashed package directories of
``type: package`` services, and the Compose files of the project (which exist, their parsed
documents, the env files they interpolate from, and their symlink-resolved paths) -- comes
through one ``BuildHost`` that the caller passes in.

- :class:`reconciler.engine.local_host.LocalHost` is the real one: the single impure adapter, kept
  outside this pure layer (the pipeline, ``validate`` and the pre-commit hook pass it);
- :class:`FakeHost` here is an in-memory one for unit tests (binaries, users, stacks,
  packages and the text of Compose / env files given up front);
- :class:`NoHost`, the default of ``build(host=None)``, fails loudly with an InternalError
  the moment a project needs a host fact, so a caller that forgot its host cannot silently
  get "unknown stack" or "no binaries" answers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reconciler.config import compose_file
from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, InternalError, SourceRange, error

if TYPE_CHECKING:
    from reconciler.model.packaging import Problem
    from reconciler.model.stacks import Stack

__all__ = ["BuildHost", "ComposeHost", "FakeHost", "NoHost", "PackageFacts"]


@dataclass(frozen=True, slots=True)
class PackageFacts:
    """What model.build needs of a checked package directory (see
    :mod:`reconciler.model.packaging`)."""

    name: str
    version: str
    manifest_file: str  # the manifest's file name, for messages
    content_hash: str  # ``sha256:<hex>`` of the deterministic archive


class ComposeHost(Protocol):
    """The Compose files model.build reads: the part of :class:`BuildHost` that
    :mod:`reconciler.model.compose` needs (:class:`~reconciler.config.compose_file.ComposeDisk`
    answers it from disk)."""

    def resolve(self, path: Path) -> Path:
        """``path`` absolute, symlinks resolved: Compose files are told apart, and handed to
        ``docker compose -f``, by these paths (so a file reached through a link is the same)."""

    def compose_files(self, directory: Path) -> list[Path]:
        """The Compose files Compose itself would read in ``directory`` (base + override)."""

    def load_compose(self, paths: Sequence[Path]) -> tuple[list[RawDocument], list[Diagnostic]]:
        """The parsed documents of ``paths`` in order; an unreadable file is a diagnostic."""

    def read_env(self, path: Path) -> dict[str, str]:
        """The variables of an env file (``.env``, ``env_file:``); empty when it is missing."""


class BuildHost(ComposeHost, Protocol):
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
                             "reconciler.engine.local_host.LocalHost (or a FakeHost in tests)")

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

    def resolve(self, path: Path) -> Path:
        raise self._missing(f"to resolve {path}")

    def compose_files(self, directory: Path) -> list[Path]:
        raise self._missing(f"the Compose files in {directory}")

    def load_compose(self, paths: Sequence[Path]) -> tuple[list[RawDocument], list[Diagnostic]]:
        raise self._missing("to read " + ", ".join(map(str, paths)))

    def read_env(self, path: Path) -> dict[str, str]:
        raise self._missing(f"to read {path}")


@dataclass
class FakeHost:
    """An in-memory host for unit tests: only what it is given exists.

    ``binaries`` maps a requirement as written in a stack (``redis-server``, or a glob such as
    ``/usr/lib/postgresql/${version}/bin/postgres``) to the path it resolves to; ``stacks``
    are parsed catalog entries (see :func:`reconciler.model.stacks.parse`), found as
    ``<stack_dir>/<name>.yaml``; ``packages`` maps a package directory to its facts or to
    its problems; ``files`` maps an absolute path to the text of a Compose or env file there
    (no symlinks: ``resolve`` only makes a path absolute and normal). The ``.yaml`` / ``.yml``
    ones are parsed here, up front, as the stacks are (ruamel globs its plug-in directory
    whenever it builds a parser, which a no-I/O guard around the build would catch).
    """

    binaries: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, Path] = field(default_factory=dict)  # user -> home directory
    uid: int = 1000
    stacks: Mapping[str, Stack] = field(default_factory=dict)
    packages: Mapping[Path, PackageFacts | list[Problem]] = field(default_factory=dict)
    files: Mapping[Path, str] = field(default_factory=dict)
    stack_dir: Path = Path("/fake/stacks")
    asked: list[str] = field(default_factory=list)  # every question, in order
    _parsed: dict[Path, tuple[RawDocument | None, list[Diagnostic]]] = field(
        init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for path, text in self.files.items():
            if path.suffix in (".yaml", ".yml"):
                self._parsed[self.resolve(path)] = compose_file.parse_compose_text(text, path)

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

    def resolve(self, path: Path) -> Path:
        return Path(os.path.abspath(path))

    def _text(self, path: Path) -> str | None:
        return self.files.get(self.resolve(path))

    def compose_files(self, directory: Path) -> list[Path]:
        self.asked.append(f"compose files {directory}")
        found = (next((directory / n for n in group if self._text(directory / n) is not None),
                      None)
                 for group in (compose_file.BASE_FILES, compose_file.OVERRIDE_FILES))
        return [path for path in found if path is not None]

    def load_compose(self, paths: Sequence[Path]) -> tuple[list[RawDocument], list[Diagnostic]]:
        docs: list[RawDocument] = []
        diagnostics: list[Diagnostic] = []
        for path in paths:
            self.asked.append(f"read {path}")
            parsed = self._parsed.get(self.resolve(path))
            if parsed is None:
                diagnostics.append(error("cannot read compose file: No such file or directory",
                                         SourceRange(str(path))))
                continue
            doc, found = parsed
            diagnostics += found
            docs += [doc] if doc is not None else []
        return docs, diagnostics

    def read_env(self, path: Path) -> dict[str, str]:
        self.asked.append(f"read {path}")
        text = self._text(path)
        return compose_file.parse_env_text(text) if text is not None else {}


def _problems(found: Iterable[Problem] | None, directory: Path) -> Iterable[Problem]:
    if found is not None:
        return found
    from reconciler.model.packaging import Problem

    return [Problem(f"package directory {str(directory)!r} does not exist",
                    "point `package:` at a directory holding a manifest.toml")]
