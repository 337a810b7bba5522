"""Generate docs/cli.md from the typer/click command tree (`just docs`).

tests/unit/test_cli_docs.py fails when docs/cli.md differs from what this produces, so the CLI
reference cannot drift from the code. Hand-written prose lives in docs/cli-intro.md and is
copied in first.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def param_line(param: Any) -> str:
    if param.param_type_name == "argument":
        return f"| `{(param.name or '').upper()}` | argument | {param.help or ''} |"
    names = ", ".join(f"`{n}`" for n in [*param.opts, *param.secondary_opts])
    default = "" if param.default in (None, False, ()) or (param.is_flag and not param.default) \
        else f" (default: `{param.default}`)"
    env = f" (env: `{param.envvar}`)" if param.envvar else ""
    help_text = (param.help or "").replace("|", "\\|")
    return f"| {names} | option | {help_text}{default}{env} |"


def command_section(name: str, command: Any, level: int = 2) -> list[str]:
    lines = [f"{'#' * level} `reconciler {name}`", ""]
    if command.help:
        lines += [" ".join(command.help.split()), ""]
    params = [p for p in command.params if p.name != "help"]
    if params:
        lines += ["| name | kind | meaning |", "| --- | --- | --- |"]
        lines += [param_line(p) for p in params]
        lines.append("")
    if hasattr(command, "commands"):
        for sub_name, sub in command.commands.items():
            lines += command_section(f"{name} {sub_name}", sub, level + 1)
    return lines


def generate() -> str:
    from reconciler.cli.app import app, load_commands

    load_commands()

    root = typer.main.get_command(app)
    intro = (ROOT / "docs" / "cli-intro.md").read_text()
    lines = [intro.rstrip(), "", "## Global options", "", "| name | kind | meaning |",
             "| --- | --- | --- |"]
    lines += [param_line(p) for p in root.params if p.name != "help"]
    lines.append("")
    for name, command in root.commands.items():
        lines += command_section(name, command)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    target = ROOT / "docs" / "cli.md"
    target.write_text(generate())
    print(f"wrote {target.relative_to(ROOT)}")
