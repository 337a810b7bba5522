"""``policy show``, ``approve PLANFILE``, ``history`` and ``audit export``: the guard rails.

``policy show`` prints the effective policy (every rule of every layer, with its origin).
``approve`` records who approved a saved plan (by its inputs hash) so that ``apply PLANFILE``
lets its require_approval changes through. ``history`` and ``audit export --json`` read the
append-only audit log of the state database; nothing here rewrites it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from reconciler.cli.app import app, echo, globals_of

policy_app = typer.Typer(help="Inspect the effective policy.", no_args_is_help=True)
audit_app = typer.Typer(help="Read the audit log.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")


def _rule_text(rule: dict[str, Any]) -> list[str]:
    lines = [f"  {rule['id']}  {rule['decision']}  [{rule['layer']}] {rule['origin']}"]
    for key in ("description", "match", "when", "condition", "message"):
        if key in rule:
            value = rule[key]
            if isinstance(value, dict):
                value = " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
                                 for k, v in value.items())
            lines.append(f"      {key}: {value}")
    return lines


@policy_app.command("show")
def policy_show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The effective policy: the layers (user, project, session) and every rule with the
    file:line:col it came from. The most severe matching decision wins (deny wins)."""
    from reconciler.engine.policy_step import policy_layers

    project = globals_of(ctx).project()
    layers = policy_layers(project.directory, project.store.state_dir, project.policy_file,
                           project.environ)
    policy = project.policy()
    loaded = {file for _, file in policy.sources}
    if as_json:
        echo(json.dumps({"layers": [{"layer": layer, "file": str(path),
                                     "loaded": str(path) in loaded} for path, layer in layers],
                         "rules": policy.describe()}, indent=2))
        return
    echo("Policy layers (deny wins across all of them):")
    for path, layer in layers:
        echo(f"  {layer:<8} {path}{'' if str(path) in loaded else '  (not present)'}")
    echo("")
    if policy.empty:
        echo("No policy rules: every change is allowed.")
        return
    echo(f"Rules ({len(policy.rules)}):")
    for rule in policy.describe():
        for line in _rule_text(rule):
            echo(line)


@app.command()
def approve(
    ctx: typer.Context,
    plan_file: Annotated[Path, typer.Argument(help="A plan saved with `plan -out`.")],
) -> None:
    """Approve a saved plan: its require_approval changes are allowed when `apply PLANFILE`
    runs exactly that plan (same inputs hash). Recorded with who and when; never lifts a
    deny."""
    from reconciler.cli.plan_run import load_saved
    from reconciler.errors import UserError

    project = globals_of(ctx).project()
    saved = load_saved(plan_file)
    plan_doc, policy = saved.get("plan"), saved.get("policy")
    if not isinstance(plan_doc, dict) or not plan_doc.get("inputs_hash"):
        raise UserError(f"{plan_file} has no plan hash", hint="save it again with plan -out")
    if saved.get("project_dir") != str(project.directory.resolve()) \
            or saved.get("session") != project.session:
        raise UserError(f"{plan_file} was made for {saved.get('project_dir')} "
                        f"(session {saved.get('session')}), not this project",
                        hint="run approve with the same -C and --session as the plan")
    from reconciler.engine.approval import approve as record_approval
    from reconciler.engine.approval import operator

    decisions = policy.get("decisions", []) if isinstance(policy, dict) else []
    verdict = record_approval(
        project.store, [(str(d["address"]), str(d.get("outcome"))) for d in decisions
                        if d.get("final")],
        inputs_hash=str(plan_doc["inputs_hash"]), who=operator(),
        plan_file=str(plan_file.resolve()), what=str(plan_file))
    waiting = verdict.addresses
    what = ", ".join(waiting) if waiting else "nothing in it needed approval"
    echo(f"Approved plan {verdict.inputs_hash[:12]} as {verdict.who} ({what}).\n"
         f"To apply exactly this plan, run: reconciler apply {plan_file}")


def _when(stamp: float | None) -> str:
    return "-" if stamp is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def _summary(run: dict[str, Any]) -> str:
    summary = run.get("summary") or {}
    if not isinstance(summary, dict):
        return str(summary)
    keys = ("create", "update", "replace", "delete", "applied", "failed", "skipped", "deny",
            "require_approval", "warn", "error")
    return ", ".join(f"{k} {summary[k]}" for k in keys if summary.get(k))


@app.command()
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The newest runs (plan, apply, destroy, watch): time, kind, result and summary."""
    runs = globals_of(ctx).project().store.runs(limit)
    if as_json:
        echo(json.dumps(runs, indent=2))
        return
    if not runs:
        echo("No runs recorded yet.")
        return
    rows = [(_when(r["started_at"]), r["kind"], r["result"] or "running", r["user"],
             _summary(r)) for r in runs]
    header = ("TIME", "KIND", "RESULT", "USER", "SUMMARY")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        echo("  ".join(str(c).ljust(w) for c, w in zip(row[:4], widths, strict=True))
             + "  " + str(row[4]))


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option(
        "--json", help="JSON lines (the only format; the flag is accepted for scripts).")]
    = True,
) -> None:
    """Every run, event, decision record and approval as JSON lines (one object each, with a
    "type" field), oldest first. Read-only."""
    for entry in globals_of(ctx).project().store.export():
        echo(json.dumps(entry, sort_keys=True))
