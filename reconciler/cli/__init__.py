"""The command line: a typer app, one module per command group; no logic of its own."""

from reconciler.cli import config_cmds, ops_cmds, plan_cmds
from reconciler.cli.app import app, run

main = run

__all__ = ["app", "config_cmds", "main", "ops_cmds", "plan_cmds", "run"]
