"""No traceback on a real terminal either (issue 27): every command and subcommand of docs/cli.md
run on a pseudo-terminal with colour (TERM=xterm-256color, a set window size), on the same
terminal with NO_COLOR, and piped (tests/testing/pty_run.py), against

* an applied copy of examples/quickstart with a held (``stop``) and a killed process, so
  status, logs, show, state, history and graph have real rows (destroyed at the end);
* an empty project directory;
* every wrong way of tests/testing/cli_inputs.py (on the terminal: the piped runs are
  test_cli_no_traceback's).

Long-running commands (watch, ui, sync URL, status --watch, logs --follow) get a first screen,
then Ctrl-C (SIGINT by pid). The output (stdout and stderr) never holds "Traceback" and every
exit code is one docs/cli.md documents, never 3 (internal error).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from infra.components import require
from infra.gitrepo import GitRepo, kill_scope, services
from testing.cli_inputs import ROOT, command_paths, documented_codes, unreadable_project, wrong_ways
from testing.pty_run import MODES, Run, problems, run

DOCUMENTED = documented_codes()
NO = b"no\n"  # typed at a confirmation prompt


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def one_shot() -> dict[tuple[str, ...], list[list[str]]]:
    """The arguments each command path runs with on the applied quickstart (read-only or
    refused: they do not change what runs). Every path of the CLI must have an entry."""
    return {
        ("apply",): [[]], ("approve",): [["tfplan"], []], ("audit", "export"): [[]],
        ("config", "show"): [[], ["--json"]], ("destroy",): [[]], ("doctor",): [[]],
        ("exec",): [["api", "--", "true"], []],
        ("export", "kubernetes"): [[], ["--secrets=external", "--strict"], ["--secrets=x"]],
        ("graph",): [[], ["--format", "mermaid"]],
        ("history",): [[], ["--json"]], ("hook", "install"): [[]], ("hook", "run"): [[]],
        ("hosts", "facts"): [[], ["nohost"]], ("hosts", "list"): [[]],
        ("hosts", "test"): [[]], ("hosts", "trust"): [["nohost"]],
        ("import", "wireguard"): [[], ["missing.conf"]], ("init",): [[]],
        ("logs",): [[], ["api"], ["nosuch"]], ("net", "status"): [[]],
        ("plan",): [[], ["--detailed-exitcode"], ["--markdown"]],
        ("policy", "show"): [[]], ("restart",): [["nosuch"]], ("run",): [[]],
        ("schema",): [[], ["policy"], ["nosuch"]],
        ("show",): [[], ["tfplan"], ["--json"]], ("start",): [["nosuch"]],
        ("state", "list"): [[]], ("state", "pull"): [[]], ("state", "push"): [[]],
        ("state", "rm"): [[]], ("state", "show"): [["process.api"], ["process.worker"]],
        ("state", "id"): [[]], ("state", "verify-audit"): [[]],
        ("state", "prune-audit"): [[], ["--before", "3650d"], ["--before", "soon"]],
        ("state", "rotate-key"): [[]], ("state", "mv"): [["process.api", "process.x",
                                                           "--dry-run"], []],
        ("import", "resource"): [["process.api", "1"], []],
        ("secrets", "init"): [["--key-file", "/dev/null"]], ("secrets", "show-refs"): [[]],
        ("status",): [[], ["--json"]], ("stop",): [["nosuch"]], ("sync",): [["status"]],
        ("ui",): [], ("unlock",): [[]], ("validate",): [[]], ("watch",): [],
    }


def long_running(port: int, tmp: Path) -> list[list[str]]:
    return [["status", "--watch", "--interval", "0.5"], ["logs", "--follow"], ["watch"],
            ["ui", "--listen", f"127.0.0.1:{port}"],
            ["sync", (tmp / "no-repo").as_uri(), "--interval", "60s"]]


def blocks(argv: list[str]) -> bool:
    """Whether a wrong-way run may be a command that runs until Ctrl-C (bare watch or ui)."""
    return bool({"watch", "ui"} & set(argv))


def run_all(jobs: list[Callable[[], Run]]) -> list[Run]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        return list(pool.map(lambda job: job(), jobs))


def check(runs: list[Run]) -> None:
    bad = problems(runs, DOCUMENTED)
    assert not bad, f"{len(bad)} bad run(s):\n\n" + "\n\n".join(bad)


def cli(base: list[str], cwd: Path) -> Callable[..., Run]:
    def call(argv: list[str], mode: str = "pipe", **kw: object) -> Run:
        return run([*base, *argv], cwd, mode, **kw)  # type: ignore[arg-type]
    return call


@pytest.fixture
def quickstart(tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    """examples/quickstart applied in tmp (its own state dir); worker held by `stop`, web killed.
    Destroyed by its state at the end."""
    project = tmp_path / "quickstart"
    shutil.copytree(ROOT / "examples" / "quickstart", project)
    base = ["-C", str(project), "--state-dir", str(tmp_path / "state")]
    call = cli(base, tmp_path)
    try:
        applied = call(["apply", "--auto-approve"])
        assert applied.code == 0, applied.describe()
        held = call(["stop", "worker"])
        assert held.code == 0, held.describe()
        rows = json.loads(call(["status", "--json"]).output)["resources"]
        web = next(r for r in rows if r["address"] == "process.web")
        os.kill(int(web["pid"]), signal.SIGKILL)  # a process we started, by its recorded pid
        yield base, tmp_path
    finally:
        destroyed = call(["destroy", "--auto-approve"])
        assert destroyed.code == 0, destroyed.describe()
    rows = json.loads(call(["status", "--json"]).output)["resources"]
    assert all(r["pid"] is None for r in rows), rows


def test_every_command_on_an_applied_project(quickstart: tuple[list[str], Path]) -> None:
    base, tmp = quickstart
    call = cli(base, tmp)
    port = free_port()
    table = one_shot()
    paths = {tuple(p) for p in command_paths()}
    assert paths == set(table), f"paths without an entry here: {paths ^ set(table)}"
    assert call(["plan", "-out", str(tmp / "quickstart" / "tfplan")]).code == 0
    jobs = [(lambda a=[*words, *args], m=mode: call(a, m, answer=NO))
            for words, argvs in table.items() for args in argvs for mode in MODES]
    runs = run_all(jobs)
    check(runs)
    status = {r.mode: r.output for r in runs if r.argv[len(base):] == ("status",)}
    assert "\x1b[" in status["pty"] and "stopped" in status["pty"]  # colour, and the held row
    assert "\x1b[" not in status["nocolor"] and "\x1b[" not in status["pipe"]
    assert all("process.worker" in out and "process.web" in out for out in status.values())
    # what changes the world, one at a time: a restart, start/stop of the held worker
    changing = [call(argv, mode) for mode in MODES
                for argv in (["restart", "api"], ["start", "worker"], ["stop", "worker"])]
    check(changing)
    interrupted = [call(argv, mode, interrupt=True)
                   for argv in long_running(port, tmp) for mode in MODES]
    check(interrupted)
    watched = next(r for r in interrupted if r.argv[len(base):][:2] == ("status", "--watch")
                   and r.mode == "pty")
    assert "process.worker" in watched.output and "\x1b[" in watched.output


def test_every_command_in_an_empty_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    port = free_port()
    jobs: list[Callable[[], Run]] = []
    for words in command_paths():
        if words in (["ui"], ["watch"]):
            continue
        cwd = empty
        if words in (["init"], ["hook", "install"]):  # they write into the directory
            cwd = tmp_path / f"own-{words[-1]}"
            cwd.mkdir()
        for mode in MODES:
            jobs.append(lambda a=words, c=cwd, m=mode: run(a, c, m, answer=NO))
    check(run_all(jobs))
    check([run(argv, empty, mode, interrupt=True)
           for argv in long_running(port, tmp_path) for mode in MODES])


def test_every_wrong_way_on_a_terminal(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    argvs = wrong_ways(command_paths(), tmp_path / "missing", unreadable_project(tmp_path))
    runs = run_all([lambda a=argv: run(a, empty, "pty", answer=NO, interrupt=blocks(a))
                    for argv in argvs])
    check(runs)
    assert sum("No such option" in r.output for r in runs) >= len(command_paths())


def test_user_values_that_look_like_markup_on_a_terminal(tmp_path: Path) -> None:
    """Arguments and directories with rich markup in them are printed as written."""
    (tmp_path / "services.yaml").write_text(
        "name: markup\nservices:\n  api:\n    command: \"exec sleep 60\"\n")
    argvs = [["[/]"], ["state", "show", "[/]x"], ["logs", "[bold]"], ["stop", "[/]"],
             ["-C", str(tmp_path / "[/]"), "status"], ["exec", "[/]", "--", "true"],
             ["import", "wireguard", "[/].conf"], ["graph", "--format", "[/]"],
             ["--session", "[red]", "status"], ["show", "[/]plan"]]
    runs = run_all([lambda a=argv, m=mode: run(a, tmp_path, m)
                    for argv in argvs for mode in MODES])
    check(runs)
    for r in runs:
        shown = next(w for w in r.argv if "[" in w)
        assert shown in r.output or r.argv[0] == "--session", r.describe()


NO_DOCKER = """\
name: nodock
services:
  box:
    type: docker
    image: reconciler-test/busybox:1
