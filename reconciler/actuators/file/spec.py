"""FileSpec: the typed view of a ``file`` resource's spec.

:func:`build` (``Kind.builder``) writes the spec ``{path, content, source, mode, owner}`` of a
services.yaml ``type: file`` entry as a JSON-able mapping (hashed and stored as is);
:meth:`FileSpec.of` is the parse boundary the file actuator reads it through;
:class:`FileFields` is the stored shape itself. Exactly one of ``content`` (inline text) and
``source`` (an absolute path of a file on this machine, read when the file is written and
observed) is set.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict

from reconciler.errors import TerminalError

__all__ = ["DEFAULT_MODE", "FileFields", "FileSpec", "build", "digest"]

DEFAULT_MODE = "0644"


class FileFields(TypedDict):
    """What ``Resource.spec`` holds for a ``file`` resource (JSON-able, hashed as is)."""

    path: str  # absolute
    content: str | None
    source: str | None  # an absolute path on this machine
    mode: str  # four octal digits
    owner: str | None
    env: NotRequired[dict[str, str]]  # only when the entry sets env (unused by the kind)


def _absolute(directory: str, path: str) -> str:
    return os.path.normpath(os.path.join(directory, os.path.expanduser(path)))


def build(target: Mapping[str, object], directory: str,
          fact: Callable[..., object]) -> tuple[FileFields, list[tuple[str, str, str]]]:
    """The spec of a ``type: file`` entry whose file lives in ``directory`` (relative
    ``path`` and ``source`` are resolved there; a ``path`` on another ``host`` must be
    absolute), and its problems as ``(key, message, hint)``. Asks the host nothing."""
    problems: list[tuple[str, str, str]] = []
    host = str(target.get("host") or "")
    path = str(target.get("path") or "")
    if path and host in ("", "local"):
        path = _absolute(directory, path)
    elif path and not path.startswith("/"):
        problems.append(("path", f"path {path!r} is not absolute (on host {host})",
                         "use an absolute path"))
    if target.get("content") is not None and target.get("source") is not None:
        problems.append(("source", "both `content` and `source` are set", "keep one of them"))
    source = target.get("source")
    mode = str(target.get("mode") or DEFAULT_MODE)
    return ({"path": path,
             "content": None if target.get("content") is None else str(target["content"]),
             "source": _absolute(directory, str(source)) if source else None,
             "mode": mode.rjust(4, "0"),
             "owner": str(target["owner"]) if target.get("owner") else None}, problems)


def digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``: how file contents are compared."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class FileSpec:
    path: str
    content: str | None = None
    source: str | None = None
    mode: str = DEFAULT_MODE
    owner: str | None = None

    @classmethod
    def of(cls, spec: Mapping[str, object]) -> FileSpec:
        """Read a built spec (missing keys give the defaults)."""
        content = spec.get("content")
        return cls(path=str(spec.get("path") or ""),
                   content=None if content is None else str(content),
                   source=str(spec["source"]) if spec.get("source") else None,
                   mode=str(spec.get("mode") or DEFAULT_MODE),
                   owner=str(spec["owner"]) if spec.get("owner") else None)

    @property
    def mode_bits(self) -> int:
        return int(self.mode, 8)

    def data(self) -> bytes:
        """The bytes the file must hold; TerminalError when the source cannot be read."""
        if self.source is None:
            return (self.content or "").encode()
        try:
            return Path(self.source).read_bytes()
        except OSError as exc:
            raise TerminalError(f"cannot read the source {self.source} of file {self.path}: "
                                f"{exc.strerror or exc}",
                                hint="check the `source:` path in services.yaml") from None

    def wanted(self) -> str | None:
        """The digest of :meth:`data`; None when the source cannot be read now."""
        try:
            return digest(self.data())
        except TerminalError:
            return None
