"""``show`` and ``state list | show | rm | mv``: reading a saved plan or the state, and
editing the state without touching the world (Terraform's ``show`` and ``state``).

``state rm`` forgets a resource: the object keeps running, no longer owned by this state
(the next plan re-adopts it from its ownership marks when it is still configured).
``state mv OLD NEW`` renames a record after a service was renamed in the config: the object
keeps running (a process is found under its new address by its recorded pid and start time,
reconciler/actuators/process/claim.py); containers are refused (their name and labels are
fixed at creation, reconciler/engine/importing.py). All are recorded in the audit log.
``state push --to URL`` / ``state pull --from URL`` copy the project's state between backends
(reconciler/state/transfer.py). ``state prune-audit --before DATE|DURATION`` removes old audit
rows through the sanctioned path past the append-only triggers, leaving a checkpoint;
``state verify-audit`` checks the checkpoint chain (reconciler/state/prune.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reconciler.cli.app import app, echo, globals_of

if TYPE_CHECKING:
    from reconciler.state.records import ResourceRecord

state_app = typer.Typer(help="Read and edit the state (never touches the world).",
                        no_args_is_help=True)
app.add_typer(state_app, name="state")

AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _record_json(record: ResourceRecord, held: bool) -> dict[str, object]:
    return {"address": str(record.address), "kind": record.address.kind,
            "status": record.status, "held": held, "spec_hash": record.spec_hash,
            "depends_on": list(record.depends_on), "spec": record.spec,
            "facts": record.facts, "applied_at": record.applied_at, "run_id": record.run_id}


def _address(text: str) -> Any:
    from reconciler.errors import UserError
    from reconciler.model.types import Address

    try:
        return Address.parse(text)
    except ValueError:
        raise UserError(f"not a resource address: {text!r}",
                        hint="use kind.name[@host], e.g. process.api (see `state list`)") \
            from None


@app.command()
def show(
    ctx: typer.Context,
    plan_file: Annotated[Path | None, typer.Argument(
        help="A plan saved by `plan -out` (default: show the state).", dir_okay=False)] = None,
    as_json: AsJson = False,
) -> None:
    """Show a saved plan, or the state, in human or JSON form."""
    g = globals_of(ctx)
    if plan_file is not None:
        from reconciler.cli.plan_run import load_saved
        from reconciler.engine.plan import from_json
        from reconciler.render.text import render_plan

        saved = load_saved(plan_file)
        if as_json:
            echo(json.dumps(saved, indent=2))
            return
        plan_doc = saved["plan"]
        assert isinstance(plan_doc, dict)
        echo(f"Saved plan of {saved.get('project_dir')}"
             + (f" (session {saved['session']})" if saved.get("session") else ""))
        echo(render_plan(from_json(plan_doc), color=g.color))
        return
    store = g.project().store
    held = store.holds()
    records = store.resources()
    if as_json:
        echo(json.dumps({"format_version": "1", "resources": [
            _record_json(r, str(a) in held) for a, r in records.items()]}, indent=2))
        return
    if not records:
        echo("The state is empty: nothing has been applied yet.")
    for address, record in records.items():
        mark = "  (held stopped)" if str(address) in held else ""
        echo(f"# {address}: {record.status}{mark}")
        for key, value in sorted(record.spec.items()):
            echo(f"    {key} = {json.dumps(value, default=str)}")


@state_app.command("list")
def state_list(ctx: typer.Context) -> None:
    """Every address recorded in the state, one per line."""
    store = globals_of(ctx).project().store
    held = store.holds()
    for address in store.resources():
        echo(f"{address}{'  (held stopped)' if str(address) in held else ''}")


@state_app.command("id")
def state_id(ctx: typer.Context) -> None:
    """The state's stable id (a uuid), the one every owner mark carries."""
    echo(globals_of(ctx).project().store.state_id())


@state_app.command("show")
def state_show(ctx: typer.Context, address: Annotated[str, typer.Argument()],
               as_json: AsJson = False) -> None:
    """One recorded resource: spec (secrets as keyed hashes), facts, status, run."""
    from reconciler.errors import UserError

    store = globals_of(ctx).project().store
    wanted = _address(address)
    record = store.resources().get(wanted)
    if record is None:
        raise UserError(f"{address} is not in the state", hint="see `reconciler state list`")
    document = _record_json(record, str(wanted) in store.holds())
    echo(json.dumps(document, indent=2, default=str) if as_json else "\n".join(
        f"{k}: {json.dumps(v, default=str)}" for k, v in document.items()))


