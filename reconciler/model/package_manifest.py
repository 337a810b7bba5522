"""The manifest of a ``type: package`` directory: finding it, reading it, checking its keys.

:func:`read_manifest` parses ``manifest.toml`` (or ``manifest.yaml``), checks ``name``,
``version``, ``files``, ``setup`` and ``keep`` and that every path is relative without ``..``,
and returns :class:`Problem` values (never raises) that name the manifest's file, line and
column through :class:`Locator`. :mod:`reconciler.model.packaging` checks the files the
manifest lists and packs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reconciler.errors import SourceRange

__all__ = ["DEFAULT_KEEP", "MANIFEST_NAMES", "Locator", "Manifest", "Problem", "find_manifest",
           "read_manifest"]

MANIFEST_NAMES = ("manifest.toml", "manifest.yaml", "manifest.yml")
DEFAULT_KEEP = 3
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__"})


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a package, where it is, and how to fix it."""

    summary: str
    hint: str = ""
    source: SourceRange | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    name: str
    version: str
    files: tuple[str, ...]
    setup: str | None
    keep: int
    path: Path



def find_manifest(directory: Path) -> Path | None:
    return next((directory / n for n in MANIFEST_NAMES if (directory / n).is_file()), None)



def read_manifest(path: Path) -> tuple[Manifest | None, list[Problem]]:
    """The checked manifest at ``path``, or None and every problem found in it."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = _parse(path, text)
    except ValueError as exc:
        return None, [Problem(f"cannot parse {path.name}: {exc}", "fix the manifest syntax",
                              SourceRange(str(path), 1, 1))]
    if not isinstance(data, dict):
        return None, [Problem(f"{path.name} must be a mapping", "", SourceRange(str(path), 1, 1))]
    where = Locator(path, text)
    problems: list[Problem] = []
    for key in ("name", "version"):
        if not isinstance(data.get(key), str | int | float) or str(data.get(key)) == "":
            problems.append(Problem(f"{path.name} needs `{key}`",
                                    f'add `{key} = "..."` to the manifest', where("", 1)))
    raw_files = data.get("files", ["."])
    if not isinstance(raw_files, list) or not all(isinstance(f, str) for f in raw_files):
        problems.append(Problem("`files` must be a list of relative paths", "",
                                where("files")))
        raw_files = []
    setup = data.get("setup")
    if setup is not None and not isinstance(setup, str):
        problems.append(Problem("`setup` must be a relative path to a script", "",
                                where("setup")))
        setup = None
    keep = data.get("keep", DEFAULT_KEEP)
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        problems.append(Problem("`keep` must be a whole number >= 0",
                                "the number of old releases kept for rollback", where("keep")))
        keep = DEFAULT_KEEP
    for item in [*raw_files, *([setup] if setup else [])]:
        problem = bad_path(item)
        if problem:
            problems.append(Problem(f"{problem}: {item!r}",
                                    "list paths relative to the package directory, "
                                    "without '..'", where(item)))
    if problems:
        return None, problems
    return Manifest(str(data["name"]), str(data["version"]), tuple(raw_files),
                    setup, keep, path), []


def _parse(path: Path, text: str) -> object:
    if path.suffix == ".toml":
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(str(exc)) from None
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


class Locator:
    """file:line:col of the first occurrence of a string (or key) in the manifest text."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def __call__(self, needle: str, line: int = 0) -> SourceRange:
        if needle:
            for number, content in enumerate(self.lines, start=1):
                column = content.find(needle)
                if column >= 0 and not content.lstrip().startswith("#"):
                    return SourceRange(str(self.path), number, column + 1)
        return SourceRange(str(self.path), line or 1, 1)


def bad_path(item: str) -> str | None:
    if not item.strip():
        return "empty path"
    if item.startswith("/") or item.startswith("~"):
        return "absolute path"
    if ".." in PurePosixPath(item).parts:
        return "path escapes the package with '..'"
    return None

