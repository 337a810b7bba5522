"""`reconciler watch` as a real subprocess against real processes and the Docker engine:
each test writes a project in its own directory (scope), starts `reconciler watch --json`
and reads its events with timeouts; the watcher is stopped by pid and the scope's processes
are killed by pid in a finalizer; containers are removed by name."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.container_scope import wait_for as poll
from infra.event_stream import Event, EventStream

from reconciler.state import StateStore
from reconciler.transports import procfs as proc_scan

pytestmark = pytest.mark.integration

FAST = ["--debounce", "0.1", "--poll", "0.2", "--interval", "60"]


class WatchProcess(EventStream):
    """A running `reconciler watch --json` and the events it printed so far."""

    wait_timeout = 30.0
    stop_grace = 15.0

    def __init__(self, project: Path, *args: str):
        super().__init__(project, ["watch", "--json", *args])
        self.project = project

    def done(self, outcome: str, after: int = 0, timeout: float = 30.0) -> Event:
        return self.wait_for(lambda e: e["kind"] == "watch.done"
                             and e["data"].get("outcome") == outcome,
                             f"a reconcile ending {outcome!r}", timeout, after)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A fresh project directory; its processes are killed by pid afterwards."""
    directory = tmp_path / "proj"
    directory.mkdir()
    yield directory
    scope = (directory / ".scope").read_text().strip() if (directory / ".scope").exists() else ""
    if scope:
        for info in proc_scan.scan(scope):
            if proc_scan.is_same_process(info.pid, info.stat.starttime):
                os.kill(info.pid, signal.SIGKILL)


@pytest.fixture
def start_watch() -> Iterator[Callable[..., WatchProcess]]:
    started: list[WatchProcess] = []

    def start(project: Path, *args: str) -> WatchProcess:
        watcher = WatchProcess(project, *FAST, *args)
        started.append(watcher)
        return watcher

    yield start
    for watcher in started:
        watcher.stop()


def write_services(project: Path, body: str) -> str:
    """Write services.yaml with a unique project name (the scope); returns the scope."""
    scope = (project / ".scope").read_text().strip() if (project / ".scope").exists() \
        else f"wt{uuid.uuid4().hex[:8]}"
    (project / ".scope").write_text(scope)
    (project / "services.yaml").write_text(f"name: {scope}\nservices:\n{body}")
    return scope


def record(project: Path, address: str) -> dict[str, Any]:
    store = StateStore.open_project(project)
    try:
        for found, rec in store.resources().items():
            if str(found) == address:
                return {"facts": rec.facts, "spec": rec.spec}
    finally:
        store.close()
    raise AssertionError(f"no state for {address}")


def alive(facts: dict[str, Any]) -> bool:
    return proc_scan.is_same_process(int(facts["pid"]), int(facts["start_time"]))


def plan_exit_code(project: Path) -> int:
    return subprocess.run([sys.executable, "-m", "reconciler", "-C", str(project), "plan",
                           "--detailed-exitcode"], capture_output=True, timeout=60).returncode


def service(name: str, command: str, gen: str = "1") -> str:
    return (f"  {name}:\n    type: process\n    command: \"{command}\"\n"
            f"    shutdown_timeout: 2\n    env:\n      GEN: \"{gen}\"\n")


def test_save_applies_the_edit_and_the_plan_is_empty_again(
        project: Path, start_watch: Callable[..., WatchProcess]) -> None:
    write_services(project, service("api", "exec sleep 1000"))
    watch = start_watch(project)
    watch.done("applied")
    first = record(project, "process.api")["facts"]
    mark = watch.mark()
    write_services(project, service("api", "exec sleep 1000", gen="2"))
    watch.wait_for(lambda e: e["kind"] == "node.done" and e["address"] == "process.api"
                   and e["data"].get("action") == "replace", "the replace", after=mark)
    watch.done("applied", after=mark)
    now = record(project, "process.api")
    assert now["spec"]["env"]["GEN"] == "2" and alive(now["facts"]) and not alive(first)
    assert plan_exit_code(project) == 0
    assert watch.stop() == 0
    assert alive(record(project, "process.api")["facts"])  # stopping left it running


