"""The typer commands ``plan``, ``apply`` and ``destroy``: options, help, and nothing else.

Their bodies live in cli/plan_run.py (typer-free) so that the fast path (cli/fast.py) can run
them without importing typer; both paths go through :func:`reconciler.cli.common.guarded`, so
messages and exit codes are the same. Exit codes and the saved-plan rules are described there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli.age_key import AgeKeyFileOpt, with_age_key
from reconciler.cli.app import app, globals_of
from reconciler.cli.common import guarded
from reconciler.cli.plan_run import run_apply, run_destroy, run_plan

TargetOpt = Annotated[list[str] | None, typer.Option(
    "--target", metavar="ADDR",
    help="Limit to this address (and what it depends on). Repeatable.")]
ReplaceOpt = Annotated[list[str] | None, typer.Option(
    "--replace", metavar="ADDR", help="Force replacement of this address. Repeatable.")]
AdoptOpt = Annotated[bool, typer.Option(
    "--adopt", help="Take over objects another state made (their marks name another state "
    "id); recorded in the audit log.")]
ParallelismOpt = Annotated[int, typer.Option(
    "--parallelism", min=1, help="How many nodes may be applied at once.")]


RefreshOpt = Annotated[str, typer.Option(
    "--refresh", "-refresh", metavar="BOOL",
    help="--refresh=false plans offline against the recorded state (no Docker, no hosts).")]
NoRefreshOpt = Annotated[bool, typer.Option("--no-refresh", help="Same as --refresh=false.")]


@app.command()
def plan(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option("-out", "--out", help="Save the plan to FILE.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="The plan as versioned JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="A Markdown summary (CI).")]
    = False,
    detailed_exitcode: Annotated[bool, typer.Option(
        "--detailed-exitcode", help="Exit 0 = no changes, 1 = error, 2 = changes.")] = False,
    target: TargetOpt = None,
    replace: ReplaceOpt = None,
    destroy: Annotated[bool, typer.Option("--destroy", help="Plan to delete everything.")]
    = False,
    refresh: RefreshOpt = "true",
    no_refresh: NoRefreshOpt = False,
    show_noop: Annotated[bool, typer.Option("--show-noop", help="List unchanged resources.")]
    = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain output (CI).")] = False,
    adopt: AdoptOpt = False,
    age_key_file: AgeKeyFileOpt = None,
) -> None:
    """Show what apply would change, without changing anything; check it against the policy
    (exit 1 on deny). Never prompts."""
    g = globals_of(ctx)
    raise typer.Exit(guarded(lambda: with_age_key(age_key_file, lambda: run_plan(
        g, out=out, as_json=as_json, markdown=markdown, detailed_exitcode=detailed_exitcode,
        targets=target or (), replace=replace or (), destroy=destroy, refresh=refresh,
        no_refresh=no_refresh, show_noop=show_noop, no_color=no_color, adopt=adopt))))


@app.command()
def apply(
    ctx: typer.Context,
    plan_file: Annotated[Path | None, typer.Argument(help="A plan saved with -out.")] = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask.")] = False,
    target: TargetOpt = None,
    replace: ReplaceOpt = None,
    parallelism: ParallelismOpt = 10,
    adopt: AdoptOpt = False,
    age_key_file: AgeKeyFileOpt = None,
) -> None:
    """Make the world match the configuration."""
    g = globals_of(ctx)
    raise typer.Exit(guarded(lambda: with_age_key(age_key_file, lambda: run_apply(
        g, plan_file=plan_file, auto_approve=auto_approve, targets=target or (),
        replace=replace or (), parallelism=parallelism, adopt=adopt))))


@app.command()
def destroy(
    ctx: typer.Context,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask.")] = False,
    target: TargetOpt = None,
    parallelism: ParallelismOpt = 10,
    volumes: Annotated[bool, typer.Option(
        "--volumes", help="Also remove named volumes (kept by default).")] = False,
) -> None:
    """Stop and remove everything this project (and session) owns."""
    g = globals_of(ctx)
    raise typer.Exit(guarded(lambda: run_destroy(
        g, auto_approve=auto_approve, targets=target or (), parallelism=parallelism,
        volumes=volumes)))
