"""``reconciler validate`` (typer form) and ``reconciler config show``: config stages only.

Nothing here touches Docker, SSH or the state database beyond reading the secret key; the
import path stays light (no docker, fabric, networkx or deepdiff).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from reconciler.cli.app import app, config_app, echo, globals_of


@app.command()
def validate(
    ctx: typer.Context,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Missing environment variables are errors, not warnings.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Diagnostics as JSON.")] = False,
) -> None:
    """Check every config file against its schema and the semantic rules; report ALL problems
    as file:line:col. Exit 0 when valid, 1 otherwise."""
    from reconciler.cli.validate_cmd import run_validate

    g = globals_of(ctx)
    raise typer.Exit(run_validate(g.directory, session=g.session, strict=strict,
                                  as_json=as_json, state_dir=g.state_dir,
                                  policy_file=g.policy))


@config_app.command("show")
def config_show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The merged, resolved desired state (secrets masked), each resource with the file:line it
    came from."""
    from reconciler.config import load
    from reconciler.render.desired import desired_document, render_desired

    project = globals_of(ctx).project()
    desired, _ = project.desired()
    docs, _ = load(project.directory)  # the positions every value is shown with
    if as_json:
        echo(json.dumps(desired_document(desired, docs), indent=2, sort_keys=False))
    else:
        echo(render_desired(desired, docs))
