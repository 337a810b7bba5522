"""Parsing locald.toml with tomllib, plus the key positions tomllib does not give.

tomllib returns plain data only, so positions are recovered by scanning the text: every
``[table]`` / ``[[array]]`` header and every ``key = value`` line is recorded under its full
key path, and keys of single-line inline tables (``hc = { type = "http" }``) under theirs.
That is exact for the usual layout and falls back to the enclosing table otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.config.raw import KeyPath, RawDocument
from reconciler.errors import Diagnostic, SourceRange, error

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY = rf"(?:{_BARE}|{_QUOTED})"
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?")
_ASSIGN = re.compile(rf"^(\s*)({_DOTTED})\s*=")
_INLINE_KEY = re.compile(rf"([{{,]\s*)({_DOTTED})\s*=")
_ERROR_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def _split_key(text: str) -> list[str]:
    parts = re.findall(rf"{_BARE}|{_QUOTED}", text)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def positions_of(text: str, file: str) -> dict[KeyPath, SourceRange]:
    """Key path -> position of that key, found by scanning ``text`` line by line."""
    found: dict[KeyPath, SourceRange] = {(): SourceRange(file, 1, 1)}
    table: KeyPath = ()
    array_counts: dict[KeyPath, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            keys = tuple(_split_key(header.group(2)))
            col = line.index(header.group(2)) + 1
            if header.group(1) == "[[":
                index = array_counts.get(keys, 0)
                array_counts[keys] = index + 1
                found.setdefault(keys, SourceRange(file, number, col))
                table = (*keys, index)
            else:
                table = keys
            found.setdefault(table, SourceRange(file, number, col))
            continue
        assign = _ASSIGN.match(line)
        if not assign:
            continue
        key = (*table, *_split_key(assign.group(2)))
        found.setdefault(key, SourceRange(file, number, len(assign.group(1)) + 1))
        rest_start = assign.end()
        for inner in _INLINE_KEY.finditer(line, rest_start):
            inner_key = (*key, *_split_key(inner.group(2)))
            found.setdefault(inner_key, SourceRange(file, number, inner.start(2) + 1))
    return found


def parse_toml(path: Path, text: str, fmt: str = "locald") -> tuple[
        RawDocument | None, list[Diagnostic]]:
    """Parse TOML ``text`` read from ``path``; a syntax error becomes one diagnostic."""
    import tomllib

    file = str(path)
    try:
        data: object = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _ERROR_AT.search(message)
        source = SourceRange(file, int(at.group(1)), int(at.group(2))) if at else SourceRange(
            file, 1, 1)
        summary = _ERROR_AT.sub("", message).strip()
        return None, [error(f"invalid TOML: {summary}", source)]
    except (ValueError, RecursionError) as exc:
        return None, [error(f"invalid TOML: {exc}", SourceRange(file, 1, 1))]
    return RawDocument(path, fmt, _plain(data), text, positions_of(text, file)), []


def _plain(value: object) -> object:
    """tomllib values as JSON-like data: dates and times become ISO strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
