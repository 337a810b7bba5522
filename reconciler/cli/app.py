"""The typer application, its global options, and the mapping of errors to exit codes.

Exit codes: 0 success; 1 user error (bad config, policy denial, lock held, failed nodes);
2 ``plan --detailed-exitcode`` with changes present; 3 internal error (with traceback).
Command modules import the pipeline lazily so that ``validate`` stays light.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from reconciler.pipeline import Project

app = typer.Typer(
    name="reconciler",
    help="Declarative reconciliation of local processes, containers and hosts: "
         "validate, plan, apply, destroy, status, logs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Inspect the merged configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@dataclass
class Globals:
    directory: Path
    session: str | None
    state_dir: Path | None
    color: bool
    policy: Path | None = None

    def project(self, *, strict: bool = False) -> Project:
        from reconciler.pipeline import Project

        return Project(self.directory, session=self.session, state_dir=self.state_dir,
                       strict=strict, policy_file=self.policy)


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
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain output.")] = False,
    policy: Annotated[Path | None, typer.Option(
        "--policy", envvar="RECONCILER_POLICY", dir_okay=False,
        help="Session policy layer (default: STATE_DIR/policy.yaml when present).")] = None,
) -> None:
    """Global options, shared by every command."""
    color = not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    ctx.obj = Globals(project, session, state_dir, color, policy)


def globals_of(ctx: typer.Context) -> Globals:
    obj = ctx.find_root().obj
    assert isinstance(obj, Globals)
    return obj


def echo(text: str = "", *, err: bool = False) -> None:
    """Renderers return text; the CLI prints it (the engine never prints)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text if text.endswith("\n") or not text else text + "\n")
    stream.flush()


COMMAND_MODULES = ("config_cmds", "plan_cmds", "run_cmds", "policy_cmds", "ops_cmds",
                   "watch_cmds", "hook_cmds", "net_cmds", "hosts_cmds")  # the order of `--help`


def load_commands() -> None:
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(f"reconciler.cli.{module}")


def usage_error(exc: Exception) -> int | None:
    """Show a click usage error and return its exit code (2 becomes 1); None otherwise.

    typer >= 0.29 vendors its own click, so both ClickException classes are checked.
    """
    import click

    classes: list[type[Any]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException as VendoredClickException
    except ImportError:
        pass
    else:
        classes.append(VendoredClickException)
    for cls in classes:
        if isinstance(exc, cls):
            exc.show()
            code = int(exc.exit_code)
            return 1 if code == 2 else code
    return None


def run() -> None:
    """Console-script entry: run the app and map errors to messages and exit codes."""
    from reconciler.errors import ReconcilerError

    load_commands()
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except ReconcilerError as exc:
        echo(exc.render(), err=True)
        if exc.exit_code == 3:
            import traceback

            traceback.print_exc()
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        echo("aborted", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # an unexpected error is a bug: say so, with the traceback
        code = usage_error(exc)
        if code is not None:
            sys.exit(code)
        import traceback

        echo("internal error (a bug in reconciler; please report it):", err=True)
        traceback.print_exc()
        sys.exit(3)
