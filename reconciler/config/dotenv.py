"""Parsing ``.env`` files: ``KEY=VALUE`` lines that feed ${VAR} interpolation.

Supported: ``export KEY=VALUE``, ``#`` comments (whole line, or after an unquoted value
preceded by a space), blank lines, single quotes (literal), double quotes (with ``\\n``,
``\\t``, ``\\"`` and ``\\\\`` escapes). Values are never interpolated here. The real
environment wins over ``.env`` (the merge happens in the caller, see docs/configuration.md).
"""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.config.raw import KeyPath, RawDocument
from reconciler.errors import Diagnostic, SourceRange, error

_ASSIGN = re.compile(r"^(\s*)(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def _unquote(raw: str) -> str | None:
    """The value of ``raw``; None when a quote is not closed."""
    if raw.startswith("'"):
        end = raw.find("'", 1)
        return None if end < 0 else raw[1:end]
    if raw.startswith('"'):
        out: list[str] = []
        i = 1
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                out.append(_ESCAPES.get(raw[i + 1], "\\" + raw[i + 1]))
                i += 2
                continue
            if ch == '"':
                return "".join(out)
            out.append(ch)
            i += 1
        return None
    comment = re.search(r"\s#", raw)
    return (raw[: comment.start()] if comment else raw).strip()


def parse_dotenv(path: Path, text: str) -> tuple[RawDocument, list[Diagnostic]]:
    """Parse ``.env`` text into ``{KEY: value}`` with one position per key."""
    file = str(path)
    values: dict[str, str] = {}
    positions: dict[KeyPath, SourceRange] = {(): SourceRange(file, 1, 1)}
    diagnostics: list[Diagnostic] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ASSIGN.match(line)
        col = len(line) - len(line.lstrip()) + 1
        if match is None:
            diagnostics.append(error("invalid .env line", SourceRange(file, number, col),
                                     detail=f"got: {stripped[:80]}",
                                     hint="each line is KEY=VALUE (optionally 'export KEY=...')"))
            continue
        key, raw = match.group(2), match.group(3).strip()
        value = _unquote(raw)
        if value is None:
            diagnostics.append(error(f"unterminated quote in the value of {key}",
                                     SourceRange(file, number, match.start(3) + 1),
                                     hint="values spanning lines are not supported"))
            continue
        values[key] = value
        positions[(key,)] = SourceRange(file, number, line.index(key) + 1)
    return RawDocument(path, "dotenv", values, text, positions), diagnostics
