"""``reconciler run``: hermetic services for one command (a test run, a script, a REPL).

``reconciler run [--with postgres,redis] [--keep] [--session S] -- CMD...`` provisions the
project plus the ``--with`` catalog stacks in a session (``--session``, the global
``--session`` / RECONCILER_SESSION, or a fresh ``run-<hex>``), waits until everything is
healthy, runs CMD with every stack's exports in its environment (DATABASE_URL, REDIS_URL, ...)
and RECONCILER_SESSION, then destroys the session unless ``--keep``. It exits with CMD's exit
code, or 1 when provisioning failed (after printing the log tail of each failed service). It
never prompts. Progress goes to stderr, so CMD owns stdout.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from reconciler.cli.app import Globals, app, echo, globals_of

if TYPE_CHECKING:
    from reconciler.model.types import DesiredState
    from reconciler.workflows.session import StackProject


def _project(g: Globals, session: str, stacks: list[str]) -> StackProject:
    from reconciler.workflows.session import StackProject, parse_with

    return StackProject(g.directory, session=session, state_dir=g.state_dir,
                        with_stacks=tuple(parse_with(stacks)))


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def _run_command(command: list[str], env: dict[str, str]) -> int:
    """Run CMD in the foreground; Ctrl-C reaches it (same process group) and we wait."""
    from reconciler.errors import UserError

    try:
        child = subprocess.Popen(command, env=env)
    except OSError as exc:
        raise UserError(f"cannot run {command[0]!r}: {exc.strerror or exc}",
                        hint="check the command after `--`") from None
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return _exit_code(child.wait())
    finally:
        signal.signal(signal.SIGINT, previous)


def _report_failure(project: StackProject, result: object) -> None:
    from reconciler.engine.apply import ApplyResult
    from reconciler.workflows.session import failed_logs

    assert isinstance(result, ApplyResult)
    for node in result.root_causes():
        echo(f"error: {node.address}: {node.message}", err=True)
    for address, tail in failed_logs(project, result).items():
        echo(f"--- last log lines of {address}:", err=True)
        echo(project.events.redactor(tail), err=True)


def _teardown(g: Globals, project: StackProject, desired: DesiredState | None) -> bool:
    from reconciler.errors import ReconcilerError
    from reconciler.render.progress import ProgressPrinter
    from reconciler.workflows.session import teardown

    try:
        result = teardown(project, desired=desired)
    except ReconcilerError as exc:
        echo(exc.render(), err=True)
        result = None
        ok = False
    else:
        ok = result is None or result.ok
    if result is not None and not ok:
        echo(ProgressPrinter(color=g.color).summary(result, destroy=True), err=True)
    if not ok:
        echo(f"warning: session {project.session} was not fully torn down; finish with: "
             f"reconciler --session {project.session} destroy --auto-approve", err=True)
    return ok


@app.command(context_settings={"allow_interspersed_args": False})
def run(
    ctx: typer.Context,
    command: Annotated[list[str], typer.Argument(
        metavar="-- CMD...", help="The command to run once everything is healthy.")],
    with_: Annotated[list[str] | None, typer.Option(
        "--with", metavar="STACKS",
        help="Catalog stacks to add, comma-separated (NAME=STACK names one). Repeatable.")]
    = None,
    keep: Annotated[bool, typer.Option(
        "--keep", help="Keep the session running afterwards (destroy it yourself).")] = False,
    session: Annotated[str | None, typer.Option(
        "--session", help="Session to use (default: global --session, RECONCILER_SESSION, "
                          "or a fresh run-<hex>).")] = None,
    parallelism: Annotated[int, typer.Option("--parallelism", min=1)] = 10,
) -> None:
    """Provision the project (+ --with stacks), run CMD with their exports, tear down."""
    from reconciler.errors import ConfigError, ReconcilerError
    from reconciler.render.progress import ProgressPrinter
    from reconciler.workflows.session import (
        command_env,
        exports,
        fresh_session,
        provision,
        remember_stacks,
    )

    g = globals_of(ctx)
    name = session or g.session or fresh_session()
    project = _project(g, name, with_ or [])
    printer = ProgressPrinter(color=g.color, stream=sys.stderr)
    project.events.subscribe(printer)
    echo(f"reconciler: session {name}: provisioning", err=True)
    remember_stacks(project)  # CMD's own `reconciler status`, a kept session's destroy
    desired: DesiredState | None = None
    try:
        plan_run, result = provision(project, parallelism=parallelism)
        desired = plan_run.desired
    except ConfigError as exc:
        echo(exc.render(), err=True)
        code = 1
    except ReconcilerError as exc:
        echo(exc.render(), err=True)
        code = 1
    else:
        if result.ok:
            values = exports(desired)
            echo(f"reconciler: session {name} is ready"
                 + (f" ({', '.join(values)})" if values else "") + "; running: "
                 + shlex.join(command), err=True)
            code = _run_command(command, command_env(values, name))
        else:
            echo(printer.summary(result), err=True)
            _report_failure(project, result)
            code = 1
    if keep:
        echo(f"reconciler: kept session {name}; remove it with: "
             f"reconciler -C {shlex.quote(str(g.directory))} --session {name} destroy "
             "--auto-approve", err=True)
    elif not _teardown(g, project, desired):
        code = code or 1
    raise typer.Exit(code)
