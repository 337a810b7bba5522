"""Parsing a Procfile: one ``name: command`` line per process.

Blank lines and ``#`` comments are skipped. Names are letters, digits, ``_`` and ``-``. The
data is ``{"processes": {name: command}}`` with positions ``("processes", name)`` (the name)
and ``("processes", name, "command")`` (the command). Malformed lines and names defined twice
are diagnostics; the well-formed lines still load.
"""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.config.raw import KeyPath, RawDocument
from reconciler.errors import Diagnostic, SourceRange, error

_LINE = re.compile(r"^(\s*)([A-Za-z0-9_-]+)\s*:\s?(.*)$")


def parse_procfile(path: Path, text: str) -> tuple[RawDocument, list[Diagnostic]]:
    """Parse Procfile ``text``; returns the document (possibly empty) and its diagnostics."""
    file = str(path)
    processes: dict[str, str] = {}
    positions: dict[KeyPath, SourceRange] = {(): SourceRange(file, 1, 1)}
    diagnostics: list[Diagnostic] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            col = len(line) - len(line.lstrip()) + 1
            diagnostics.append(error(
                "invalid Procfile line", SourceRange(file, number, col),
                detail=f"got: {stripped[:80]}",
                hint="each line is 'name: command' (name: letters, digits, '_' or '-')"))
            continue
        indent, name, command = match.groups()
        where = SourceRange(file, number, len(indent) + 1)
        if not command.strip():
            diagnostics.append(error(f"process '{name}' has no command", where,
                                     hint="write the command after the colon"))
            continue
        if name in processes:
            first = positions[("processes", name)]
            diagnostics.append(error(f"process '{name}' is defined twice", where,
                                     detail=f"first defined at {first}"))
            continue
        processes[name] = command.strip()
        positions[("processes", name)] = where
        positions[("processes", name, "command")] = SourceRange(
            file, number, match.start(3) + 1)
    return RawDocument(path, "procfile", {"processes": processes}, text, positions), diagnostics
