"""The typer application, its global options, and the typer side of the error mapping.

Exit codes: 0 success; 1 user error (bad config, policy denial, lock held, failed nodes, usage);
2 ``plan --detailed-exitcode`` with changes present; 3 internal error (with a crash report); 130
interrupted. The mapping itself is :func:`reconciler.cli.common.guarded`, shared with the
typer-free fast path (cli/fast.py); :class:`Globals` and :func:`echo` live there too and are
re-exported here for the command modules. Command modules import the pipeline lazily.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from reconciler.cli.common import CliExit, Globals, echo, guarded, wants_color

app = typer.Typer(
    name="reconciler",
    help="Declarative reconciliation of local processes, containers and hosts: "
         "validate, plan, apply, destroy, status, logs.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Inspect the merged configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@app.callback()
def main_options(
    ctx: typer.Context,
    project: Annotated[Path, typer.Option("--project", "-C", help="Project directory.",
                                          file_okay=False)] = Path("."),
    session: Annotated[str | None, typer.Option(
        "--session", envvar="RECONCILER_SESSION",
        help="Isolated copy of the project (own state, names and ports).")] = None,
    state_dir: Annotated[Path | None, typer.Option(
        "--state-dir", envvar="RECONCILER_STATE_DIR",
        help="Where state lives (default: PROJECT/.reconciler).")] = None,
    state: Annotated[str | None, typer.Option(
        "--state", envvar="RECONCILER_STATE",
        help="State backend URL: postgresql://user@host/db?schema=NAME (default: the SQLite "
             "file in the state dir).")] = None,
    lock_timeout: Annotated[float, typer.Option(
        "--lock-timeout", envvar="RECONCILER_LOCK_TIMEOUT", min=0,
        help="Seconds apply/destroy wait for a project locked by another run.")] = 0.0,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain output.")] = False,
    policy: Annotated[Path | None, typer.Option(
        "--policy", envvar="RECONCILER_POLICY", dir_okay=False,
        help="Session policy layer (default: STATE_DIR/policy.yaml when present).")] = None,
) -> None:
    """Global options, shared by every command."""
    ctx.obj = Globals(project, session, state_dir, wants_color(no_color), policy, state,
                      lock_timeout)


def globals_of(ctx: typer.Context) -> Globals:
    obj = ctx.find_root().obj
    assert isinstance(obj, Globals)
    return obj


COMMAND_MODULES = ("config_cmds", "plan_cmds", "service_cmds", "state_cmds", "run_cmds",
                   "policy_cmds", "ops_cmds", "doctor_cmds", "watch_cmds", "hook_cmds",
                   "net_cmds", "hosts_cmds", "import_cmds", "ui_cmds",
                   "sync_cmds", "secrets_cmds", "export_cmds")  # the order of `--help`


def load_commands() -> None:
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(f"reconciler.cli.{module}")


def typer_errors(exc: Exception) -> int | None:
    """The typer path's part of the error mapping: typer's Exit and Abort, and click's usage
    errors (shown by click; their exit code 2 becomes 1). None for anything else.

    typer >= 0.29 vendors its own click; a click installed beside it (by another package) is
    checked too, never required.
    """
    if isinstance(exc, typer.Exit):
        return int(exc.exit_code)
    if isinstance(exc, typer.Abort):
        echo("aborted", err=True)
        return 1
    # typer >= 0.29 vendors click as typer._click; an older typer uses click itself. Only a
    # module already loaded can have raised, so nothing is imported here (click is not ours).
    classes: list[type[Any]] = [module.ClickException for name in
                                ("typer._click.exceptions", "click.exceptions")
                                if (module := sys.modules.get(name)) is not None]
    for cls in classes:
        if isinstance(exc, cls):
            exc.show()
            code = int(exc.exit_code)
            return 1 if code == 2 else code
    return None


def run(argv: list[str] | None = None) -> None:
    """Console-script entry: run the app; errors become messages and exit codes through the
    same :func:`~reconciler.cli.common.guarded` the fast path uses."""
    def body() -> int:
        from reconciler.cli.common import quiet_library_logs

        quiet_library_logs()
        load_commands()
        code = app(args=argv, standalone_mode=False)
        return code if isinstance(code, int) else 0

    sys.exit(guarded(body, typer_errors))


__all__ = ["CliExit", "Globals", "app", "config_app", "echo", "globals_of", "load_commands",
           "run", "typer_errors"]
