"""What the CLI tests feed the CLI: every command path of the typer tree, the wrong ways a
person runs each (shared by test_cli_no_traceback and test_cli_pty), and the exit codes
docs/cli.md documents."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INTERNAL_ERROR = 3


def command_paths() -> list[list[str]]:
    """Every leaf command, as its words (``["state", "list"]``)."""
    import typer.main

    from reconciler.cli.app import app, load_commands

    load_commands()

    def walk(command: object, path: list[str]) -> Iterator[list[str]]:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in sorted(subs.items()):
                yield from walk(sub, [*path, name])
        else:
            yield path

    return list(walk(typer.main.get_command(app), []))


def documented_codes() -> set[int]:
    """The exit codes of docs/cli.md's "Exit codes" table, but 3 (an internal error: a bug)."""
    text = (ROOT / "docs" / "cli.md").read_text()
    table = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = {int(m) for m in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}
    assert {0, 1, INTERNAL_ERROR} <= codes, "docs/cli.md lost its exit code table"
    return codes - {INTERNAL_ERROR}


def wrong_ways(paths: list[list[str]], missing: Path, unreadable: Path) -> list[list[str]]:
    """Each command with no arguments, --help, an unknown option, a global option after the
    command, a missing project directory and an unreadable config; plus bare groups --help."""
    runs: list[list[str]] = [[], ["--bogus"]]
    for words in paths:
        runs += [words, [*words, "--help"], [*words, "--no-such-option"],
                 [*words, "--session", "x"],  # a global option after the command
                 ["-C", str(missing), *words], ["-C", str(unreadable), *words]]
    runs += [[words[0], "--help"] for words in paths if len(words) > 1]
    return runs


def unreadable_project(parent: Path) -> Path:
    """A project whose services.yaml is a directory (unreadable as a file)."""
    place = parent / "unreadable"
    (place / "services.yaml").mkdir(parents=True)
    return place
