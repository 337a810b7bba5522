"""The command line: a typer app (cli/app.py), one module per command group; no logic.

:func:`main` is the console entry. ``validate`` runs without importing typer at all (see
cli/validate_cmd.py) so that it, and the pre-commit hook, start fast; everything else goes
through the typer app.
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if "validate" in argv:
        from reconciler.cli.validate_cmd import fast_path

        code = fast_path(argv)
        if code is not None:
            sys.exit(code)
    if "hook" in argv:
        from reconciler.hook import fast_path as hook_fast_path

        code = hook_fast_path(argv)
        if code is not None:
            sys.exit(code)
    from reconciler.cli.app import run

    run()


__all__ = ["main"]