def test_a_killed_process_is_restarted(project: Path,
                                       start_watch: Callable[..., WatchProcess]) -> None:
    write_services(project, service("api", "exec sleep 1000"))
    watch = start_watch(project)
    watch.done("applied")
    before = record(project, "process.api")["facts"]
    mark = watch.mark()
    os.kill(int(before["pid"]), signal.SIGKILL)
    applied = watch.wait_for(lambda e: e["kind"] == "watch.applied", "the heal", after=mark)
    assert applied["data"]["healed"] == ["process.api"] and applied["data"]["ok"]
    reconcile = watch.wait_for(lambda e: e["kind"] == "watch.reconcile", "trigger", after=mark)
    assert "process exited" in reconcile["data"]["reasons"]  # noticed by the pid poll
    after = record(project, "process.api")["facts"]
    assert after["pid"] != before["pid"] and alive(after)


def test_invalid_config_tears_nothing_down_and_fixing_it_resumes(
        project: Path, start_watch: Callable[..., WatchProcess]) -> None:
    scope = write_services(project, service("api", "exec sleep 1000"))
    watch = start_watch(project)
    watch.done("applied")
    running = record(project, "process.api")["facts"]
    mark = watch.mark()
    (project / "services.yaml").write_text(f"name: {scope}\nservices:\n  api: [\n")
    invalid = watch.wait_for(lambda e: e["kind"] == "watch.invalid", "diagnostics", after=mark)
    where = invalid["data"]["diagnostics"][0]["where"]
    file, line, column = where.rsplit(":", 2)  # file:line:col
    assert file.endswith("services.yaml") and int(line) >= 3 and int(column) >= 1
    assert invalid["data"]["kept_running"]
    watch.done("invalid", after=mark)
    assert alive(running) and record(project, "process.api")["facts"]["pid"] == running["pid"]
    mark = watch.mark()
    write_services(project, service("api", "exec sleep 1000", gen="3"))
    watch.wait_for(lambda e: e["kind"] == "watch.valid", "valid again", after=mark)
    watch.done("applied", after=mark)
    assert record(project, "process.api")["spec"]["env"]["GEN"] == "3"
    assert plan_exit_code(project) == 0


def test_a_crash_looping_service_backs_off(project: Path,
                                           start_watch: Callable[..., WatchProcess]) -> None:
    write_services(project, service("flaky", "sleep 0.6; exit 3"))
    watch = start_watch(project, "--backoff", "0.5", "--backoff-cap", "4")
    starts: list[Event] = []
    for _ in range(5):  # the first start, then four heals
        starts.append(watch.wait_for(
            lambda e: e["kind"] == "node.start" and e["address"] == "process.flaky"
            and e not in starts, "a (re)start", timeout=30))
    heals = starts[1:]
    assert all(h["data"]["reason"].startswith("drift") for h in heals)
    gaps = [later["time"] - earlier["time"] for earlier, later in itertools.pairwise(heals)]
    # each gap honours the backoff before it (0.5, 1, 2 s), counted from the attempt (0.1 s)
    for gap, backoff in zip(gaps, (0.5, 1.0, 2.0), strict=True):
        assert gap >= backoff - 0.1, (gap, backoff)
    assert gaps[-1] > gaps[0]
    loop = watch.wait_for(lambda e: e["kind"] == "watch.crash_loop", "the crash loop")
    assert loop["address"] == "process.flaky" and loop["data"]["attempts"] >= 3
    facts = poll(lambda: [w for w in [record(project, "process.flaky")["facts"].get("watch")]
                          if w and w["state"] == "crash-loop"], "a crash-loop record", 15.0)[0]
    assert facts["restarts"] >= 3


