"""``reconciler validate``: load, check and build, then report every diagnostic.

This module imports no typer, no pipeline and nothing heavy at import time: the console entry
(:func:`reconciler.cli.main`) runs it directly for ``validate`` so that the command (and the
git pre-commit hook built on it) starts fast. The typer command in config_cmds.py calls the same
:func:`run_validate`, so both paths behave the same.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from reconciler.errors import Diagnostic, Severity


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    return {"severity": d.severity.value, "summary": d.summary, "detail": d.detail,
            "hint": d.hint, "address": d.address,
            "source": str(d.source) if d.source is not None else None}


def run_validate(directory: Path, *, session: str | None = None, strict: bool = False,
                 as_json: bool = False, state_dir: Path | None = None,
                 policy_file: Path | None = None) -> int:
    """Validate the project in ``directory``; print the report; return the exit code."""
    from reconciler.cli.common import Globals, check_path_option

    Globals(directory, session, state_dir, False, policy_file).check_directory()
    check_path_option(state_dir, "--state-dir")
    check_path_option(policy_file, "--policy")
    from reconciler.engine.loading import load_and_build

    loaded = load_and_build(directory, environ=os.environ, session=session, strict=strict)
    docs, diagnostics = loaded.docs, loaded.diagnostics
    if loaded.desired is not None and not loaded.errors:
        from reconciler.cli.validate_compose import compose_cli_diagnostics

        diagnostics += compose_cli_diagnostics(loaded.desired)  # skipped without a Compose CLI
    from reconciler.engine.policy_step import new_diagnostics, policy_layers, state_dir_for

    layers = policy_layers(directory, state_dir_for(directory, session, state_dir),
                           policy_file, os.environ)
    diagnostics += new_diagnostics(layers, diagnostics)  # user, project and session policy
    diagnostics.sort(key=lambda d: d.sort_key())
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    if as_json:
        print(json.dumps({"valid": errors == 0, "files": [str(d.path) for d in docs],
                          "diagnostics": [diagnostic_json(d) for d in diagnostics]}, indent=2))
        return 1 if errors else 0
    for diagnostic in diagnostics:
        stream = sys.stderr if diagnostic.severity is Severity.ERROR else sys.stdout
        print(diagnostic.render(), file=stream)
    if errors:
        print(f"{errors} error(s) in {len(docs)} file(s)", file=sys.stderr)
    else:
        names = ", ".join(sorted({str(d.path.relative_to(directory)) if d.path.is_relative_to(
            directory) else d.path.name for d in docs})) or "no config files"
        print(f"Success! The configuration is valid ({names}).")
    return 1 if errors else 0


def fast_path(argv: list[str]) -> int | None:
    """Run ``[global options] validate [--strict] [--json]`` without typer; None = not ours."""
    from reconciler.cli.fast import fixed_width

    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False,
                                     formatter_class=fixed_width)
    parser.add_argument("-C", "--project", type=Path, default=Path("."))
    parser.add_argument("--session", default=os.environ.get("RECONCILER_SESSION"))
    parser.add_argument("--state-dir", type=Path, default=os.environ.get("RECONCILER_STATE_DIR"))
    parser.add_argument("--policy", type=Path, default=os.environ.get("RECONCILER_POLICY"))
    parser.add_argument("--no-color", action="store_true")
    parser.add_argument("command")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--json", action="store_true")
    try:
        args, rest = parser.parse_known_args(argv)
    except SystemExit:  # not something this small parser understands: let typer answer
        return None
    try:
        if args.command != "validate" or rest or not args.project.is_dir():
            return None
    except OSError:  # a name too long...: the typer path reports it
        return None
    from reconciler.cli.common import guarded

    return guarded(lambda: run_validate(  # a bug exits 3 with the report hint, as elsewhere
        args.project, session=args.session, strict=args.strict, as_json=args.json,
        state_dir=args.state_dir, policy_file=args.policy))
