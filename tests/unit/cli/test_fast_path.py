"""The typer-free fast path of plan/apply/destroy (cli/fast.py) against the typer app.

Every argument vector runs twice on a fresh copy of the same small project of local tasks (no
Docker, no long-running process): once through the typer app (``reconciler.cli.app.run``) and
once through the console entry (``reconciler.cli.main``: the fast path, or typer when the fast
parser declines). Exit code, stdout and stderr must be identical, and the table says which
vectors the fast path must handle itself. A subprocess check shows that plan, apply and
destroy import no typer, click or pydantic.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler import cli
from reconciler.cli import app, fast

ROOT = Path(__file__).resolve().parents[3]

SERVICES = """\
version: "1.0"
name: fastpath-{tag}
tasks:
  setup:
    command: "echo ready > ready.txt"
  seed:
    command: "echo seeded > seeded.txt"
    depends_on:
      setup:
        condition: service_completed_successfully
"""


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]  # after `-C PROJECT` unless it starts with "!" (then as given)
    fast: bool  # the fast path handles it (False: typer answers)
    before: tuple[tuple[str, ...], ...] = ()  # run first (fast path), e.g. an apply
    env: tuple[tuple[str, str], ...] = ()


APPLIED = (("apply", "--auto-approve"),)
SAVED = (("plan", "-out", "{tmp}/saved.plan"),)
CASES = [
    Case(("plan",), True),
    Case(("plan", "--json"), True),
    Case(("plan", "--markdown"), True),
    Case(("plan", "--detailed-exitcode"), True),
    Case(("plan", "--detailed-exitcode"), True, before=APPLIED),
    Case(("plan", "--target", "task.setup"), True),
    Case(("plan", "--target=task.setup", "--target", "task.seed"), True),
    Case(("plan", "--replace", "task.setup", "--show-noop"), True, before=APPLIED),
    Case(("plan", "--destroy"), True, before=APPLIED),
    Case(("plan", "--refresh", "false"), True),
    Case(("plan", "-refresh", "no"), True),
    Case(("plan", "--refresh=false"), True),
    Case(("plan", "-refresh=0"), True),
    Case(("plan", "--no-refresh"), True),
    Case(("plan", "--refresh=maybe"), True),
    Case(("plan", "--show-noop"), True, before=APPLIED),
    Case(("plan", "--no-color", "--json", "--markdown"), True),
    Case(("--no-color", "plan", "--no-color"), True),
    Case(("plan", "-out", "{tmp}/a.plan"), True),
    Case(("plan", "--out={tmp}/b.plan", "--json"), True),
    Case(("plan", "-out={tmp}/c.plan", "--detailed-exitcode"), True),
    Case(("--session", "s1", "plan"), True),
    Case(("--session=s1", "--state-dir", "{tmp}/state", "plan"), True),
    Case(("plan",), True, env=(("RECONCILER_SESSION", "s2"),
                               ("RECONCILER_STATE_DIR", "{tmp}/env-state"))),
    Case(("!", "--project", "{project}", "plan"), True),
    Case(("!", "--project={project}", "plan", "--target", "task.seed"), True),
    Case(("apply", "--auto-approve"), True),
    Case(("apply", "--auto-approve", "--parallelism", "1", "--target", "task.setup"), True),
    Case(("apply", "--replace", "task.seed", "--auto-approve"), True, before=APPLIED),
    Case(("apply",), True),  # stdin is not a terminal: refused, exit 1
    Case(("apply",), True, before=APPLIED),  # no changes: no question asked
    Case(("apply", "{tmp}/saved.plan"), True, before=SAVED),
    Case(("apply", "--parallelism=2", "{tmp}/saved.plan"), True, before=SAVED),
    Case(("apply", "{tmp}/missing.plan"), True),
    Case(("destroy", "--auto-approve"), True, before=APPLIED),
    Case(("destroy", "--auto-approve", "--volumes", "--parallelism", "3"), True, before=APPLIED),
    Case(("destroy", "--target", "task.seed", "--auto-approve"), True, before=APPLIED),
    Case(("destroy",), True),  # nothing to destroy
    Case(("destroy",), True, before=APPLIED),  # refused: stdin is not a terminal
    # what the fast parser leaves to typer
    Case(("plan", "--help"), False),
    Case(("apply", "-h"), False),
    Case(("plan", "--bogus"), False),
    Case(("plan", "--jso"), False),
    Case(("plan", "--out"), False),
    Case(("plan", "--out="), False),
    Case(("plan", "--json=1"), False),
    Case(("plan", "--target", "--json"), False),
    Case(("plan", "--", "--json"), False),
    Case(("plan", "extra"), False),
    Case(("plan", "-outfile"), False),
    Case(("plan", "-C", "{project}"), False),
    Case(("apply", "--parallelism", "0", "--auto-approve"), False),
    Case(("apply", "--parallelism", "x"), False),
    Case(("apply", "--parallelism", "-1"), False),
    Case(("apply", "a.plan", "b.plan"), False),
    Case(("destroy", "--replace", "task.setup"), False),
    Case(("!", "-C={project}", "plan"), False),
    Case(("!", "-C{project}", "plan"), False),
    Case(("!", "-C", "{tmp}/nowhere", "plan"), False),
    Case(("!", "-C", "{project}/services.yaml", "plan"), False),
    Case(("--policy", "{tmp}", "plan"), False),
    Case(("--session",), False),
    Case(("!",), False),
]


def fresh_project(tmp: Path) -> Path:
    """The same path (and name) every time, so that both runs print the same; the name is
    unique to the test, so no other test's processes share its scope."""
    for child in tmp.iterdir():
        if child.name != "xdg":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    project = tmp / "p"
    project.mkdir()
    tag = hashlib.sha256(str(tmp).encode()).hexdigest()[:10]
    (project / "services.yaml").write_text(SERVICES.format(tag=tag))
    return project


