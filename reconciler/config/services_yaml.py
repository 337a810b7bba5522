"""Parsing YAML config files (services.yaml, and generically policy/compose files).

ruamel.yaml composes the document into nodes that carry the line and column of every key,
value and list item (with libyaml from ruamel.yaml.clib when installed: about ten times
faster than the pure-Python parser, same result); this module turns the nodes into plain
Python values and records those positions in a :class:`~reconciler.config.raw.RawDocument`.
Parse problems (bad syntax, duplicate keys, recursive aliases, absurdly large alias
expansions) become diagnostics, never exceptions.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Protocol

from reconciler.config.raw import KeyPath, RawDocument
from reconciler.errors import Diagnostic, SourceRange, error
from reconciler.jsonvalue import JSONScalar, JSONValue

MAX_NODES = 200_000  # guards against "billion laughs" alias expansion


class YamlTooLarge(Exception):
    """More nodes than allowed (alias expansion), or nested deeper than allowed."""


class YamlRecursive(Exception):
    """An alias refers to a node that contains it."""


class YamlDuplicateKey(Exception):
    """A key written twice in one mapping (ruamel's own wording and marks, for yaml_error)."""

    def __init__(self, problem: str, problem_mark: object, context_mark: object):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, problem_mark
        self.context, self.context_mark = "while constructing a mapping", context_mark


def clib_available() -> bool:
    """Whether ruamel.yaml.clib (libyaml, about 10x faster) is installed."""
    try:
        import _ruamel_yaml  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


class Mark(Protocol):
    """Where a node starts (0-based)."""

    line: int
    column: int


class Node(Protocol):
    """A composed ruamel.yaml node (the library has no types): ``id`` is ``scalar``,
    ``mapping`` or ``sequence``; ``value`` is then the text, a list of (key, value) node
    pairs, or a list of nodes."""

    id: str
    tag: str
    style: str | None
    start_mark: Mark
    value: Any


class Constructor(Protocol):
    def construct_object(self, node: Node) -> object: ...


def compose(text: str) -> tuple[Node | None, Constructor]:
    """``(root node or None, constructor)`` of the one YAML document in ``text``, parsed by
    libyaml when available, else by ruamel's pure parser. Raises ruamel's errors; a document
    libyaml refuses is parsed again by the pure parser, so messages never depend on it."""
    from ruamel.yaml import YAML

    fast = clib_available()
    yaml = YAML(typ="safe", pure=not fast)
    try:
        return yaml.compose(text), yaml.constructor
    except Exception:
        if not fast:
            raise
    yaml = YAML(typ="safe", pure=True)
    return yaml.compose(text), yaml.constructor


_STYLES = {"|": "|", ">": ">", "'": "'", '"': '"'}
_STANDARD = "tag:yaml.org,2002:"
_STR, _MERGE = f"{_STANDARD}str", f"{_STANDARD}merge"


class YamlConverter:
    """Walks a composed YAML node tree (:func:`compose`), producing plain data and key positions.

    The one converter of every YAML format (services, policy, compose). Merge keys (``<<``)
    are applied as YAML 1.1 defines them (explicit keys win); a duplicate key raises
    :class:`YamlDuplicateKey`. With ``track_values=True`` it also records where each value
    starts (``value_positions``) and the style of each string (``styles``: plain, ``'``,
    ``"``, ``|`` or ``>``), which the policy parser needs to place errors inside CEL
    expressions.
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
        self._constructor: Constructor | None = None

    def pos(self, mark: Mark) -> SourceRange:
        return SourceRange(self.file, mark.line + 1, mark.column + 1)

    def load(self, text: str) -> JSONValue:
        """Compose ``text`` and convert it (None for an empty document)."""
        root, self._constructor = compose(text)
        return None if root is None else self.convert(root, ())

    def convert(self, node: Node, path: KeyPath) -> JSONValue:
        self.count += 1
        if self.count > self.max_nodes or (self.max_depth is not None
                                           and len(path) > self.max_depth):
            raise YamlTooLarge
        if node.id == "mapping":
            return self._mapping(node, path)
        if node.id == "sequence":
            return self._sequence(node, path)
        if self.track_values and node.tag == _STR:
            self.styles[path] = _STYLES.get(node.style or "", "plain")
        return self._scalar(node)

    def _scalar(self, node: Node) -> JSONScalar:
        if node.tag == _STR:
            return str(node.value)
        if not str(node.tag).startswith(_STANDARD) or node.id != "scalar":
            return str(node.value) if node.id == "scalar" else str(node.tag)  # !custom x
        if self._constructor is None:  # set by load() before any node is converted
            return str(node.value)
        try:
            return _scalar(self._constructor.construct_object(node))
        except Exception:  # a malformed !!int, !!timestamp, ...: keep its text
            return str(node.value)

    def _enter(self, node: object) -> None:
        if id(node) in self._active:
            raise YamlRecursive
        self._active.add(id(node))

    def _pairs(self, node: Node) -> list[tuple[str, Node, Node]]:
        """``(name, key, value)`` of the mapping's own pairs (a duplicate raises), then of
        the merged ones it lacks (with ``<<: [*a, *b]`` the first source wins)."""
        own: list[tuple[str, Node, Node]] = []
        merged: list[tuple[str, Node, Node]] = []
        seen: dict[str, Node] = {}
        for key, value in node.value:
            if key.tag == _MERGE:
                sources = value.value if value.id == "sequence" else [value]
                for source in sources:
                    if source.id != "mapping":
                        raise YamlDuplicateKey("merge (<<) needs a mapping or a list of "
                                               "mappings", source.start_mark, node.start_mark)
                    self._enter(source)
                    merged.extend(self._pairs(source))
                    self._active.discard(id(source))
                continue
            name = self._key(key)
            if name in seen:
                raise YamlDuplicateKey(_duplicate(name, seen[name], value),
                                       key.start_mark, node.start_mark)
            seen[name] = value
            own.append((name, key, value))
        for name, key, value in merged:
            if name not in seen:
                seen[name] = value
                own.append((name, key, value))
        return own

    def _key(self, node: Node) -> str:
        return _key(self._scalar(node)) if node.id == "scalar" else str(self.convert(node, ()))

    def _mapping(self, node: Node, path: KeyPath) -> dict[str, JSONValue]:
        self._enter(node)
        out: dict[str, JSONValue] = {}
        for name, key, value in self._pairs(node):
            child = (*path, name)
            self.positions.setdefault(child, self.pos(key.start_mark))
            if self.track_values:
                self.value_positions[child] = self.pos(value.start_mark)
            out[name] = self.convert(value, child)
        self._active.discard(id(node))
        return out

    def _sequence(self, node: Node, path: KeyPath) -> list[JSONValue]:
        self._enter(node)
        out: list[JSONValue] = []
        for index, value in enumerate(node.value):
            child = (*path, index)
            self.positions.setdefault(child, self.pos(value.start_mark))
            if self.track_values:
                self.value_positions[child] = self.pos(value.start_mark)
            out.append(self.convert(value, child))
        self._active.discard(id(node))
        return out


def _duplicate(name: str, first: Node, second: Node) -> str:
    if first.id == "scalar" and second.id == "scalar":
        return (f'found duplicate key "{name}" with value "{second.value}" '
                f'(original value: "{first.value}")')
    return f'found duplicate key "{name}"'


def _key(key: object) -> str:
    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(_scalar(key))


def _scalar(value: object) -> JSONScalar:
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
    file = str(path)
    converter = YamlConverter(file)
    try:
        data = converter.load(text)
    except YamlTooLarge:
        return None, [error("YAML document is too large after alias expansion",
                            SourceRange(file, 1, 1),
                            hint=f"at most {MAX_NODES} nodes; avoid nesting aliases")]
    except (YamlRecursive, RecursionError):
        return None, [error("YAML document is recursive or nested too deeply",
                            SourceRange(file, 1, 1),
                            hint="an alias (*name) may not refer to a node that contains it")]
    except Exception as exc:  # ruamel raises many unrelated types; all mean "bad YAML"
        return None, [yaml_error(file, exc)]
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
