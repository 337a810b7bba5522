"""``reconciler validate`` and ``reconciler config show``: the config stages only.

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
    from reconciler.config import load
    from reconciler.errors import Severity
    from reconciler.model.build import build
    from reconciler.validate import check

    g = globals_of(ctx)
    docs, diagnostics = load(g.directory)
    diagnostics += check(docs)
    project = g.project(strict=strict)
    if not any(d.severity is Severity.ERROR for d in diagnostics):
        _, more = build(docs, env=project.env(docs), session=g.session, strict=strict)
        diagnostics += more
    diagnostics.sort(key=lambda d: d.sort_key())
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    if as_json:
        echo(json.dumps({"valid": errors == 0, "files": [str(d.path) for d in docs],
                         "diagnostics": [diagnostic_json(d) for d in diagnostics]}, indent=2))
    else:
        for diagnostic in diagnostics:
            echo(diagnostic.render(), err=diagnostic.severity is Severity.ERROR)
        if errors:
            echo(f"{errors} error(s) in {len(docs)} file(s)", err=True)
        else:
            names = ", ".join(sorted({d.path.name for d in docs})) or "no config files"
            echo(f"Success! The configuration is valid ({names}).")
    raise typer.Exit(1 if errors else 0)


def diagnostic_json(d: object) -> dict[str, object]:
    from reconciler.errors import Diagnostic

    assert isinstance(d, Diagnostic)
    return {"severity": d.severity.value, "summary": d.summary, "detail": d.detail,
            "hint": d.hint, "address": d.address,
            "source": str(d.source) if d.source is not None else None}


@config_app.command("show")
def config_show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The merged, resolved desired state (secrets masked), each resource with the file:line it
    came from."""
    from reconciler.render.desired import desired_document, render_desired

    project = globals_of(ctx).project()
    desired, _ = project.desired()
    if as_json:
        echo(json.dumps(desired_document(desired), indent=2, sort_keys=False))
    else:
        echo(render_desired(desired))
