"""wg-quick ``.conf`` files: parse ``[Interface]`` / ``[Peer]`` sections with positions (pure).

The format is INI-like: ``[Interface]`` then any number of ``[Peer]``, ``Key = Value`` lines,
``#`` comments; keys are case-insensitive and some repeat (``Address``, ``AllowedIPs``,
``PostUp``, ...), so every value is kept in a list. The result is a
:class:`~reconciler.config.raw.RawDocument` of format ``wgquick`` whose data is ``{"sections":
[{"name": "Interface", "keys": {"address": [..], ...}}, ...]}`` with the position of every
section and key. ``PrivateKey`` and ``PresharedKey`` values are NEVER stored: the document
records only that the file holds one (``"(in file)"``), so nothing downstream can copy a key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.config.raw import KeyPath, RawDocument
from reconciler.errors import Diagnostic, SourceRange, error

FORMAT = "wgquick"
SECRET_KEYS = frozenset({"privatekey", "presharedkey"})
IN_FILE = "(in file)"
KNOWN = {
    "Interface": frozenset({"address", "listenport", "privatekey", "dns", "mtu", "table",
                            "preup", "postup", "predown", "postdown", "saveconfig", "fwmark"}),
    "Peer": frozenset({"publickey", "presharedkey", "endpoint", "allowedips",
                       "persistentkeepalive"}),
}


def parse_wgquick(path: Path, text: str) -> tuple[RawDocument | None, list[Diagnostic]]:
    """Parse one wg-quick file; every problem is a diagnostic at its line."""
    file = str(path)
    positions: dict[KeyPath, SourceRange] = {(): SourceRange(file, 1, 1)}
    sections: list[dict[str, Any]] = []
    problems: list[Diagnostic] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        column = len(raw) - len(raw.lstrip()) + 1
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1].strip()
            if name not in KNOWN:
                problems.append(error(f"unknown section [{name}]",
                                      SourceRange(file, number, column),
                                      hint="wg-quick files have [Interface] and [Peer]"))
            sections.append({"name": name, "keys": {}})
            positions[("sections", len(sections) - 1)] = SourceRange(file, number, column)
            continue
        key, sep, value = line.partition("=")
        if not sep or not sections:
            problems.append(error("expected 'Key = Value' inside a section",
                                  SourceRange(file, number, column)))
            continue
        index = len(sections) - 1
        lower = key.strip().lower()
        section = sections[index]
        if section["name"] in KNOWN and lower not in KNOWN[section["name"]]:
            problems.append(error(f"unknown key '{key.strip()}' in [{section['name']}]",
                                  SourceRange(file, number, column)))
            continue
        kept = IN_FILE if lower in SECRET_KEYS else value.strip()
        values = section["keys"].setdefault(lower, [])
        positions.setdefault(("sections", index, lower, len(values)),
                             SourceRange(file, number, column))
        positions.setdefault(("sections", index, lower), SourceRange(file, number, column))
        values.append(kept)
    interfaces = [s for s in sections if s["name"] == "Interface"]
    if len(interfaces) != 1:
        problems.append(error(f"expected one [Interface] section, found {len(interfaces)}",
                              SourceRange(file, 1, 1)))
    if problems:
        return None, problems
    return RawDocument(path, FORMAT, {"sections": sections}, "", positions), []
