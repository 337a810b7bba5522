"""FakeHost: an in-memory :class:`~reconciler.model.host.BuildHost` for unit tests of model.build.

Only what it is given exists (binaries, users, stacks, kinds' facts, and the text of Compose and env
files); every question it is asked is recorded in ``asked``, in order.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.config import compose_file
from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, SourceRange, error
from reconciler.model.sops_refs import SopsProblem
from reconciler.model.stacks import Stack

__all__ = ["FakeHost"]


@dataclass
class FakeHost:
    """An in-memory host for unit tests: only what it is given exists.

    ``binaries`` maps a requirement as written in a stack (``redis-server``, or a glob such as
    ``/usr/lib/postgresql/${version}/bin/postgres``) to the path it resolves to; ``stacks``
    are parsed catalog entries (see :func:`reconciler.model.stacks.parse`), found as
    ``<stack_dir>/<name>.yaml``; ``files`` maps an absolute path to the text of a Compose
    or env file there (no symlinks: ``resolve`` only makes a path absolute and normal);
    ``sops`` maps an encrypted file to its clear key paths and values; ``facts`` answers
    ``fact(kind, name, *args)`` (a kind builder's questions: a package directory's answer
    is ``reconciler.actuators.package.facts.answer(...)``). The ``.yaml`` / ``.yml``
    ones are parsed here, up front, as the stacks are (ruamel globs its plug-in directory
    whenever it builds a parser, which a no-I/O guard around the build would catch).
    """

    binaries: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, Path] = field(default_factory=dict)  # user -> home directory
    uid: int = 1000
    stacks: Mapping[str, Stack] = field(default_factory=dict)
    files: Mapping[Path, str] = field(default_factory=dict)
    stack_dir: Path = Path("/fake/stacks")
    sops: Mapping[Path, Mapping[str, str]] = field(default_factory=dict)  # file -> key -> clear
    facts: Mapping[tuple[str, ...], object] = field(default_factory=dict)  # (kind, name, *args)
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

    def fact(self, kind: str, name: str, *args: str) -> object:
        """``facts[(kind, name, *args)]``; without one, ``sha256:<args joined>`` (a digest
        that changes with the arguments, like a content hash of a path would)."""
        key = (kind, name, *args)
        self.asked.append("fact " + " ".join(key))
        return self.facts.get(key, "sha256:" + ",".join(args))

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

    def file_exists(self, path: Path) -> bool:
        self.asked.append(f"exists {path}")
        return self._text(path) is not None

    def sops_keys(self, path: Path) -> frozenset[str]:
        self.asked.append(f"sops keys {path}")
        if path not in self.sops:
            raise SopsProblem(f"encrypted file {path} does not exist")
        return frozenset(self.sops[path])

    def sops_value(self, path: Path, key_path: str) -> str:
        self.asked.append(f"sops value {path}#{key_path}")
        if key_path not in self.sops_keys(path):
            raise SopsProblem(f"key path '{key_path}' not found in {path}")
        return self.sops[path][key_path]