"""


def test_watch_without_a_docker_engine_says_it_once(tmp_path: Path) -> None:
    """The engine error is one message with its hint, never `error: error:` nor SDK text."""
    (tmp_path / "services.yaml").write_text(NO_DOCKER)
    engine = {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    runs = [run(["watch"], tmp_path, mode, env=engine, interrupt=True) for mode in MODES]
    check(runs)
    for r in runs:
        assert "error: cannot reach the Docker engine at unix://" in r.output, r.describe()
        assert "hint: start it" in r.output and "error: error:" not in r.output, r.describe()
        assert "Error while fetching" not in r.output, r.describe()


def test_sync_a_repository_on_a_terminal(tmp_path: Path) -> None:
    """`sync URL` follows a real repository until Ctrl-C, on each kind of output."""
    require("git")
    scope = f"pt{uuid.uuid4().hex[:8]}"
    repo = GitRepo(tmp_path / "git")
    repo.commit({"services.yaml": services(scope, {"a": "exec sleep 100000"})}, "one")
    agent = tmp_path / "agent"
    agent.mkdir()
    try:
        runs = [run(["-C", str(agent), "sync", repo.url, "--interval", "60s"], tmp_path, mode,
                    interrupt=True) for mode in MODES]
    finally:
        kill_scope([scope])  # the synced service, by pid and start time of its scope
    check(runs)
    assert "process.a: Creation complete" in runs[0].output, runs[0].describe()
    assert all("sync: following branch main" in r.output for r in runs)
