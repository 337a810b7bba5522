"""The one way host facts and file contents enter model.build: the :class:`BuildHost` boundary.

model.build does no I/O. What it needs to know about the machine it plans for -- whether a
stack's server binaries exist here (``locate``), whether a user exists and where its home is,
the effective uid, the stack catalog, the facts a kind's builder asks for (``fact``: a
``type: package`` directory checked and content-hashed, an image's context), SOPS-encrypted
files (key names; values decrypted in memory when the build may), and the Compose files of the
project (which exist, their parsed documents, the env files they interpolate from, and their
symlink-resolved paths) -- comes through one ``BuildHost`` that the caller passes in.

- :class:`reconciler.engine.local_host.LocalHost` is the real one: the single impure adapter, kept
  outside this pure layer (the pipeline, ``validate`` and the pre-commit hook pass it);
- ``tests/testing/fake_host.py`` holds ``FakeHost``, an in-memory one for unit tests
  (binaries, users, stacks, kinds' facts and the text of Compose / env files given up front);
- :class:`NoHost`, the default of ``build(host=None)``, fails loudly with an InternalError
  the moment a project needs a host fact, so a caller that forgot its host cannot silently
  get "unknown stack" or "no binaries" answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, InternalError
from reconciler.model.sops_refs import SopsHost

if TYPE_CHECKING:
    from reconciler.model.stacks import Stack

__all__ = ["BuildHost", "ComposeHost", "NoHost"]


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

    def file_exists(self, path: Path) -> bool:
        """Whether ``path`` is an existing file (a service's ``env_file``)."""


class BuildHost(ComposeHost, SopsHost, Protocol):
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

    def fact(self, kind: str, name: str, *args: str) -> object:
        """What kind ``kind``'s builder asks of the machine (``fact(name, *args)``): the real
        host answers with the function ``name`` of the kind's ``Kind.facts`` module (an image's
        context hash: ``image/context.py``), so no kind needs a method here."""


class NoHost:
    """The host of a build that was given none: every question is a programming error."""

    def _missing(self, what: str) -> InternalError:
        return InternalError(f"model.build was given no BuildHost but needs {what}; pass "
                             "reconciler.engine.local_host.LocalHost (or tests.testing FakeHost)")

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

    def sops_keys(self, path: Path) -> frozenset[str]:
        raise self._missing(f"the keys of encrypted {path}")

    def sops_value(self, path: Path, key_path: str) -> str:
        raise self._missing(f"a value of encrypted {path}")

    def fact(self, kind: str, name: str, *args: str) -> object:
        raise self._missing(f"the fact {name!r} of kind {kind!r}")

    def resolve(self, path: Path) -> Path:
        raise self._missing(f"to resolve {path}")

    def compose_files(self, directory: Path) -> list[Path]:
        raise self._missing(f"the Compose files in {directory}")

    def load_compose(self, paths: Sequence[Path]) -> tuple[list[RawDocument], list[Diagnostic]]:
        raise self._missing("to read " + ", ".join(map(str, paths)))

    def read_env(self, path: Path) -> dict[str, str]:
        raise self._missing(f"to read {path}")

    def file_exists(self, path: Path) -> bool:
        raise self._missing(f"whether {path} exists")
