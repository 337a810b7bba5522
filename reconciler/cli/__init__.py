"""The command line: a typer app (cli/app.py), one module per command group; no logic.

:func:`main` is the console entry. The hot commands run without importing typer at all, so
that they start fast: ``plan``, ``apply`` and ``destroy`` through cli/fast.py (the same bodies,
cli/plan_run.py, and the same error mapping as their typer commands), ``validate`` through
cli/validate_cmd.py and the pre-commit hook through reconciler/workflows/hook.py. Whatever
these small parsers do not fully understand (``--help``, odd spellings, bad values)
goes to the typer app.
"""

from __future__ import annotations

import sys

FAST_COMMANDS = frozenset({"plan", "apply", "destroy"})


def main() -> None:
    from reconciler.cli.common import quiet_library_logs

    quiet_library_logs()
    argv = sys.argv[1:]
    if FAST_COMMANDS.intersection(argv):
        from reconciler.cli.fast import dispatch

        code = dispatch(argv)
        if code is not None:
            sys.exit(code)
    if "validate" in argv:
        from reconciler.cli.validate_cmd import fast_path

        code = fast_path(argv)
        if code is not None:
            sys.exit(code)
    if "hook" in argv:
        from reconciler.cli.common import exit_code_for
        from reconciler.workflows.hook import fast_path as hook_fast_path

        try:
            code = hook_fast_path(argv)
        except (Exception, KeyboardInterrupt) as exc:  # a bug: exit 3 with the report hint
            code = exit_code_for(exc)
        if code is not None:
            sys.exit(code)
    from reconciler.cli.app import run

    run()


__all__ = ["main"]
