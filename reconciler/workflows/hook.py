"""The git pre-commit hook: validate the STAGED config files and policy, never the work tree.

:func:`run_hook` lists the project's config files in the index (``git ls-files -s``), writes
their staged contents (``git show :<path>``) into a temporary directory that mirrors the
repository, and runs the same checks as ``reconciler validate`` (load, schemas, model build)
plus the project's ``policy.yaml``, with diagnostics shown at their repository paths
(``deploy/services.yaml:4:7``). No Docker, SSH, network or state database; no typer either:
:func:`fast_path` runs ``reconciler [-C DIR] hook run`` straight from the console entry.
:func:`install` writes ``.git/hooks/pre-commit`` (refusing to replace a foreign hook).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from reconciler.config.discover import KNOWN_FILES
from reconciler.errors import Diagnostic, ReconcilerError, Severity, UserError

MARK = "# installed by `reconciler hook install`"


def git(args: list[str], cwd: Path) -> str:
    """Run git in ``cwd``; its stdout, or a UserError with git's message."""
    return git_bytes(args, cwd).decode(errors="replace")


def git_bytes(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=30,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise UserError(f"cannot run git: {exc}", hint="install git") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip() or f"git {args[0]} failed"
        raise UserError(message, hint="run this inside a git work tree")
    return done.stdout


def locate(project_dir: Path) -> tuple[Path, str]:
    """The repository's top level and the project's path inside it (``""`` at the top)."""
    root = Path(git(["rev-parse", "--show-toplevel"], project_dir).strip())
    try:
        relative = project_dir.resolve().relative_to(root.resolve())
    except ValueError:
        raise UserError(f"{project_dir} is not inside the repository {root}") from None
    return root, "" if str(relative) == "." else relative.as_posix()


def staged_configs(root: Path, prefix: str) -> list[str]:
    """Repository paths of the project's config files present in the index."""
    names = [f"{prefix}/{name}" if prefix else name for name, _ in KNOWN_FILES]
    listing = git(["ls-files", "-s", "-z", "--", *names], root)
    paths = [entry.split("\t", 1)[1] for entry in listing.split("\0") if "\t" in entry]
    return sorted(set(paths), key=names.index)


def export_staged(root: Path, paths: list[str], dest: Path) -> None:
    for path in paths:
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(git_bytes(["show", f":{path}"], root))


def export_encrypted(root: Path, dest: Path, directory: Path) -> None:
    """The staged version of every SOPS-encrypted file a staged config references (their key
    names are checked without decrypting); one that is not staged stays missing."""
    from reconciler.config import load
    from reconciler.model.sops_refs import references

    wanted = {os.path.relpath(ref.file, dest) for ref in references(load(directory)[0])}
    wanted = {path for path in wanted if not path.startswith("..")}
    if not wanted:
        return
    listing = git(["ls-files", "-s", "-z", "--", *sorted(wanted)], root)
    export_staged(root, [e.split("\t", 1)[1] for e in listing.split("\0") if "\t" in e], dest)


def check_project(directory: Path) -> list[Diagnostic]:
    """What ``validate`` reports for ``directory``, plus its own policy.yaml."""
    from reconciler.engine.loading import load_and_build
    from reconciler.engine.policy_step import new_diagnostics, project_policy_path

    diagnostics = load_and_build(directory, environ=os.environ).diagnostics
    diagnostics += new_diagnostics([(project_policy_path(directory), "project")], diagnostics)
    return sorted(diagnostics, key=Diagnostic.sort_key)


def run_hook(project_dir: Path, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Validate the staged config of the project in ``project_dir``; the exit code."""
    root, prefix = locate(project_dir)
    paths = staged_configs(root, prefix)
    if not paths:
        print("reconciler: no config files staged for this project; nothing to check",
              file=out)
        return 0
    with tempfile.TemporaryDirectory(prefix="reconciler-hook-") as temp:
        export_staged(root, paths, Path(temp))
        directory = Path(temp) / prefix if prefix else Path(temp)
        export_encrypted(root, Path(temp), directory)
        diagnostics = check_project(directory)
        errors = 0
        for diagnostic in diagnostics:
            text = diagnostic.render().replace(temp + os.sep, "")
            failed = diagnostic.severity is Severity.ERROR
            errors += failed
            print(text, file=err if failed else out)
    if errors:
        print(f"reconciler: {errors} error(s) in the staged files; commit refused "
              "(fix them and `git add` again)", file=err)
        return 1
    print(f"reconciler: staged configuration is valid ({', '.join(paths)})", file=out)
    return 0


def hook_script(prefix: str) -> str:
    command = [sys.executable, "-m", "reconciler", "-C", prefix or ".", "hook", "run"]
    return (f"#!/bin/sh\n{MARK}: validates the STAGED reconciler config and policy.\n"
            f"exec {shlex.join(command)}\n")


def install(project_dir: Path, *, force: bool = False) -> tuple[Path, bool]:
    """Write the pre-commit hook; returns its path and whether a foreign hook was replaced."""
    root, prefix = locate(project_dir)
    hooks = Path(git(["rev-parse", "--git-path", "hooks"], root).strip())
    path = hooks if hooks.is_absolute() else root / hooks
    path = path / "pre-commit"
    foreign = path.exists() and MARK not in path.read_text(errors="replace")
    if foreign and not force:
        raise UserError(f"{path} already exists and was not written by reconciler",
                        hint="merge it by hand, or pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hook_script(prefix))
    path.chmod(0o755)
    return path, foreign


def fast_path(argv: list[str]) -> int | None:
    """Run ``[-C DIR] hook run`` without typer; None when argv is something else."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("-C", "--project", type=Path, default=Path("."))
    parser.add_argument("--no-color", action="store_true")
    parser.add_argument("words", nargs="*")
    try:
        args, rest = parser.parse_known_args(argv)
    except SystemExit:
        return None
    if args.words != ["hook", "run"] or rest or not args.project.is_dir():
        return None
    try:
        return run_hook(args.project)
    except ReconcilerError as exc:  # every error of the tree, with its own exit code
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
