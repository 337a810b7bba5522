"""``start``, ``stop``, ``restart`` and ``exec``: the verbs people type first, as thin layers
over the same plan, lease, policy and audit log as ``apply`` (see reconciler.workflows.verbs).

``stop`` keeps a service stopped across ``apply`` and ``watch`` (a hold in the state store,
shown by ``status`` and in the plan) until ``start``; ``restart`` is a replace without a spec
change; ``exec`` runs a one-off command with the service's environment, cwd and host.
"""

from __future__ import annotations

import getpass
import socket
from typing import TYPE_CHECKING, Annotated

import typer

from reconciler.cli.app import app, echo, globals_of

if TYPE_CHECKING:
    from reconciler.cli.common import Globals
    from reconciler.engine.project import Project
    from reconciler.model.types import Address

Services = Annotated[list[str] | None, typer.Argument(help="Service names (default: all).")]


def _who() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def _apply_targets(g: Globals, project: Project, targets: list[Address], *,
                   replace: bool = False, parallelism: int = 10) -> None:
    """Plan the targets (inside the lease), show the plan, apply it: no prompt, like
    ``docker compose stop``/``restart``; the policy still decides."""
    from reconciler.cli.plan_run import emit_warnings, execute, render_plan_text

    names = [str(a) for a in targets]
    run = project.plan(targets=names, replace=names if replace else (), kind="plan")
    emit_warnings(run)
    echo(render_plan_text(run, g))
    if run.plan.has_changes:
        project.enforce(run)
        execute(g, project, run, parallelism, "apply")


@app.command()
def stop(
    ctx: typer.Context,
    services: Services = None,
    force: Annotated[bool, typer.Option("--force", help="Stop even when others need it.")]
    = False,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", "-t", help="Seconds of grace before SIGKILL (default: the service's "
        "shutdown_timeout).")] = None,
) -> None:
    """Stop services and keep them stopped (across apply and watch) until `start`."""
    from reconciler.workflows.verbs import plan_stop

    g = globals_of(ctx)
    project = g.project()
    if timeout is not None:
        project.stop_timeout = timeout
    with project.locked():
        desired, _ = project.desired()
        decision = plan_stop(desired, services or [], project.store.holds(), force=force)
        for orphan in decision.orphans:
            echo(f"warning: {orphan} keeps running without its dependency", err=True)
        for address in decision.addresses:
            project.store.hold(address, who=_who())
        _apply_targets(g, project, decision.addresses)
    echo(f"stopped (held until `reconciler start`): "
         f"{', '.join(a.name for a in decision.addresses)}")


@app.command()
def start(ctx: typer.Context, services: Services = None) -> None:
    """Start services and what they need; releases the holds `stop` left."""
    from reconciler.workflows.verbs import needs, resolve

    g = globals_of(ctx)
    project = g.project()
    with project.locked():
        desired, _ = project.desired()
        wanted = needs(desired, resolve(desired, services or []))
        for address in wanted:
            project.store.release(address)
        _apply_targets(g, project, wanted)


@app.command()
def restart(ctx: typer.Context, services: Services = None) -> None:
    """Replace running services without a spec change (what they need is left alone)."""
    from reconciler.workflows.verbs import resolve

    g = globals_of(ctx)
    project = g.project()
    with project.locked():
        desired, _ = project.desired()
        held = project.store.holds()
        targets = [a for a in resolve(desired, services or []) if str(a) not in held]
        _apply_targets(g, project, targets, replace=True)


@app.command(context_settings={"allow_interspersed_args": False})
def exec(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="The service to run the command as.")],
    command: Annotated[list[str], typer.Argument(help="The command, after `--`.")],
) -> None:
    """Run a one-off command with the service's environment, cwd and host (exit code
    passed through); containers and Compose services through `docker exec`."""
    from reconciler.cli.common import CliExit
    from reconciler.workflows.exec_run import run_exec
    from reconciler.workflows.verbs import exec_argv, resolve

    project = globals_of(ctx).project()
    desired, _ = project.desired()
    address = resolve(desired, [service])[0]
    code = run_exec(project, desired.resources[address], exec_argv(command),
                    lambda text, err: echo(text.rstrip("\n"), err=err) if text else None)
    raise CliExit(code)
