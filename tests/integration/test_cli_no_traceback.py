"""No traceback, ever (issue 12): every command and subcommand of the CLI, run the wrong ways a
person runs it (no arguments, --help, an unknown option, a global option after the command, a
missing project directory, an unreadable config file), and the commands that touch the world
against an unreachable host, a stopped Docker engine and a locked state database. stderr
never holds "Traceback" and every exit code is a documented one that is not "internal error".

Each run is a real `python -m reconciler` subprocess (the console entry, fast paths included),
with a timeout: a command that keeps running (watch) is stopped and still checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from testing.cli_inputs import command_paths, documented_codes, unreadable_project, wrong_ways

DOCUMENTED = documented_codes()  # docs/cli.md; 3 (internal error) means a bug here


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
        stdin: bytes = b"") -> tuple[list[str], int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *argv], cwd=cwd,
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                            start_new_session=True)
    try:
        _, err = proc.communicate(stdin, timeout=20)
        code = proc.returncode
    except subprocess.TimeoutExpired:  # a long-running command (watch): stop it as Ctrl-C does
        os.killpg(proc.pid, 2)
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            _, err = proc.communicate()
        code = 0 if proc.returncode in (-2, 130) else proc.returncode
    return argv, code, err.decode(errors="replace")


def check_all(runs: list[tuple[list[str], Path, dict[str, str] | None]]) -> list[str]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda r: run(*r), runs))
    bad = [(argv, code, err[-600:]) for argv, code, err in results
           if "Traceback" in err or code not in DOCUMENTED]
    assert not bad, "\n\n".join(f"{a} -> {c}\n{e}" for a, c, e in bad)
    return [err for _, _, err in results]


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    empty = tmp_path / "empty"
    empty.mkdir()
    return {"empty": empty, "unreadable": unreadable_project(tmp_path), "tmp": tmp_path}


def test_every_command_the_wrong_ways(places: dict[str, Path]) -> None:
    paths = command_paths()
    assert len(paths) >= 30 and ["state", "list"] in paths
    cwd = places["empty"]
    runs: list[tuple[list[str], Path, dict[str, str] | None]] = [
        (argv, cwd, None)
        for argv in wrong_ways(paths, places["tmp"] / "missing", places["unreadable"])]
    errors = check_all(runs)
    # the runs really reached the parser and the loader (stderr is what the user read)
    assert sum("No such option" in e for e in errors) >= len(paths)


UNREACHABLE = """\
name: unreachable
hosts:
  gone:
    address: 198.18.0.254
    connect_timeout: 1
services:
  box:
    type: docker
    image: reconciler-test/busybox:1
  far:
    type: remote
    host: gone
    command: sleep 100
"""


def test_the_world_unreachable_and_the_state_locked(places: dict[str, Path]) -> None:
    project = places["tmp"] / "world"
    project.mkdir()
    (project / "services.yaml").write_text(UNREACHABLE)
    (project / "known_hosts").write_text("")
    no_engine = {"DOCKER_HOST": f"unix://{places['tmp']}/no-engine.sock"}
    base = ["-C", str(project), "--session", f"nt{os.getpid()}"]
    runs: list[tuple[list[str], Path, dict[str, str] | None]] = [
        ([*base, *words], project, no_engine) for words in (
            ["validate"], ["plan"], ["plan", "--detailed-exitcode"], ["status"],
            ["doctor"], ["graph"], ["hosts", "test"], ["hosts", "facts"],
            ["hosts", "trust", "gone"], ["apply", "--auto-approve"], ["restart", "box"],
            ["exec", "box", "--", "true"], ["destroy", "--auto-approve"], ["logs"])]
    check_all(runs)


def test_a_locked_state_database(places: dict[str, Path]) -> None:
    from reconciler.state import StateStore

    project = places["tmp"] / "locked"
    project.mkdir()
    (project / "services.yaml").write_text(
        "name: locked\nservices:\n  api:\n    command: \"exec sleep 60\"\n")
    session = f"lk{os.getpid()}"
    store = StateStore.open_project(project, session)
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with store.lease("someone-else@test"):
            held.set()
            release.wait(120)

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    assert held.wait(30)
    try:
        base = ["-C", str(project), "--session", session]
        results = [run([*base, *words], project) for words in (
            ["apply", "--auto-approve"], ["destroy", "--auto-approve"], ["stop", "api"],
            ["state", "rm", "process.api"], ["plan"], ["status"], ["unlock"])]
    finally:
        release.set()
        thread.join(30)
    for argv, code, err in results:
        assert "Traceback" not in err and code in DOCUMENTED, (argv, code, err)
    by_command = {tuple(a[len(base):]): (c, e) for a, c, e in results}
    assert by_command[("apply", "--auto-approve")][0] == 1
    assert "someone-else@test" in by_command[("apply", "--auto-approve")][1]
    assert by_command[("plan",)][0] == 0  # read-only commands never wait for the lease
