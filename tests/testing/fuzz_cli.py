"""Feeding one fuzzed input to the CLI's own entry point and judging the outcome (issue 27).

Every format of :data:`LOADERS` is a file written into a fresh project directory (beside the
seed files it needs), then ``reconciler.cli.main`` runs in-process with ``sys.argv`` set and
stdout/stderr captured: ``-C DIR validate`` for the project files, ``import wireguard FILE``
for wg-quick. The ``cli`` format is a random argument vector run against a valid project.
:func:`judge` says what happened: ``valid`` (exit 0), ``located`` (a refusal whose every
``error:`` line starts with file:line:col), ``unlocated`` (a refusal with an error line
without a position) or ``crash`` (an exception past the CLI's handler, or exit 3) with a
signature: exception type + the innermost reconciler frame. Used by
tests/benchmarks/fuzz_loaders.py and the crasher replay (tests/unit/config/).
"""

from __future__ import annotations

import io
import json
import random
import re
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testing import fuzz


@dataclass(frozen=True)
class Loader:
    seed: str                # file in tests/fuzz_corpus/seeds/
    path: str                # where the input goes in the project directory
    ext: str                 # extension of a kept crasher
    companions: tuple[str, ...] = ()  # seeds written beside it under their own names


LOADERS: dict[str, Loader] = {
    "services": Loader("services.yaml", "services.yaml", "yaml"),
    "services-target": Loader("services-target.yaml", "services.yaml", "yaml"),
    "locald": Loader("locald.toml", "locald.toml", "toml"),
    "procfile": Loader("Procfile", "Procfile", "procfile"),
    "dotenv": Loader(".env", ".env", "env", ("services.yaml",)),
    "compose": Loader("compose.yaml", "compose.yaml", "yaml"),
    "compose-override": Loader("compose.override.yaml", "compose.override.yaml", "yaml",
                               ("compose.yaml",)),
    "policy": Loader("policy.yaml", "policy.yaml", "yaml", ("services.yaml",)),
    "vendetta": Loader("vendetta-config.yaml", ".vendetta/config.yaml", "yaml"),
    "par": Loader(".par.yaml", ".par.yaml", "yaml"),
    "neona": Loader("neona-policy.yaml", ".ai/policy.yaml", "yaml", ("services.yaml",)),
    "wgquick": Loader("wg0.conf", "wg0.conf", "conf"),
    "cli": Loader("services.yaml", "", "argv", ("services.yaml",)),
}

PROJECT = "{project}"  # in a kept argv: the project directory of the replay
# Words random argument vectors are made of: commands that only read (never apply, start,
# watch or serve), their options, and junk.
WORDS = ("validate", "config", "show", "policy", "import", "wireguard", "hosts", "list",
         "graph", "history", "state", "--json", "--strict", "--no-color", "--session", "-C",
         "--policy", "--name", "--ssh-user", "--help", "--version", "-o", "--", "-",
         "x", "", "=", "--json=1", "--session=a.b", "\x00", "-Cz", "\u00e9", "../", "policy.yaml",
         "wg0.conf", "missing.conf", "--state-dir", "9" * 30, PROJECT, PROJECT + "/services.yaml",
         PROJECT + "/policy.yaml")

# An error line: "error: ..." (no position) or "FILE:LINE:COL: error: ...".
_ERROR = re.compile(r"^(?:(.+?):(-?\d+):(-?\d+): )?error: ")


@dataclass(frozen=True)
class Outcome:
    kind: str    # valid | located | unlocated | crash
    detail: str  # the crash signature, or the first unlocated error line


def prepare(directory: Path, name: str, text: str) -> list[str]:
    """Write input ``text`` of format ``name`` into ``directory``; the argv that loads it."""
    loader = LOADERS[name]
    for companion in loader.companions:
        (directory / companion).write_text(fuzz.seed(companion))
    if name == "cli":
        try:
            argv = json.loads(text)
        except ValueError:
            argv = []
        words = argv if isinstance(argv, list) else []
        return [str(a).replace(PROJECT, str(directory)) for a in words]
    target = directory / loader.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode("utf-8", "surrogatepass"))
    if name == "wgquick":
        return ["import", "wireguard", str(target)]
    return ["-C", str(directory), "validate"]


def random_argv(rng: random.Random) -> str:
    """A random argument vector as kept in a crasher: a JSON list of strings."""
    return json.dumps([rng.choice(WORDS) for _ in range(rng.randint(0, 7))])


def _site(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/reconciler/" in f.filename]
    if not frames:
        return "outside reconciler"
    last = frames[-1]
    return f"{last.filename.rsplit('/reconciler/', 1)[-1]}:{last.lineno}"


def _cache_click_commands() -> None:
    """typer builds the click command tree from the annotations on every call (0.15 s); the
    tree only depends on the app, so a worker builds it once. Behaviour is unchanged."""
    import typer.main

    build = typer.main.get_command
    if getattr(build, "cached", False):
        return
    built: dict[int, Any] = {}

    def cached(typer_instance: typer.Typer) -> Any:
        key = id(typer_instance)
        if key not in built:
            built[key] = build(typer_instance)
        return built[key]

    cached.cached = True  # type: ignore[attr-defined]
    typer.main.get_command = cached


def run_cli(argv: list[str]) -> tuple[int, str, BaseException | None]:
    """Run the console entry with ``argv``: (exit code, stdout + stderr, the crash if any)."""
    import reconciler.cli.common as common
    from reconciler.cli import main

    _cache_click_commands()
    crashes: list[BaseException] = []
    original = common.exit_code_for

    def recording(exc: BaseException, translate: common.Translate | None = None) -> int:
        code = original(exc, translate)
        if code == 3:
            crashes.append(exc)
        return code

    common.exit_code_for = recording
    saved, sys.argv = sys.argv, ["reconciler", *argv]
    out = io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(out):
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception as exc:  # past the CLI's handler: a traceback for the user
                code = 3
                crashes.append(exc)
    finally:
        sys.argv = saved
        common.exit_code_for = original
    return code, out.getvalue(), crashes[-1] if crashes else None


def judge(code: int, output: str, crash: BaseException | None) -> Outcome:
    if crash is not None or code == 3:
        what = f"{type(crash).__name__}@{_site(crash)}" if crash is not None else "exit 3"
        return Outcome("crash", what)
    if code == 0:
        return Outcome("valid", "")
    for line in output.splitlines():
        if not line or line[0].isspace():  # detail and hint lines belong to the line above
            continue
        found = _ERROR.match(line)
        if found is not None and (found.group(1) is None or int(found.group(2)) < 1):
            return Outcome("unlocated", line)
    return Outcome("located", "")


def outcome(directory: Path, name: str, text: str) -> Outcome:
    """Feed ``text`` as format ``name`` through the CLI in the empty ``directory`` (which is
    the working directory meanwhile, for argument vectors without ``-C``)."""
    import os

    argv = prepare(directory, name, text)
    here = os.getcwd()
    os.chdir(directory)
    try:
        return judge(*run_cli(argv))
    finally:
        os.chdir(here)
