"""The typer-free fast path of ``plan``, ``apply`` and ``destroy`` (no typer, click or pydantic).

typer builds pydantic adapters for every parameter when it parses, which costs more than a
no-op plan itself. :func:`dispatch` parses exactly what the typer app accepts for these three
commands, with argparse, and runs the same functions (cli/plan_run.py) through the same error
mapping (:func:`reconciler.cli.common.guarded`). It returns None for anything it does not fully
understand: ``--help``, unknown or abbreviated options, a value that looks like an option, a
missing value, an empty ``NAME=``, a bad number, spellings click reads differently
(``-C=DIR``, ``-CDIR``), a ``-C`` that is not an existing directory, a ``--policy`` that is a
directory... The typer app then answers, with typer's own messages.
tests/unit/cli/test_fast_path.py runs both paths on the same argument vectors and compares
their output.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from reconciler.cli.common import Globals, guarded, wants_color

# option spelling -> does it take a value (global options come before the command)
GLOBAL_OPTIONS = {"-C": True, "--project": True, "--session": True, "--state-dir": True,
                  "--policy": True, "--no-color": False, "--state": True,
                  "--lock-timeout": True}
TARGETING = {"--target": True, "--replace": True}
COMMAND_OPTIONS: dict[str, dict[str, bool]] = {
    "plan": {"-out": True, "--out": True, "--json": False, "--markdown": False,
             "--detailed-exitcode": False, **TARGETING, "--destroy": False, "--refresh": True,
             "-refresh": True, "--no-refresh": False, "--show-noop": False,
             "--no-color": False, "--adopt": False},
    "apply": {"--auto-approve": False, **TARGETING, "--parallelism": True, "--adopt": False},
    "destroy": {"--auto-approve": False, "--target": True, "--parallelism": True,
                "--volumes": False},
}
POSITIONALS = {"plan": 0, "apply": 1, "destroy": 0}  # apply [PLAN_FILE]


def plain_tokens(tokens: list[str], options: dict[str, bool]) -> bool:
    """True when every option-like token is an exact spelling click reads the way argparse does.

    ``NAME=VALUE`` is accepted for options that take a value, except one-letter ones (click
    reads ``-C=x`` as the directory ``=x``). Empty strings, ``-`` and ``--`` are refused too.
    """
    for token in tokens:
        if not token or token in ("-", "--"):
            return False
        if not token.startswith("-"):
            continue
        name, eq, value = token.partition("=")
        if not (options.get(name) if eq else name in options):
            return False
        if eq and (len(name) == 2 or not value):
            return False
    return True


class Unparsed(Exception):
    """argparse found something wrong: the typer app will say what (argparse says nothing)."""


class Parser(argparse.ArgumentParser):
    def __init__(self) -> None:
        super().__init__(add_help=False, allow_abbrev=False, exit_on_error=False,
                         formatter_class=fixed_width)

    def error(self, message: str) -> NoReturn:
        raise Unparsed(message)


def fixed_width(*, prog: str) -> argparse.HelpFormatter:
    """The formatter of the fast parsers: they never print help (typer answers), and the
    default width asks shutil (which imports lzma and bz2) for the terminal size at every
    ``add_argument``."""
    return argparse.HelpFormatter(prog, width=100)


def split_globals(argv: list[str]) -> tuple[list[str], str, list[str]] | None:
    """``[global options] COMMAND [rest]``, walking the tokens the way click's group does."""
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        name = argv[index].partition("=")[0]
        takes_value = GLOBAL_OPTIONS.get(name)
        if takes_value is None:
            return None
        index += 2 if takes_value and "=" not in argv[index] else 1
    if index >= len(argv):
        return None
    return argv[:index], argv[index], argv[index + 1:]


def global_parser() -> argparse.ArgumentParser:
    parser = Parser()
    parser.add_argument("-C", "--project", default=".")
    parser.add_argument("--session", default=os.environ.get("RECONCILER_SESSION") or None)
    parser.add_argument("--state-dir", default=os.environ.get("RECONCILER_STATE_DIR") or None)
    parser.add_argument("--policy", default=os.environ.get("RECONCILER_POLICY") or None)
    parser.add_argument("--no-color", action="store_true")
    parser.add_argument("--state", default=os.environ.get("RECONCILER_STATE") or None)
    parser.add_argument("--lock-timeout",
                        default=os.environ.get("RECONCILER_LOCK_TIMEOUT") or "0")
    return parser


def command_parser(command: str) -> argparse.ArgumentParser:
    parser = Parser()
    for spelling, takes_value in COMMAND_OPTIONS[command].items():
        if spelling in ("-out", "-refresh"):
            continue  # added together with their long names below
        names = [f"-{spelling[2:]}", spelling] if spelling in ("--out", "--refresh") \
            else [spelling]
        if spelling in TARGETING:
            parser.add_argument(*names, action="append", default=[])
        elif takes_value:
            parser.add_argument(*names)
        else:
            parser.add_argument(*names, action="store_true")
    return parser


def parse(argv: list[str]) -> tuple[Globals, str, dict[str, object]] | None:
    """The globals, the command and its keyword arguments; None when typer should answer."""
    split = split_globals(argv)
    if split is None or split[1] not in COMMAND_OPTIONS:
        return None
    head, command, rest = split
    options = COMMAND_OPTIONS[command]
    if not plain_tokens(head, GLOBAL_OPTIONS) or not plain_tokens(rest, options):
        return None
    try:
        top = global_parser().parse_args(head)
        args, positionals = command_parser(command).parse_known_args(rest)
    except (argparse.ArgumentError, Unparsed):  # a missing value, a value like an option
        return None
    if len(positionals) > POSITIONALS[command] or any(p.startswith("-") for p in positionals):
        return None
    directory = Path(top.project)
    policy = Path(top.policy) if top.policy else None
    try:
        if not directory.is_dir() or (policy is not None and policy.is_dir()):
            return None  # typer's file_okay/dir_okay checks (and a project that is not there)
    except OSError:  # a name too long...: the typer path reports it
        return None
    values = vars(args)
    parallelism = values.pop("parallelism", None)
    if parallelism is not None:
        if not re.fullmatch(r"[0-9]+", str(parallelism)) or int(str(parallelism)) < 1:
            return None  # typer: not an int, or below --parallelism's min=1
        values["parallelism"] = int(str(parallelism))
    keywords = {key: value for key, value in values.items() if value is not None}
    if "target" in keywords:
        keywords["targets"] = keywords.pop("target")
    if "json" in keywords:
        keywords["as_json"] = keywords.pop("json")
    if "out" in keywords:
        keywords["out"] = Path(str(keywords["out"]))
    if positionals:
        keywords["plan_file"] = Path(positionals[0])
    state_dir = Path(top.state_dir) if top.state_dir else None
    if not re.fullmatch(r"[0-9]+(\.[0-9]*)?", str(top.lock_timeout)):
        return None  # typer: not a number, or below --lock-timeout's min=0
    g = Globals(directory, top.session, state_dir, wants_color(top.no_color), policy,
                top.state, float(top.lock_timeout))
    return g, command, keywords


def dispatch(argv: list[str]) -> int | None:
    """Run ``plan``/``apply``/``destroy`` without typer and return the exit code; None when
    the typer app should handle ``argv``."""
    parsed = parse(argv)
    if parsed is None:
        return None
    g, command, keywords = parsed
    from reconciler.cli import plan_run

    runners: dict[str, Callable[..., int]] = {"plan": plan_run.run_plan,
                                              "apply": plan_run.run_apply,
                                              "destroy": plan_run.run_destroy}
    return guarded(lambda: runners[command](g, **keywords))
