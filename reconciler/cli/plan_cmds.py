"""``plan``, ``apply`` and ``destroy``: Terraform's workflow over the pipeline.

Exit codes follow Terraform: ``plan --detailed-exitcode`` exits 0 (no changes), 1 (error or
policy deny) or 2 (changes present). ``apply`` asks for ``yes`` unless ``--auto-approve``; it
never prompts when stdin is not a terminal (it refuses instead). A saved plan (``plan -out
FILE``) is applied only when the configuration and the observed world still hash to what the
plan saw. Every plan is checked against the policy layers; ``apply`` and ``destroy`` refuse a
plan with a deny or an unapproved require_approval before touching anything.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconciler.cli.app import Globals, app, echo, globals_of

if TYPE_CHECKING:
    from reconciler.pipeline import PlanRun, Project

SAVED_PLAN_KIND = "reconciler-saved-plan"

TargetOpt = Annotated[list[str] | None, typer.Option(
    "--target", metavar="ADDR",
    help="Limit to this address (and what it depends on). Repeatable.")]
ReplaceOpt = Annotated[list[str] | None, typer.Option(
    "--replace", metavar="ADDR", help="Force replacement of this address. Repeatable.")]
ParallelismOpt = Annotated[int, typer.Option(
    "--parallelism", min=1, help="How many nodes may be applied at once.")]


RefreshOpt = Annotated[str, typer.Option(
    "--refresh", "-refresh", metavar="BOOL",
    help="--refresh=false plans offline against the recorded state (no Docker, no hosts).")]
NoRefreshOpt = Annotated[bool, typer.Option("--no-refresh", help="Same as --refresh=false.")]


def refresh_wanted(value: str, no_refresh: bool) -> bool:
    from reconciler.errors import UserError

    text = value.strip().lower()
    if text not in ("true", "false", "1", "0", "yes", "no"):
        raise UserError(f"--refresh takes true or false, not {value!r}",
                        hint="use --refresh=false (or --no-refresh) to plan offline")
    return text in ("true", "1", "yes") and not no_refresh


def render_plan_text(run: PlanRun, g: Globals, *, show_noop: bool = False) -> str:
    from reconciler.render.text import render_plan

    return render_plan(run.plan, color=g.color, show_noop=show_noop, policy=run.policy,
                       policy_sources=run.policy_sources)


def plan_json(run: PlanRun) -> str:
    from reconciler.render.json import plan_document
    from reconciler.render.policy import policy_json

    document = plan_document(run.plan)
    document["policy"] = policy_json(run.policy, run.policy_sources)
    return json.dumps(document, indent=2)


def emit_warnings(run: PlanRun) -> None:
    for warning in run.warnings:
        echo(warning.render(), err=True)


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
) -> None:
    """Show what apply would change, without changing anything; check it against the policy
    (exit 1 on deny). Never prompts."""
    g = globals_of(ctx)
    g.color = g.color and not no_color
    project = g.project()
    run = project.plan(targets=target or (), replace=replace or (), destroy=destroy,
                       refresh=refresh_wanted(refresh, no_refresh))
    emit_warnings(run)
    if as_json:
        echo(plan_json(run))
    elif markdown:
        from reconciler.render.markdown import render_plan_md

        echo(render_plan_md(run.plan, policy=run.policy, policy_sources=run.policy_sources))
    else:
        echo(render_plan_text(run, g, show_noop=show_noop))
    if run.policy.denied:
        project.enforce(run)  # raises PolicyDenied: exit 1, the plan is not saved
    if out is not None:
        save_plan(out, project, run, destroy=destroy)
        if not as_json:
            echo(f"\nSaved the plan to: {out}\nTo perform exactly these actions, run: "
                 f"reconciler apply {out}")
    raise typer.Exit(2 if detailed_exitcode and run.plan.has_changes else 0)


def save_plan(path: Path, project: Project, run: PlanRun, *, destroy: bool) -> None:
    """A saved plan holds addresses, actions and hashes; secrets only as keyed hashes."""
    from reconciler.plan import to_json
    from reconciler.render.policy import policy_json

    document = {"kind": SAVED_PLAN_KIND, "format_version": 1,
                "project_dir": str(project.directory.resolve()), "session": project.session,
                "destroy": destroy, "plan": to_json(run.plan),
                "policy": policy_json(run.policy, run.policy_sources)}
    path.write_text(json.dumps(document, indent=2) + "\n")
    path.chmod(0o600)


def load_saved(path: Path) -> dict[str, object]:
    from reconciler.errors import UserError

    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read saved plan {path}: {exc}") from None
    if not isinstance(document, dict) or document.get("kind") != SAVED_PLAN_KIND:
        raise UserError(f"{path} is not a reconciler saved plan",
                        hint="make one with `reconciler plan -out FILE`")
    return document


def confirm(action: str, auto_approve: bool) -> None:
    from reconciler.errors import UserError

    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UserError(f"refusing to {action} without confirmation: stdin is not a terminal",
                        hint="pass --auto-approve (CI), or run it interactively")
    echo(f"\nDo you want to {action}? Only 'yes' will be accepted to approve.")
    answer = input("  Enter a value: ").strip()
    if answer != "yes":
        echo(f"\n{action.capitalize()} cancelled.")
        raise typer.Exit(1)


def execute(g: Globals, project: Project, run: PlanRun, parallelism: int, kind: str) -> None:
    from reconciler.errors import ApplyFailed
    from reconciler.render.progress import ProgressPrinter

    printer = ProgressPrinter(color=g.color)
    project.events.subscribe(printer)
    result = project.execute(run, parallelism=parallelism, kind=kind)
    echo(printer.summary(result, destroy=kind == "destroy"))
    if not result.ok:
        causes = "; ".join(f"{r.address}: {r.message}" for r in result.root_causes())
        raise ApplyFailed(f"{kind} failed: {causes}",
                          hint="fix the cause and run apply again: finished nodes are kept")


@app.command()
def apply(
    ctx: typer.Context,
    plan_file: Annotated[Path | None, typer.Argument(help="A plan saved with -out.")] = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask.")] = False,
    target: TargetOpt = None,
    replace: ReplaceOpt = None,
    parallelism: ParallelismOpt = 10,
) -> None:
    """Make the world match the configuration."""
    g = globals_of(ctx)
    project = g.project()
    if plan_file is not None:
        saved = load_saved(plan_file)
        plan_doc = saved["plan"]
        assert isinstance(plan_doc, dict)
        with project.locked():
            run = project.plan(targets=list(plan_doc.get("targets", ())),
                               destroy=bool(saved.get("destroy")))
            project.check_saved(run, str(plan_doc.get("inputs_hash")))
            project.enforce(run, plan_file=str(plan_file))
            execute(g, project, run, parallelism, "apply")
        return
    with project.locked():
        run = project.plan(targets=target or (), replace=replace or ())
        emit_warnings(run)
        echo(render_plan_text(run, g))
        if not run.plan.has_changes:
            return
        project.enforce(run)
        confirm("perform these actions", auto_approve)
        execute(g, project, run, parallelism, "apply")


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
    project = g.project()
    project.extra["remove_volumes"] = volumes
    with project.locked():
        run = project.plan(targets=target or (), destroy=True)
        echo(render_plan_text(run, g))
        if not run.plan.has_changes:
            return
        project.enforce(run, destroy=True)
        confirm("destroy all these resources", auto_approve)
        execute(g, project, run, parallelism, "destroy")
