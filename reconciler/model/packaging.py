"""Packages for ``type: package``: a directory with a manifest, checked and packed reproducibly.

A package directory holds ``manifest.toml`` (or ``manifest.yaml``)::

    name = "collector"          # required
    version = "1.4.2"           # required
    files = ["bin", "etc/collector.conf"]   # optional; default: the whole directory
    setup = "setup.sh"          # optional; run in the new release before it goes live
    keep = 3                    # optional; old releases kept on the host for rollback

:func:`load` reads it (the manifest itself through :mod:`reconciler.model.package_manifest`)
and checks it: every ``files`` entry is relative, has no ``..`` and exists;
symbolic links stay inside the package; no devices or FIFOs; the setup script exists inside
the package, is a regular file and not a link (executable ones run directly, others with
``sh``). Problems come back as :class:`Problem` values (never raised), each naming the file,
line and column in the manifest where it can. :meth:`Package.tarball` packs the files into a
deterministic tar.gz (sorted names, zero times and owners, normalized modes), so the same
content always gives the same bytes and the same :attr:`Package.content_hash`.

Pure apart from reading the package directory; imports nothing from the engine.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reconciler.model.package_manifest import (
    DEFAULT_KEEP,
    MANIFEST_NAMES,
    Locator,
    Manifest,
    Problem,
    find_manifest,
    read_manifest,
)

__all__ = ["DEFAULT_KEEP", "MANIFEST_NAMES", "Entry", "Manifest", "Package", "Problem",
           "find_manifest", "load", "release_name"]
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One archive member: its relative POSIX name and what it is."""

    name: str
    kind: str  # "dir", "file" or "link"
    mode: int = 0o644
    target: str = ""  # link target


@dataclass(frozen=True)
class Package:
    directory: Path
    manifest: Manifest
    entries: tuple[Entry, ...]

    def tar_bytes(self) -> bytes:
        """The uncompressed, deterministic tar archive of every entry."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for entry in self.entries:
                info = tarfile.TarInfo(entry.name)
                info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                info.mode = entry.mode
                if entry.kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif entry.kind == "link":
                    info.type, info.linkname = tarfile.SYMTYPE, entry.target
                    tar.addfile(info)
                else:
                    data = (self.directory / entry.name).read_bytes()
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    @property
    def content_hash(self) -> str:
        """``sha256:<hex>`` of the uncompressed archive: same content, same hash."""
        return "sha256:" + hashlib.sha256(self.tar_bytes()).hexdigest()

    def tarball(self) -> bytes:
        """The archive gzipped without a name or a timestamp (byte-for-byte reproducible)."""
        return gzip.compress(self.tar_bytes(), compresslevel=6, mtime=0)

    def setup_argv(self) -> list[str] | None:
        """How the setup script runs, relative to the release directory; None without one."""
        script = self.manifest.setup
        if script is None:
            return None
        entry = next((e for e in self.entries if e.name == script), None)
        if entry is not None and entry.mode & 0o111:
            return [f"./{script}"]
        return ["sh", f"./{script}"]


def release_name(content_hash: str) -> str:
    """The release directory name for a content hash: its first 16 hex digits."""
    return content_hash.removeprefix("sha256:")[:16]


def load(directory: Path) -> tuple[Package | None, list[Problem]]:
    """Read and check the package in ``directory``; the package is None when it is unusable."""
    if not directory.is_dir():
        return None, [Problem(f"package directory {str(directory)!r} does not exist",
                              "point `package:` at a directory holding a manifest.toml")]
    path = find_manifest(directory)
    if path is None:
        return None, [Problem(f"package directory {str(directory)!r} has no manifest",
                              "add a manifest.toml with at least `name` and `version`")]
    manifest, problems = read_manifest(path)
    if manifest is None:
        return None, problems
    entries, more = _collect(directory, manifest)
    problems += more
    if problems:
        return None, problems
    return Package(directory, manifest, entries), []


# -- manifest ---------------------------------------------------------------------------------



# -- files ------------------------------------------------------------------------------------


def _collect(directory: Path, manifest: Manifest) -> tuple[tuple[Entry, ...], list[Problem]]:
    root = directory.resolve()
    where = Locator(manifest.path, manifest.path.read_text(errors="replace"))
    found: dict[str, Entry] = {}
    problems: list[Problem] = []
    wanted = [*manifest.files, manifest.path.name, *([manifest.setup] if manifest.setup else [])]
    for item in wanted:
        start = directory / item
        if not start.exists() and not start.is_symlink():
            problems.append(Problem(f"file {item!r} listed in {manifest.path.name} does not exist",
                                    "create it or remove it from `files`", where(item)))
            continue
        for path in _walk(start):
            rel = path.relative_to(directory).as_posix()
            if rel == ".":
                continue
            entry, problem = _entry(root, path, rel)
            if problem is not None:
                problems.append(Problem(problem, "keep every file and link inside the package",
                                        where(item)))
            elif entry is not None:
                found.setdefault(rel, entry)
    for rel in list(found):  # parent directories, so every file has its directory entry
        for parent in PurePosixPath(rel).parents:
            if str(parent) != ".":
                found.setdefault(str(parent), Entry(str(parent), "dir", 0o755))
    if manifest.setup:
        problems += _check_setup(directory, manifest, where)
    return tuple(found[k] for k in sorted(found)), problems


def _walk(start: Path) -> list[Path]:
    if start.is_symlink() or not start.is_dir():
        return [start]
    out = [start]
    for current, dirs, files in os.walk(start, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        base = Path(current)
        out += [base / d for d in dirs] + [base / f for f in sorted(files)]
    return out


def _entry(root: Path, path: Path, rel: str) -> tuple[Entry | None, str | None]:
    info = path.lstat()
    if not path.parent.resolve().is_relative_to(root):
        return None, f"{rel!r} is reached through a link that points outside the package"
    if stat.S_ISLNK(info.st_mode):
        target = os.readlink(path)
        resolved = Path(os.path.normpath(path.parent.resolve() / target))
        if os.path.isabs(target) or not resolved.is_relative_to(root):
            return None, f"link {rel!r} -> {target!r} points outside the package"
        return Entry(rel, "link", 0o777, target), None
    if stat.S_ISDIR(info.st_mode):
        return Entry(rel, "dir", 0o755), None
    if not stat.S_ISREG(info.st_mode):
        return None, f"{rel!r} is not a regular file, directory or link"
    return Entry(rel, "file", 0o755 if info.st_mode & 0o111 else 0o644), None


def _check_setup(directory: Path, manifest: Manifest, where: Locator) -> list[Problem]:
    script = manifest.setup or ""
    path = directory / script
    place = where(script)
    if path.is_symlink():
        return [Problem(f"setup script {script!r} is a symbolic link",
                        "make the setup script a regular file inside the package", place)]
    if not path.is_file():
        return [Problem(f"setup script {script!r} does not exist or is not a file",
                        "create it, or remove `setup` from the manifest", place)]
    head = path.read_bytes()[:2]
    if path.stat().st_mode & 0o111 and head != b"#!":
        return [Problem(f"setup script {script!r} is executable but has no #! line",
                        "add a #! line (e.g. #!/bin/sh) or make it non-executable "
                        "to run it with sh", place)]
    return []
