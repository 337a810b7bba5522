"""Parsing YAML config files (services.yaml, and generically policy/compose files).

ruamel.yaml's round-trip loader keeps the line and column of every key and list item; this
module turns its nodes into plain Python values and records those positions in a
:class:`~reconciler.config.raw.RawDocument`. Parse problems (bad syntax, duplicate keys,
recursive aliases, absurdly large alias expansions) become diagnostics, never exceptions.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from reconciler.config.raw import KeyPath, RawDocument
from reconciler.errors import Diagnostic, SourceRange, error

MAX_NODES = 200_000  # guards against "billion laughs" alias expansion


class YamlTooLarge(Exception):
    """More nodes than allowed (alias expansion), or nested deeper than allowed."""


class YamlRecursive(Exception):
    """An alias refers to a node that contains it."""


class YamlConverter:
    """Walks ruamel's commented containers, producing plain data and key positions.

    The one converter of every YAML format (services, policy, compose). With
    ``track_values=True`` it also records where each value starts (``value_positions``) and
    the style of each string (``styles``: plain, ``'``, ``"``, ``|`` or ``>``; the loader must
    keep quotes), which the policy parser needs to place errors inside CEL expressions.
    """

    def __init__(self, file: str, *, track_values: bool = False, max_nodes: int = MAX_NODES,
                 max_depth: int | None = None):
        self.file = file
        self.positions: dict[KeyPath, SourceRange] = {(): SourceRange(file, 1, 1)}
        self.value_positions: dict[KeyPath, SourceRange] = {}
        self.styles: dict[KeyPath, str] = {}
        self.track_values = track_values
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.count = 0
        self._active: set[int] = set()

    def pos(self, line: int, col: int) -> SourceRange:
        return SourceRange(self.file, line + 1, col + 1)

    def convert(self, node: Any, path: KeyPath) -> Any:
        self.count += 1
        if self.count > self.max_nodes or (self.max_depth is not None
                                           and len(path) > self.max_depth):
            raise YamlTooLarge
        if isinstance(node, dict):
            return self._mapping(node, path)
        if isinstance(node, list):
            return self._sequence(node, path)
        if self.track_values and isinstance(node, str):
            self.styles[path] = _style_of(node)
        return _scalar(node)

    def _enter(self, node: Any) -> None:
        if id(node) in self._active:
            raise YamlRecursive
        self._active.add(id(node))

    def _mapping(self, node: dict[Any, Any], path: KeyPath) -> dict[str, Any]:
        self._enter(node)
        lc = getattr(node, "lc", None)
        out: dict[str, Any] = {}
        for key, value in node.items():
            name = _key(key)
            child = (*path, name)
            if lc is not None:
                try:
                    line, col = lc.key(key)
                    self.positions.setdefault(child, self.pos(line, col))
                    if self.track_values:
                        self.value_positions[child] = self.pos(*lc.value(key))
                except (KeyError, TypeError, AttributeError):
                    pass
            out[name] = self.convert(value, child)
        self._active.discard(id(node))
        return out

    def _sequence(self, node: list[Any], path: KeyPath) -> list[Any]:
        self._enter(node)
        lc = getattr(node, "lc", None)
        out: list[Any] = []
        for index, value in enumerate(node):
            child = (*path, index)
            if lc is not None:
                try:
                    line, col = lc.item(index)
                    self.positions.setdefault(child, self.pos(line, col))
                    if self.track_values:
                        self.value_positions[child] = self.pos(line, col)
                except (KeyError, TypeError, AttributeError, IndexError):
                    pass
            out.append(self.convert(value, child))
        self._active.discard(id(node))
        return out


def _style_of(value: Any) -> str:
    from ruamel.yaml import scalarstring as ss

    styles: tuple[tuple[type[Any], str], ...] = (
        (ss.LiteralScalarString, "|"), (ss.FoldedScalarString, ">"),
        (ss.SingleQuotedScalarString, "'"), (ss.DoubleQuotedScalarString, '"'))
    for cls, style in styles:
        if isinstance(value, cls):
            return style
    return "plain"


def _key(key: Any) -> str:
    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(_scalar(key))


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    inner = getattr(value, "value", None)  # ruamel TaggedScalar
    if isinstance(inner, str):
        return str(inner)
    return str(value)


def parse_yaml(path: Path, text: str, fmt: str) -> tuple[RawDocument | None, list[Diagnostic]]:
    """Parse YAML ``text`` read from ``path`` as a document of format ``fmt``."""
    from ruamel.yaml import YAML

    file = str(path)
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        root = yaml.load(text)
    except Exception as exc:  # ruamel raises many unrelated types; all mean "bad YAML"
        return None, [yaml_error(file, exc)]
    converter = YamlConverter(file)
    try:
        data = converter.convert(root, ())
    except YamlTooLarge:
        return None, [error("YAML document is too large after alias expansion",
                            SourceRange(file, 1, 1),
                            hint=f"at most {MAX_NODES} nodes; avoid nesting aliases")]
    except (YamlRecursive, RecursionError):
        return None, [error("YAML document is recursive or nested too deeply",
                            SourceRange(file, 1, 1),
                            hint="an alias (*name) may not refer to a node that contains it")]
    return RawDocument(path, fmt, data, text, converter.positions), []


def yaml_error(file: str, exc: Exception, *, hint: str = "") -> Diagnostic:
    """A ruamel parse exception as a diagnostic at its mark (``hint`` when nothing better)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = getattr(mark, "line", None)
    col = getattr(mark, "column", None)
    source = SourceRange(file, line + 1, col + 1) if isinstance(line, int) and isinstance(
        col, int) else SourceRange(file, 1, 1)
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    summary = str(problem or exc.__class__.__name__).strip().splitlines()[0]
    if "duplicate" in summary or "Duplicate" in exc.__class__.__name__:
        hint = "each key may appear only once in a mapping"
    detail = str(context).strip() if context else ""
    return error(f"invalid YAML: {summary}", source, detail=detail, hint=hint)