def test_a_plan_over_budget_is_saved_not_applied(
        project: Path, start_watch: Callable[..., WatchProcess]) -> None:
    write_services(project, service("keep", "exec sleep 1000")
                   + service("gone", "exec sleep 1000"))
    watch = start_watch(project)
    watch.done("applied")
    gone = record(project, "process.gone")["facts"]
    mark = watch.mark()
    write_services(project, service("keep", "exec sleep 1000"))
    held = watch.wait_for(lambda e: e["kind"] == "watch.held", "the held plan", after=mark)
    assert "more than --max-delete 0" in held["message"]
    pending = Path(held["data"]["pending_plan"])
    assert json.loads(pending.read_text())["kind"] == "reconciler-saved-plan"
    watch.done("held", after=mark)
    assert alive(gone)  # the orphan was not removed
    result = subprocess.run([sys.executable, "-m", "reconciler", "-C", str(project), "apply",
                             str(pending)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not alive(gone)


def test_a_removed_container_is_recreated(project: Path, docker_client: Any,
                                          busybox_image: str, docker_cleanup: Any,
                                          start_watch: Callable[..., WatchProcess]) -> None:
    scope = write_services(project, (
        f"  box:\n    type: docker\n    image: {busybox_image}\n"
        "    command: [\"sleep\", \"1000\"]\n    shutdown_timeout: 1\n"))
    docker_cleanup.container(f"{scope}-box")
    docker_cleanup.network(scope)
    watch = start_watch(project)
    watch.done("applied", timeout=60)
    first = docker_client.containers.get(f"{scope}-box")
    mark = watch.mark()
    first.remove(force=True)
    applied = watch.wait_for(lambda e: e["kind"] == "watch.applied", "the re-create",
                             after=mark, timeout=60)
    assert applied["data"]["healed"] == ["container.box"] and applied["data"]["ok"]
    reconcile = watch.wait_for(lambda e: e["kind"] == "watch.reconcile", "trigger", after=mark)
    assert any(r.startswith("container ") for r in reconcile["data"]["reasons"])  # events
    again = docker_client.containers.get(f"{scope}-box")
    assert again.id != first.id and again.status == "running"
    assert watch.stop() == 0
    docker_client.containers.get(f"{scope}-box")  # still there after the watch stopped


def test_a_heal_that_fails_to_start_is_retried_when_its_backoff_is_over(
        project: Path, start_watch: Callable[..., WatchProcess]) -> None:
    """A restart that dies right after it started leaves no pid to wait on: the watch wakes
    itself when the backoff is over (here long before the 60 s full check) and retries. The
    watcher's apply waits no crash grace, so the death fails the heal or, when it comes just
    after the apply, is seen as another exit (held by the backoff)."""
    ready = project / "ready"
    ready.write_text("")
    write_services(project, service("api", f"test -f {ready} && exec sleep 1000; exit 3"))
    watch = start_watch(project, "--backoff", "0.5")
    watch.done("applied")
    before = record(project, "process.api")["facts"]
    mark = watch.mark()
    ready.unlink()  # the next start fails at once
    os.kill(int(before["pid"]), signal.SIGKILL)
    heal = watch.wait_for(lambda e: e["kind"] == "watch.applied", "the heal", after=mark)
    if heal["data"]["ok"]:  # the restart died after the apply ended: noticed as an exit
        watch.wait_for(lambda e: e["kind"] == "watch.reconcile"
                       and "process.api" in e["data"]["addresses"]
                       and "process exited" in e["data"]["reasons"],
                       "the restart's exit", after=watch.events.index(heal))
    ready.write_text("")  # ...and the one after it works: no edit, no kill, no full check
    retry = watch.wait_for(lambda e: e["kind"] == "watch.reconcile"
                           and any("backoff" in r for r in e["data"]["reasons"]),
                           "the retry after the backoff", after=mark)
    watch.done("applied", after=watch.events.index(retry))
    after = record(project, "process.api")["facts"]
    assert after["pid"] != before["pid"] and alive(after)


def test_an_adopt_in_the_config_is_recorded_once_and_not_restarted(
        project: Path, start_watch: Callable[..., WatchProcess]) -> None:
    argv = ["-m", "http.server", str(_free_port()), "--bind", "127.0.0.1"]
    api = subprocess.Popen([sys.executable, *argv], cwd=project, start_new_session=True,
                           env={**os.environ, "LOG_LEVEL": "info"},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        write_services(project, f"  api:\n    type: process\n    binary: {sys.executable}\n"
                       f"    args: {json.dumps(argv)}\n    env:\n      LOG_LEVEL: info\n"
                       f"    adopt: {{id: {api.pid}}}\n")
        watch = start_watch(project)
        watch.done("in-sync")  # taken over as it runs: only the record changed
        shown = json.loads(subprocess.run(
            [sys.executable, "-m", "reconciler", "-C", str(project), "state", "show",
             "process.api", "--json"], capture_output=True, timeout=60, check=True).stdout)
        assert shown["facts"]["pid"] == api.pid and api.poll() is None  # never restarted
        store = StateStore.open_project(project)
        try:
            imports = [e["address"] for e in store.events() if e["kind"] == "state.import"]
        finally:
            store.close()
        assert imports == ["process.api"]
        assert "will be imported" not in subprocess.run(
            [sys.executable, "-m", "reconciler", "-C", str(project), "plan"],
            capture_output=True, text=True, timeout=60, check=True).stdout
    finally:
        os.killpg(api.pid, signal.SIGKILL)
        api.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
