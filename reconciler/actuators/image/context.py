"""The build context of an image: ``.dockerignore`` matching and the context's content hash.

:class:`Ignore` reads ``.dockerignore`` the way the Docker engine's pattern matcher does:
one pattern a line (``#`` comments and blank lines skipped, a leading ``/`` dropped, paths
cleaned), ``*`` and ``?`` within one path segment, ``**`` across any number of segments,
``[...]`` classes, ``\\`` escapes; a pattern that matches a directory matches everything in
it; ``!`` re-includes; the last pattern that matches a path decides. :func:`context_hash`
hashes what a build would send: every file not ignored (its relative path, whether it is
executable, its bytes; a symlink by its target), plus the Dockerfile, which is always sent
even when ignored. The hash is ``sha256:<hex>``; reading is I/O, so only the build host
(``engine/local_host.py``) and tests call it, never the pure planning layers.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Ignore", "context_digest", "context_hash", "pattern_regex"]


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression of one cleaned ``.dockerignore`` pattern (no ``!``)."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):  # "**/": zero or more whole segments
                out.append("(?:.*/)?")
                i += 1
            else:
                out.append(".*")
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1:end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    exception: bool


class Ignore:
    """The patterns of one ``.dockerignore``; :meth:`ignored` answers for a relative path."""

    def __init__(self, text: str) -> None:
        self._rules: list[_Rule] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exception = line.startswith("!")
            line = line[1:].strip() if exception else line
            line = posixpath.normpath(line.lstrip("/")) if line.lstrip("/") else "."
            if line == ".":
                line = "**"  # "/" or "." means the whole context
            self._rules.append(_Rule(pattern_regex(line), exception))

    @property
    def has_exceptions(self) -> bool:
        return any(rule.exception for rule in self._rules)

    def ignored(self, path: str) -> bool:
        """Whether ``path`` (relative, ``/``-separated) is left out of the context."""
        parts = path.split("/")
        candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        verdict = False
        for rule in self._rules:
            if any(rule.regex.match(candidate) for candidate in candidates):
                verdict = not rule.exception
        return verdict


def _read_ignore(context: Path) -> Ignore:
    try:
        return Ignore((context / ".dockerignore").read_text(errors="replace"))
    except FileNotFoundError:
        return Ignore("")


def _entry(digest: hashlib._Hash, path: Path, rel: str) -> None:
    if path.is_symlink():
        digest.update(f"L\0{rel}\0{os.readlink(path)}\0".encode())
        return
    executable = "x" if os.access(path, os.X_OK) else "-"
    digest.update(f"F\0{rel}\0{executable}\0".encode())
    with path.open("rb") as handle:
        digest.update(hashlib.file_digest(handle, "sha256").digest())


def context_hash(context: Path, dockerfile: Path) -> str:
    """``sha256:<hex>`` over the files of ``context`` a build would send, and the Dockerfile.
    FileNotFoundError when the context directory or the Dockerfile is missing."""
    if not context.is_dir():
        raise FileNotFoundError(str(context))
    ignore = _read_ignore(context)
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(context):
        base = Path(root)
        rel_dir = base.relative_to(context).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirs.sort()
        if not ignore.has_exceptions:  # nothing below an ignored directory can come back
            dirs[:] = [d for d in dirs if not ignore.ignored(prefix + d)
                       or (base / d).is_symlink()]
        for name in sorted([*files, *(d for d in dirs if (base / d).is_symlink())]):
            rel = prefix + name
            if not ignore.ignored(rel):
                _entry(digest, base / name, rel)
    digest.update(b"D\0")
    with dockerfile.open("rb") as handle:
        digest.update(hashlib.file_digest(handle, "sha256").digest())
    return "sha256:" + digest.hexdigest()


def context_digest(context: str, dockerfile: str) -> str | None:
    """The build host's answer to ``fact("image", "context_digest", context, dockerfile)``:
    :func:`context_hash`, or None when the context or the Dockerfile is missing."""
    try:
        return context_hash(Path(context), Path(dockerfile))
    except FileNotFoundError:
        return None
