"""The command line: a typer app, one module per command group; no logic of its own.

The command modules are imported in the order `reconciler --help` lists their commands.
"""

import importlib

from reconciler.cli.app import app, run

COMMAND_MODULES = ("config_cmds", "plan_cmds", "ops_cmds")
for _module in COMMAND_MODULES:
    importlib.import_module(f"reconciler.cli.{_module}")

main = run

__all__ = ["COMMAND_MODULES", "app", "main", "run"]
