"""The console examples of the docs (issue 30): extract them, and compare a real run with one.

A page's ```console block holds commands (lines starting with ``$ ``; a line ending in ``\\``
continues on the next) and, after each, the output the page shows. ``blocks(text)`` returns
them in page order, each keyed by its first command (the key the harness tables use).

``missing(shown, real, paths)`` compares in substance: after ``normalize`` (ANSI colour,
temp-dir paths, clock times, dates, durations, numbers of 3+ digits such as pids and ports,
hex ids, runs of blanks), every non-blank line the page shows must equal a line of the real
output, in the page's order (real output may hold more lines: pages trim). ``...`` in a shown
line matches anything; a line that is only ``...`` marks a trim and is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?"), "<TIME>"),
    (re.compile(r"\b\d{2}:\d{2}:\d{2}\b"), "<TIME>"),
    (re.compile(r"\b\d+(\.\d+)?s\b"), "<DUR>"),
    (re.compile(r"\b[0-9a-f]{8,}\b"), "<HEX>"),
    (re.compile(r"\b\d{3,}\b"), "<N>"),
    (re.compile(r"[ \t]+"), " "),
)


@dataclass
class Block:
    """One console block: its commands with the output shown after each."""

    line: int  # 1-based line of the opening fence
    commands: list[str] = field(default_factory=list)
    shown: list[list[str]] = field(default_factory=list)  # shown[i]: output after commands[i]

    @property
    def key(self) -> str:
        return self.commands[0] if self.commands else f"(no command, line {self.line})"


def blocks(text: str) -> list[Block]:
    """Every ```console block of a page, in order."""
    found: list[Block] = []
    current: Block | None = None
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if current is None:
            if line.strip() == "```console":
                current = Block(index + 1)
        elif line.strip() == "```":
            found.append(current)
            current = None
        elif line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and index + 1 < len(lines):
                index += 1
                command = command[:-1].rstrip() + " " + lines[index].strip()
            current.commands.append(command.strip())
            current.shown.append([])
        elif current.shown:
            current.shown[-1].append(line)
        else:  # output before any command: a log excerpt
            current.shown.append([line])
        index += 1
    return found


def normalize(line: str, paths: dict[str, str]) -> str:
    """The substance of one line: see the module docstring. ``paths`` maps a path (real or as
    the page writes it) to the placeholder both sides share."""
    text = ANSI.sub("", line)
    for path in sorted(paths, key=len, reverse=True):
        text = text.replace(path, paths[path])
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text.strip()


def _matcher(shown: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in shown.split("...")))


def missing(shown: list[str], real: str, paths: dict[str, str]) -> list[str]:
    """The shown lines (normalized) that the real output lacks, in order; [] when it matches."""
    actual = [normalize(line, paths) for line in real.splitlines()]
    position = 0
    lacking: list[str] = []
    for line in shown:
        wanted = normalize(line, paths)
        if not wanted or wanted == "...":
            continue
        pattern = _matcher(wanted)
        hit = next((i for i in range(position, len(actual)) if pattern.fullmatch(actual[i])),
                   None)
        if hit is None:
            lacking.append(wanted)
        else:
            position = hit + 1
    return lacking
