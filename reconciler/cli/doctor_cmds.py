"""``doctor`` (what the project needs and whether this machine has it), ``init`` (a
commented services.yaml, from scratch or from a Procfile, compose file or locald.toml) and
``schema`` (where the JSON Schemas editors use are, or a copy of one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli.app import app, echo, globals_of

_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


@app.command()
def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Check what this project needs: Docker engine, Compose, SSH keys and known_hosts,
    WireGuard, free ports, state database, lease, clock. Exit 1 on a critical failure."""
    from reconciler.cli.common import CliExit
    from reconciler.workflows.doctor import diagnose

    checks = diagnose(globals_of(ctx).project())
    critical = any(c.critical and c.status == "fail" for c in checks)
    if as_json:
        echo(json.dumps({"format_version": "1", "ok": not critical,
                         "checks": [c.to_json() for c in checks]}, indent=2))
    else:
        width = max(len(c.name) for c in checks)
        for check in checks:
            echo(f"[{_MARK[check.status]}] {check.name:<{width}}  {check.detail}")
        echo("\n" + ("critical problems found" if critical else "no critical problems"))
    if critical:
        raise CliExit(1)


@app.command()
def init(
    ctx: typer.Context,
    source: Annotated[Path | None, typer.Option(
        "--from", help="A Procfile, compose file or locald.toml to start from.",
        dir_okay=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite services.yaml.")] = False,
) -> None:
    """Write a commented services.yaml (with its $schema line) in the project directory."""
    from reconciler.errors import UserError
    from reconciler.workflows.init_file import init_text, write_schema

    directory = globals_of(ctx).directory
    if not directory.is_dir():
        raise UserError(f"project directory not found: {directory}",
                        hint="create it first, or pass -C DIR")
    target = directory / "services.yaml"
    if target.exists() and not force:
        raise UserError(f"{target} already exists", hint="pass --force to overwrite it")
    origin = source if source is None or source.is_absolute() or source.exists() \
        else directory / source
    text = init_text(directory, origin)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None
    echo(f"wrote {target}" + (f" from {origin}" if origin else ""))
    schema = write_schema(directory, force=force)
    if schema is not None:
        echo(f"wrote {schema} (the schema its $schema line names)")
    echo("next: reconciler -C " + str(directory) + " plan")


@app.command()
def schema(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(
        help="Which schema: services, locald, policy or plan.")] = "services",
    write: Annotated[bool, typer.Option(
        "--write", help="Copy it into the project directory (NAME.schema.json).")] = False,
) -> None:
    """Print the path of a JSON Schema shipped with reconciler (for an editor's $schema), or
    copy it into the project directory with --write."""
    from reconciler.workflows.init_file import shipped_schema, write_schema

    if write:
        echo(f"wrote {write_schema(globals_of(ctx).directory, name)}")
    else:
        echo(str(shipped_schema(name)))

