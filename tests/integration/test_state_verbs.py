"""Terraform's state verbs end to end (issue 30): ``state mv`` and ``import ADDRESS ID``.

``state mv`` renames a record after the service was renamed in the config: the process keeps
running with its pid (its environment still says the old address; observe claims it by its
recorded pid and start time), the plan after it is empty, ``--dry-run`` changes nothing,
wrong moves are refused, and destroy still stops the moved process. ``import`` adopts a
process the test started itself (no marks): the plan is empty when it runs as configured,
shows the exact field diff (``cwd``) when it does not, and nothing is started or stopped
until an apply replaces the differing one (stopped by its pid, started anew with marks).
``state mv`` of a container is refused (its name and labels are fixed at creation);
container import: tests/integration/test_import_container.py. Real processes, real CLI;
everything the test starts is killed by pid.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.cli import Cli, kill_scope

from reconciler.state.store import StateStore


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _service(name: str, port: int, cwd: str | None = None) -> str:
    where = f"\n    cwd: {cwd}" if cwd else ""
    return (f"  {name}:\n    type: process\n    binary: {sys.executable}\n"
            f"    args: [\"-m\", \"http.server\", \"{port}\", \"--bind\", \"127.0.0.1\"]\n"
            f"    port: {port}{where}\n    env:\n      LOG_LEVEL: info\n")


def _write(project: Path, *services: str) -> None:
    (project / "services.yaml").write_text(
        'version: "1.0"\nname: verbs\nservices:\n' + "".join(services))


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    project = tmp_path / "verbs"
    project.mkdir()
    session = f"t{os.getpid()}sv"
    yield Cli(project, session)
    kill_scope(f"verbs_{session}")


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _events(cli: Cli, kind: str) -> list[dict[str, object]]:
    store = StateStore.open_project(cli.project, cli.session)
    try:
        return [e for e in store.events() if e["kind"] == kind]
    finally:
        store.close()


def test_state_mv_keeps_the_process(cli: Cli) -> None:
    port = _free_port()
    _write(cli.project, _service("api", port))
    cli("apply", "--auto-approve")
    scope = f"verbs_{cli.session}"
    pids = cli.owned(scope)["process.api"]
    _write(cli.project, _service("backend", port))
    assert cli("plan", "--detailed-exitcode", expect=2).returncode == 2  # a replace, so far

    dry = cli("state", "mv", "--dry-run", "process.api", "process.backend").stdout
    assert "Would move process.api to process.backend" in dry
    assert cli("state", "list").stdout.split() == ["process.api"]

    for args, words in [(("process.nope", "process.x"), "process.nope is not in the state"),
                        (("process.api", "process.api"), "process.api is already in the state"),
                        (("process.api", "container.api"), "keeps its kind and host")]:
        refused = cli("state", "mv", *args, expect=1)
        assert words in refused.stderr and "hint:" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr

    assert "Moved process.api to process.backend" in cli(
        "state", "mv", "process.api", "process.backend").stdout
    assert cli("state", "list").stdout.split() == ["process.backend"]
    plan = cli("plan", "--detailed-exitcode", expect=0).stdout
    assert "process.api" not in plan, plan  # not an orphan of the old address
    assert cli.owned(scope)["process.api"] == pids  # the same pid, its env unchanged
    moved = _events(cli, "state.move")
    assert [e["address"] for e in moved] == ["process.backend"]

    _write(cli.project, _service("backend", port).replace(
        "    port:", "    shutdown_timeout: 3\n    port:"))  # a hash-excluded field: UPDATE
    assert "1 to change" in cli("apply", "--auto-approve").stdout
    assert cli.owned(scope) == {"process.api": pids}  # updated in place, not started twice

    cli("destroy", "--auto-approve")  # stops the moved process by its recorded identity
    assert cli.owned(scope) == {}  # (a zombie left for init to reap counts as gone)


def test_import_process_by_pid(cli: Cli, started: list[subprocess.Popen[bytes]],
                               tmp_path: Path) -> None:
    here, there = _free_port(), _free_port()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _write(cli.project, _service("api", here), _service("web", there))
    env = {**os.environ, "LOG_LEVEL": "info"}
    argv = [sys.executable, "-m", "http.server"]
    api = subprocess.Popen([*argv, str(here), "--bind", "127.0.0.1"], cwd=cli.project,
                           env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    web = subprocess.Popen([*argv, str(there), "--bind", "127.0.0.1"], cwd=elsewhere,
                           env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    started += [api, web]

    assert "Imported process.api" in cli("import", "process.api", str(api.pid)).stdout
    cli("plan", "--detailed-exitcode", "--target", "process.api", expect=0)
    shown = json.loads(cli("state", "show", "process.api", "--json").stdout)
    assert shown["facts"]["pid"] == api.pid and shown["facts"]["imported"] is True
    assert [e["address"] for e in _events(cli, "state.import")] == ["process.api"]

    for args, words in [(("process.api", str(api.pid)), "already in the state"),
                        (("process.nope", str(api.pid)), "not in the configuration"),
                        (("process.web", "999999999"), "no running process has pid"),
                        (("process.web", str(api.pid)), "under another address")]:
        refused = cli("import", *args, expect=1)
        assert words in refused.stderr and "hint:" in refused.stderr, refused.stderr
    cli("import", "process.web", str(web.pid))  # runs in another directory than configured
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert f'~ cwd: "{elsewhere}" -> "{cli.project}"' in plan, plan
    assert "1 to replace" in plan and "0 to destroy" in plan, plan

    assert api.poll() is None and web.poll() is None  # nothing was stopped

    _write(cli.project, _service("api", here).replace(  # hash-excluded: api is UPDATEd
        "    port:", "    shutdown_timeout: 3\n    port:"), _service("web", there))
    cli("apply", "--auto-approve")  # the replace stops the imported web and starts it marked
    assert web.wait(timeout=30) is not None and api.poll() is None
    shown = json.loads(cli("state", "show", "process.api", "--json").stdout)
    assert shown["facts"]["imported"] is True  # the update keeps finding it by its pid
    assert list(cli.owned(f"verbs_{cli.session}")) == ["process.web"]
    cli("plan", "--detailed-exitcode", expect=0)


BOX = """\
version: "1.0"
name: verbs
services:
  box:
    type: docker
    image: {image}
    command: ["sleep", "3600"]
    shutdown_timeout: 1
