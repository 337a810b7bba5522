"""Parse ``policy.yaml`` into plain data plus the file position of every node.

This module owns only the *syntax* step for policy files: YAML text in, a
:class:`PolicyDocument` (a ``RawDocument`` of format ``policy``) out, with plain dicts, lists
and scalars, a position for every mapping key, list item and value, and the quoting style of
each string so that positions inside a CEL expression can be mapped back to the file. Syntax
errors, duplicate keys and alias bombs become diagnostics with ``file:line:col``; nothing is
raised. Validation against the policy schema and compilation of the rules live in
:mod:`reconciler.policy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.config.raw import KeyPath, RawDocument
from reconciler.errors import Diagnostic, SourceRange, error

PathKey = KeyPath
MAX_NODES = 100_000  # guards against alias expansion bombs
MAX_DEPTH = 64


@dataclass(frozen=True)
class PolicyDocument(RawDocument):
    """One parsed policy file: a :class:`~reconciler.config.raw.RawDocument` with more.

    As in ``RawDocument``, ``positions`` maps the path of each mapping key and list item
    (``("rules", 0, "when")``; ``()`` is the root) to where it starts. ``value_positions``
    maps the same paths to where their *values* start, and ``styles`` holds the scalar style
    of string values (``plain``, ``'``, ``"``, ``|`` or ``>``) so that a position inside a CEL
    expression can be mapped back to the file.
    """

    value_positions: Mapping[PathKey, SourceRange] = field(default_factory=dict)
    styles: Mapping[PathKey, str] = field(default_factory=dict)

    def where_value(self, *path: str | int) -> SourceRange:
        """Where the value at ``path`` starts (else like :meth:`where`)."""
        found = self.value_positions.get(tuple(path))
        return found if found is not None else self.where(*path)

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) of the source, or ``""`` past the end."""
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


def _style_of(value: Any) -> str:
    from ruamel.yaml import scalarstring as ss

    styles: tuple[tuple[type[Any], str], ...] = (
        (ss.LiteralScalarString, "|"),
        (ss.FoldedScalarString, ">"),
        (ss.SingleQuotedScalarString, "'"),
        (ss.DoubleQuotedScalarString, '"'),
    )
    for cls, style in styles:
        if isinstance(value, cls):
            return style
    return "plain"


class _TooLarge(Exception):
    pass


class _Walker:
    """Turns ruamel's round-trip nodes into plain data, recording positions and styles."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[PathKey, SourceRange] = {(): SourceRange(file, 1, 1)}
        self.value_positions: dict[PathKey, SourceRange] = {}
        self.styles: dict[PathKey, str] = {}
        self.count = 0
        self.active: set[int] = set()

    def at(self, line: int, col: int) -> SourceRange:
        return SourceRange(self.file, line + 1, col + 1)

    def plain(self, node: Any, path: PathKey) -> Any:
        self.count += 1
        if self.count > MAX_NODES or len(path) > MAX_DEPTH or id(node) in self.active:
            raise _TooLarge
        if isinstance(node, dict):
            self.active.add(id(node))
            lc = getattr(node, "lc", None)
            out: dict[str, Any] = {}
            for key, value in node.items():
                child = (*path, str(key))
                kpos = lc.data.get(key) if lc is not None and lc.data else None
                if kpos is not None:
                    self.positions[child] = self.at(kpos[0], kpos[1])
                    self.value_positions[child] = self.at(kpos[2], kpos[3])
                out[str(key)] = self.plain(value, child)
            self.active.discard(id(node))
            return out
        if isinstance(node, list):
            self.active.add(id(node))
            lc = getattr(node, "lc", None)
            items: list[Any] = []
            for index, value in enumerate(node):
                child = (*path, index)
                ipos = lc.data.get(index) if lc is not None and lc.data else None
                if ipos is not None:
                    self.positions[child] = self.value_positions[child] = self.at(*ipos[:2])
                items.append(self.plain(value, child))
            self.active.discard(id(node))
            return items
        if isinstance(node, str):
            self.styles[path] = _style_of(node)
            return str(node)
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, int | float):
            return int(node) if isinstance(node, int) else float(node)
        return str(node)


def _yaml_error(file: str, exc: Exception) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = getattr(mark, "line", None), getattr(mark, "column", None)
    source = (SourceRange(file, line + 1, col + 1)
              if isinstance(line, int) and isinstance(col, int) else SourceRange(file, 1, 1))
    problem = str(getattr(exc, "problem", None) or type(exc).__name__).strip().splitlines()[0]
    context = getattr(exc, "context", None) or ""
    hint = "quote values that contain ': ' or start with a special character"
    if "duplicate" in problem:
        hint = "each key may appear only once in a mapping"
    return error(f"invalid YAML: {problem}", source, detail=str(context).strip(), hint=hint)


def parse_policy_text(path: Path, text: str) -> tuple[PolicyDocument | None, list[Diagnostic]]:
    """Parse policy YAML ``text`` read from ``path``; never raises."""
    from ruamel.yaml import YAML

    file = str(path)
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    try:
        node = yaml.load(text)
    except Exception as exc:  # ruamel raises many unrelated types; all mean "bad YAML"
        return None, [_yaml_error(file, exc)]
    walker = _Walker(file)
    try:
        data = walker.plain(node, ()) if node is not None else {}
    except (_TooLarge, RecursionError):
        return None, [error("YAML document is too large, too deep or recursive",
                            SourceRange(file, 1, 1),
                            hint="an alias (*name) may not refer to a node that contains it")]
    return PolicyDocument(path, "policy", data, text, walker.positions,
                          walker.value_positions, walker.styles), []


def parse_policy_file(path: Path) -> tuple[PolicyDocument | None, list[Diagnostic]]:
    """Read and parse one policy file; unreadable files become a diagnostic."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [error(f"cannot read policy file: {reason}", SourceRange(str(path)),
                            hint="check the path and its permissions")]
    return parse_policy_text(path, text)
