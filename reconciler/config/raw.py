"""RawDocument: one parsed config file, its plain data and where each key sits in the text.

Every format parser (``services_yaml``, ``locald_toml``, ``procfile``, ``dotenv``) returns a
:class:`RawDocument`. ``data`` holds only plain JSON-like values (dict, list, str, int, float,
bool, None); ``positions`` maps a key path such as ``("services", "api", "env", "X")`` (list
items by index) to the :class:`~reconciler.errors.SourceRange` of that key or item, so later
stages can point at the exact line and column of anything they complain about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import SourceRange

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class RawDocument:
    """A parsed config file: format name, plain data, source text and key positions."""

    path: Path
    format: str
    data: Any
    text: str = ""
    positions: Mapping[KeyPath, SourceRange] = field(default_factory=dict)

    @property
    def file(self) -> str:
        """The file name as diagnostics print it."""
        return str(self.path)

    def where(self, *path: str | int) -> SourceRange:
        """The position of ``path``, else of its nearest known parent, else ``file:1:1``."""
        key: KeyPath = tuple(path)
        while key:
            found = self.positions.get(key)
            if found is not None:
                return found
            key = key[:-1]
        return self.positions.get((), SourceRange(self.file, 1, 1))

    def get(self, *path: str | int) -> Any:
        """The value at ``path`` in ``data``, or None when any step is missing."""
        node: Any = self.data
        for step in path:
            in_map = isinstance(node, Mapping) and step in node
            in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
            if not (in_map or in_list):
                return None
            node = node[step]
        return node


def as_list(value: object) -> list[object]:
    """``value`` when it is a list, else an empty list (for reading unvalidated data)."""
    return value if isinstance(value, list) else []


def as_dict(value: object) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (for reading unvalidated data)."""
    return value if isinstance(value, dict) else {}
