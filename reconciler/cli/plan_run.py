"""The bodies of ``plan``, ``apply`` and ``destroy``: plain functions, no typer.

Exit codes follow Terraform: ``plan --detailed-exitcode`` exits 0 (no changes), 1 (error or
policy deny) or 2 (changes present). ``apply`` asks for ``yes`` unless ``--auto-approve``; it
never prompts when stdin is not a terminal (it refuses instead). A saved plan (``plan -out
FILE``) is applied only when the configuration and the observed world still hash to what the
plan saw. Every plan is checked against the policy layers; ``apply`` and ``destroy`` refuse a
plan with a deny or an unapproved require_approval before touching anything.

Each ``run_*`` function takes the parsed values and returns the exit code (or raises a
:class:`~reconciler.errors.ReconcilerError` / :class:`~reconciler.cli.common.CliExit`); the
typer commands (cli/plan_cmds.py) and the fast path (cli/fast.py) both call them through
:func:`~reconciler.cli.common.guarded`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.cli.common import CliExit, Globals, echo

if TYPE_CHECKING:
    from reconciler.engine.apply import ApplyResult
    from reconciler.engine.project import PlanRun, Project

SAVED_PLAN_KIND = "reconciler-saved-plan"


def refresh_wanted(value: str, no_refresh: bool) -> bool:
    from reconciler.errors import UserError

    text = value.strip().lower()
    if text not in ("true", "false", "1", "0", "yes", "no"):
        raise UserError(f"--refresh takes true or false, not {value!r}",
                        hint="use --refresh=false (or --no-refresh) to plan offline")
    return text in ("true", "1", "yes") and not no_refresh


def render_plan_text(run: PlanRun, g: Globals, *, show_noop: bool = False) -> str:
    from reconciler.render.text import render_plan

    text = render_plan(run.plan, color=g.color, show_noop=show_noop, policy=run.policy,
                       policy_sources=run.policy_sources)
    from reconciler.engine.importing import adopted_id

    imports = "".join(f"\n{address} will be imported (adopt: {{id: {adopted_id(record)}}}): "
                      "nothing is started or stopped" for address, record in run.imports.items())
    return run.redactor(text + imports)


def plan_json(run: PlanRun) -> str:
    from reconciler.render.json import plan_document
    from reconciler.render.policy import policy_json

    document = plan_document(run.plan)
    document["policy"] = policy_json(run.policy, run.policy_sources)
    return json.dumps(run.redactor.scrub(document), indent=2)


def emit_warnings(run: PlanRun) -> None:
    for warning in run.warnings:
        echo(warning.render(), err=True)


def run_plan(g: Globals, *, out: Path | None = None, as_json: bool = False,
             markdown: bool = False, detailed_exitcode: bool = False,
             targets: Sequence[str] = (), replace: Sequence[str] = (), destroy: bool = False,
             refresh: str = "true", no_refresh: bool = False, show_noop: bool = False,
             no_color: bool = False, adopt: bool = False) -> int:
    """``reconciler plan``: print the plan, check the policy, maybe save it."""
    g.color = g.color and not no_color
    project = g.project()
    project.adopt = adopt
    run = project.plan(targets=targets, replace=replace, destroy=destroy,
                       refresh=refresh_wanted(refresh, no_refresh))
    emit_warnings(run)
    if as_json:
        echo(plan_json(run))
    elif markdown:
        from reconciler.render.markdown import render_plan_md

        echo(run.redactor(render_plan_md(run.plan, policy=run.policy,
                                         policy_sources=run.policy_sources)))
    else:
        echo(render_plan_text(run, g, show_noop=show_noop))
    if run.policy.denied:
        project.enforce(run)  # raises PolicyDenied: exit 1, the plan is not saved
    if out is not None:
        save_plan(out, project, run, destroy=destroy, replace=replace)
        if not as_json:
            echo(f"\nSaved the plan to: {out}\nTo perform exactly these actions, run: "
                 f"reconciler apply {out}")
    return 2 if detailed_exitcode and run.plan.has_changes else 0


def save_plan(path: Path, project: Project, run: PlanRun, *, destroy: bool,
              replace: Sequence[str] = ()) -> None:
    """A saved plan holds addresses, actions and hashes; secrets only as keyed hashes (and
    masked where one was interpolated into a plain field). ``replace`` (``plan --replace``)
    is kept so that ``apply PLANFILE`` re-plans with it (else the replan differs: stale)."""
    from reconciler.engine.plan import to_json
    from reconciler.render.policy import policy_json

    document = {"kind": SAVED_PLAN_KIND, "format_version": 1,
                "project_dir": str(project.directory.resolve()), "session": project.session,
                "destroy": destroy, "adopt": project.adopt, "replace": list(replace),
                "plan": to_json(run.plan),
                "policy": policy_json(run.policy, run.policy_sources)}
    from reconciler.errors import UserError

    try:  # created owner-only (no window in which others could read it), then written
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(json.dumps(run.redactor.scrub(document), indent=2) + "\n")
    except OSError as exc:
        raise UserError(f"cannot save the plan to {path}: {exc.strerror or exc}",
                        hint="pass a file path to -out, e.g. -out plan.json") from None


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
    """Ask for ``yes`` on a terminal; anything else (or end of input) cancels with exit 1."""
    from reconciler.errors import UserError

    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UserError(f"refusing to {action} without confirmation: stdin is not a terminal",
                        hint="pass --auto-approve (CI), or run it interactively")
    echo(f"\nDo you want to {action}? Only 'yes' will be accepted to approve.")
    try:
        answer = input("  Enter a value: ").strip()
    except EOFError:
        answer = ""
    if answer != "yes":
        echo(f"\n{action.capitalize()} cancelled.")
        raise CliExit(1)


def execute(g: Globals, project: Project, run: PlanRun, parallelism: int, kind: str) -> None:
    from reconciler.render.progress import ProgressPrinter

    printer = ProgressPrinter(color=g.color)
    project.events.subscribe(printer)
    result = project.execute(run, parallelism=parallelism, kind=kind)
    echo(printer.summary(result, destroy=kind == "destroy"))
    raise_for_failures(result, kind)


def raise_for_failures(result: ApplyResult, kind: str) -> None:
    """ApplyFailed (exit 1) when nodes failed; InternalError (exit 3, with the bug's
    traceback as its cause) when one failed because of a bug rather than the world."""
    from reconciler.errors import ApplyFailed, InternalError

    if result.ok:
        return
    causes = "; ".join(f"{r.address}: {r.message}" for r in result.root_causes())
    bug = next((r.error for r in result.root_causes() if r.error is not None), None)
    if bug is not None:
        raise InternalError(f"{kind} failed: {causes}",
                            hint="this is a bug in reconciler: please report it with the "
                                 "crash report below; finished nodes are kept") from bug
    raise ApplyFailed(f"{kind} failed: {causes}",
                      hint="fix the cause and run apply again: finished nodes are kept")


def run_apply(g: Globals, *, plan_file: Path | None = None, auto_approve: bool = False,
              targets: Sequence[str] = (), replace: Sequence[str] = (),
              parallelism: int = 10, adopt: bool = False) -> int:
    """``reconciler apply [PLAN_FILE]``: plan (or re-check a saved plan), confirm, execute.
    ``adopt`` takes over objects another state made (a saved plan keeps its own choice)."""
    project = g.project()
    project.adopt = adopt
    if plan_file is not None:
        saved = load_saved(plan_file)
        plan_doc = saved["plan"]
        assert isinstance(plan_doc, dict)
        project.adopt = adopt or bool(saved.get("adopt"))
        with project.locked():
            replaced = saved.get("replace")
            run = project.plan(targets=list(plan_doc.get("targets", ())),
                               replace=[str(a) for a in replaced or ()]
                               if isinstance(replaced, list) else [],
                               destroy=bool(saved.get("destroy")))
            project.check_saved(run, str(plan_doc.get("inputs_hash")))
            project.enforce(run, plan_file=str(plan_file))
            execute(g, project, run, parallelism, "apply")
        return 0
    with project.locked():
        run = project.plan(targets=targets, replace=replace)
        emit_warnings(run)
        echo(render_plan_text(run, g))
        if not run.plan.has_changes:
            project.execute(run)  # records the `adopt:` imports, if any; opens no run
            if run.imports:  # taken over as they run: only the records change
                echo(f"Imported {len(run.imports)}; nothing was started or stopped.")
            return 0
        project.enforce(run)
        confirm("perform these actions", auto_approve)
        execute(g, project, run, parallelism, "apply")
    return 0


def run_destroy(g: Globals, *, auto_approve: bool = False, targets: Sequence[str] = (),
                parallelism: int = 10, volumes: bool = False,
                project: Project | None = None) -> int:
    """``reconciler destroy``: plan the deletion of everything owned, confirm, execute
    (of ``project``, e.g. a sync agent's checkout, instead of ``-C DIR`` when given)."""
    project = project or g.project()
    project.remove_volumes = volumes
    with project.locked():
        run = project.plan(targets=targets, destroy=True)
        echo(render_plan_text(run, g))
        if not run.plan.has_changes:
            return 0
        project.enforce(run, destroy=True)
        confirm("destroy all these resources", auto_approve)
        execute(g, project, run, parallelism, "destroy")
    return 0