"""


def test_container_mv_is_refused_honestly(cli: Cli, busybox_image: str) -> None:
    (cli.project / "services.yaml").write_text(BOX.format(image=busybox_image))
    try:
        cli("apply", "--auto-approve")
        refused = cli("state", "mv", "container.box", "container.renamed", expect=1)
        assert "fixed when it is created" in refused.stderr, refused.stderr
        assert "hint:" in refused.stderr
        assert cli("state", "list").stdout.split() == ["container.box"]
    finally:
        cli("destroy", "--auto-approve", expect=None)


def test_adopt_a_process_in_the_config(cli: Cli, started: list[subprocess.Popen[bytes]]
                                       ) -> None:
    port = _free_port()
    api = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                            "127.0.0.1"], cwd=cli.project, env={**os.environ, "LOG_LEVEL": "info"},
                           start_new_session=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    started.append(api)
    _write(cli.project, _service("api", port) + f"    adopt: {{id: {api.pid}}}\n")
    plan = cli("plan", "--detailed-exitcode", expect=0).stdout
    assert f"process.api will be imported (adopt: {{id: {api.pid}}})" in plan, plan
    cli("apply", "--auto-approve")
    shown = json.loads(cli("state", "show", "process.api", "--json").stdout)
    assert shown["facts"]["pid"] == api.pid and shown["facts"]["imported"] is True
    assert [e["address"] for e in _events(cli, "state.import")] == ["process.api"]
    assert api.poll() is None  # taken over, never restarted
    cli("plan", "--detailed-exitcode", expect=0)