@state_app.command("rm")
def state_rm(ctx: typer.Context, addresses: Annotated[list[str], typer.Argument()]) -> None:
    """Forget resources without touching them (they keep running, unowned by this state)."""
    from reconciler.errors import UserError

    project = globals_of(ctx).project()
    with project.locked():
        records = project.store.resources()
        for text in addresses:
            address = _address(text)
            if address not in records:
                raise UserError(f"{text} is not in the state",
                                hint="see `reconciler state list`")
            project.store.forget(address, run_id=None)
            echo(f"Removed {address} from the state")


@state_app.command("mv")
def state_mv(ctx: typer.Context, old: Annotated[str, typer.Argument(help="Recorded address.")],
             new: Annotated[str, typer.Argument(help="The address it gets.")],
             dry_run: Annotated[bool, typer.Option(
                 "--dry-run", help="Print what would move; change nothing.")] = False) -> None:
    """Rename a record (the service was renamed in the config); it keeps running."""
    from reconciler.engine.importing import check_move
    from reconciler.state.moves import move

    project = globals_of(ctx).project()
    src, dest = _address(old), _address(new)
    with project.locked():
        check_move(project, src, dest)
        if dry_run:
            echo(f"Would move {src} to {dest} (dry run: nothing changed)")
            return
        move(project.store.backend, src, dest)
    echo(f"Moved {src} to {dest}")


def _copy(ctx: typer.Context, *, to: str | None = None, source: str | None = None) -> None:
    from reconciler.state import transfer
    from reconciler.state.store import StateStore

    g = globals_of(ctx)
    mine = g.project().store
    other = StateStore.open_project(g.directory, g.session, g.state_dir, to or source,
                                    project=mine.project, environ=mine.environ)
    try:
        src, dest = (mine, other) if to else (other, mine)
        done = transfer.copy(src, dest)
    finally:
        other.close()
    echo(f"Copied the state of {done['from']} to {done['to']}: serial {done['serial']} "
         f"(was {done['previous_serial']}), {done['resources']} resource(s), "
         f"{done['events']} new audit row(s)")


@state_app.command("push")
def state_push(ctx: typer.Context, to: Annotated[str, typer.Option(
        "--to", help="Destination state URL (postgresql://... or a SQLite file).")]) -> None:
    """Copy this project's state to another backend (refused if that one is newer)."""
    _copy(ctx, to=to)


@state_app.command("pull")
def state_pull(ctx: typer.Context, source: Annotated[str, typer.Option(
        "--from", help="Source state URL (postgresql://... or a SQLite file).")]) -> None:
    """Copy another backend's state of this project here (refused if this one is newer)."""
    _copy(ctx, source=source)


@state_app.command("rotate-key")
def state_rotate_key(ctx: typer.Context) -> None:
    """Make a new secret key and re-hash the recorded secrets the current config supplies."""
    from reconciler.engine.rotate_key import rotate

    project = globals_of(ctx).project()
    with project.locked():
        done = rotate(project)
    echo(f"New secret key in {project.store.key_file}: {len(done.rehashed)} record(s) "
         f"re-hashed" + (f", {len(done.kept)} left as they were (not in sync with the "
                         f"config; they show as changed once)" if done.kept else ""))


def cutoff(text: str, now: float) -> float:
    """``30d``, ``12h``, ``90m``, ``45s`` ago, or an ISO date/time (UTC unless it says)."""
    import re
    from datetime import UTC, datetime

    from reconciler.errors import UserError

    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if found:
        scale = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[found.group(2)]
        return now - float(found.group(1)) * scale
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--before {text!r} is neither a date nor a duration",
                        hint="e.g. --before 30d, --before 12h or --before 2026-11-01") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


@state_app.command("prune-audit")
def state_prune_audit(ctx: typer.Context, before: Annotated[str, typer.Option(
        "--before", help="Remove audit rows older than this: a duration ago (30d, 12h) or "
        "an ISO date/time.")], as_json: AsJson = False) -> None:
    """Remove old audit rows (events, decision records), leaving a verifiable checkpoint."""
    import time

    done = globals_of(ctx).project().store.prune_audit(cutoff(before, time.time()))
    if as_json:
        echo(json.dumps(done, indent=2))
    elif done["rows"] or done["decisions"]:
        echo(f"Pruned {done['rows']} audit row(s) and {done['decisions']} decision record(s);"
             f" checkpoint {str(done['digest'])[:12]}")
    else:
        echo("Nothing to prune.")


@state_app.command("verify-audit")
def state_verify_audit(ctx: typer.Context) -> None:
    """Check the audit log's prune checkpoints (exit 1 when the chain is broken)."""
    from reconciler.errors import UserError

    problems = globals_of(ctx).project().store.verify_audit()
    if problems:
        raise UserError("the audit log does not verify: " + "; ".join(problems),
                        hint="rows were removed outside `reconciler state prune-audit`")
    echo("The audit log verifies.")