def expand(words: tuple[str, ...], tmp: Path, project: Path) -> list[str]:
    given = [w.format(tmp=tmp, project=project) for w in words]
    return given[1:] if given[:1] == ["!"] else ["-C", str(project), *given]


def normalized(text: str) -> str:
    return re.sub(r"after \d+\.\d+s", "after Ns", text)


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("NO_COLOR", "1")
    for name in ("RECONCILER_SESSION", "RECONCILER_STATE_DIR", "RECONCILER_POLICY"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path


def run_typer(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["reconciler", *argv])  # the program name in usage
    with pytest.raises(SystemExit) as done:
        app.run(argv)
    return int(done.value.code or 0)


def run_entry(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["reconciler", *argv])
    with pytest.raises(SystemExit) as done:
        cli.main()
    return int(done.value.code or 0)


def outcome(case: Case, tmp: Path, entry: bool, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    project = fresh_project(tmp)
    with monkeypatch.context() as patch:
        for name, value in case.env:
            patch.setenv(name, value.format(tmp=tmp))
        for before in case.before:
            assert fast.dispatch(expand(before, tmp, project)) == 0
        capsys.readouterr()
        argv = expand(case.argv, tmp, project)
        code = run_entry(argv, patch) if entry else run_typer(argv, patch)
        out, err = capsys.readouterr()
    return code, normalized(out), normalized(err)


@pytest.mark.parametrize("case", CASES, ids=lambda c: " ".join(c.argv) or "(none)")
def test_fast_path_matches_typer(case: Case, tmp: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    project = fresh_project(tmp)
    with monkeypatch.context() as patch:
        for name, value in case.env:
            patch.setenv(name, value.format(tmp=tmp))
        assert (fast.parse(expand(case.argv, tmp, project)) is not None) == case.fast
    typer_result = outcome(case, tmp, False, monkeypatch, capsys)
    entry_result = outcome(case, tmp, True, monkeypatch, capsys)
    assert entry_result == typer_result
    assert typer_result[1] or typer_result[2]  # every vector prints something


class Interrupting:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __call__(self, *args: object, **kwargs: object) -> None:
        raise self.error


@pytest.mark.parametrize("error, code, first_line", [
    (KeyboardInterrupt(), 130, "interrupted"),
    (RuntimeError("boom"), 3, "internal error (a bug in reconciler; please report it): "
                              "RuntimeError: boom"),
])
def test_errors_map_the_same_on_both_paths(error: BaseException, code: int, first_line: str,
                                           tmp: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from reconciler.engine.project import Project

    monkeypatch.setattr(Project, "plan", Interrupting(error))
    case = Case(("plan",), True)
    results = [outcome(case, tmp, entry, monkeypatch, capsys) for entry in (False, True)]
    for result_code, out, err in results:
        assert (result_code, out, err.splitlines()[0]) == (code, "", first_line)
        if code == 3:  # no traceback: a crash report holds it
            assert "Traceback" not in err and "crash report" in err


class Terminal:
    """stdin that claims to be a terminal and answers the confirmation prompt."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return "" if self.answer is None else self.answer + "\n"


@pytest.mark.parametrize("answer, code", [("yes", 0), ("no", 1), (None, 1)])
def test_confirmation_is_the_same_on_both_paths(answer: str | None, code: int, tmp: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    case = Case(("apply",), True)
    typer_result = outcome(case, tmp, False, monkeypatch, capsys)
    assert typer_result == outcome(case, tmp, True, monkeypatch, capsys)
    assert typer_result[0] == code
    if code:
        assert typer_result[1].rstrip().endswith("Perform these actions cancelled.")


PROBE = """\
import runpy, sys
sys.argv = ["reconciler", *sys.argv[1:]]
try:
    runpy.run_module("reconciler", run_name="__main__")
except SystemExit as done:
    assert not done.code, done.code
print(sorted(m for m in sys.modules if m.split(".")[0] in ("typer", "click", "pydantic")),
      file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [
    ("-C", "{quickstart}", "--state-dir", "{tmp}/state", "plan", "--refresh=false"),
    ("-C", "{project}", "apply"),  # after an apply: nothing to do
    ("-C", "{project}", "destroy", "--volumes"),  # never applied: nothing to destroy
])
def test_hot_commands_import_no_typer(argv: tuple[str, ...], tmp: Path) -> None:
    project = fresh_project(tmp)
    if "apply" in argv:
        assert fast.dispatch(["-C", str(project), "apply", "--auto-approve"]) == 0
    words = [w.format(quickstart=ROOT / "examples" / "quickstart", tmp=tmp, project=project)
             for w in argv]
    done = subprocess.run([sys.executable, "-c", PROBE, *words], capture_output=True,
                          text=True, timeout=60, check=False, env=dict(os.environ),
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "[]", done.stderr
