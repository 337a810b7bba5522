"""``hook install`` and ``hook run``: the git pre-commit hook (see reconciler/workflows/hook.py).

``hook run`` normally never reaches this module: the console entry runs it without typer
(:func:`reconciler.workflows.hook.fast_path`) so the hook starts fast. These commands exist for
``--help``, for unusual option spellings, and for ``hook install``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from reconciler.cli.app import app, echo, globals_of

hook_app = typer.Typer(help="The git pre-commit hook that validates staged config.",
                       no_args_is_help=True)
app.add_typer(hook_app, name="hook")


@hook_app.command("install")
def hook_install(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a pre-commit hook not written by reconciler.")] = False,
) -> None:
    """Write .git/hooks/pre-commit running `reconciler hook run` for this project."""
    from reconciler.workflows.hook import install

    path, replaced = install(globals_of(ctx).directory, force=force)
    echo(f"Installed the pre-commit hook: {path}" + (" (replaced a foreign hook)"
                                                     if replaced else ""))
    echo("Each commit now validates the STAGED config files and policy.yaml.")


@hook_app.command("run")
def hook_run(ctx: typer.Context) -> None:
    """Validate the STAGED versions of the project's config files and policy (not the work
    tree); exit 1 with file:line:col diagnostics when they are invalid."""
    from reconciler.workflows.hook import run_hook

    raise typer.Exit(run_hook(globals_of(ctx).directory))
