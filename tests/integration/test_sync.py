"""`reconciler sync` against real bare git repositories (file://) and real local processes.

Each test makes a bare repository and a work clone (infra/gitrepo.py), starts the agent as a
subprocess (`sync --json`) on its own project directory and reads its events with timeouts
(never timed asserts: latency is measured by tests/benchmarks/bench_sync.py). Services are
`sleep` processes and `python -m http.server` on 127.0.0.1; whatever is left is killed by pid
through the project's scope in the finalizer. Which commit an agent runs (force-pushes, rollback
pins, tag patterns) is tested in test_sync_refs.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from infra.gitrepo import (
    GitRepo,
    SyncAgent,
    reconciler,
    running_pids,
    services,
    sync_status,
)
from infra.ui_server import free_port

from reconciler.state import StateStore

SLEEP = "exec sleep 100000"


def serves(url: str, within: float = 30.0) -> bool:
    """Whether ``url`` answers 200 (retried: the service has no health check, so "synced"
    means started, and the server may not listen yet)."""
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return answer.status == 200
        except OSError:
            if time.monotonic() > deadline:
                return False
        time.sleep(0.1)


def test_commit_applied_invalid_refused_and_drift_healed(
        tmp_path: Path, repo: GitRepo, scope: str,
        agents: Callable[..., SyncAgent]) -> None:
    port = free_port()
    web = f"exec python3 -m http.server {port} --bind 127.0.0.1"
    first = repo.commit({"services.yaml": services(scope, {"web": web})}, "web")
    project = tmp_path / "agent"
    agent = agents(project, repo.url)
    agent.synced(first)
    assert serves(f"http://127.0.0.1:{port}/")
    web_pid = running_pids(project)["process.web"]

    # a new commit, no signal and no webhook: picked up by the interval fetch
    mark = agent.mark()
    second = repo.commit({"services.yaml": services(scope, {"web": web, "worker": SLEEP})},
                         "add worker")
    agent.synced(second, after=mark)
    assert set(running_pids(project)) == {"process.web", "process.worker"}

    # an invalid commit: refused with commit + file:line:col, nothing torn down
    mark = agent.mark()
    bad = repo.commit({"services.yaml": services(scope, {"web": web, "worker": SLEEP})
                       + "  broken:\n    type: process\n    comand: x\n"}, "typo")
    refused = agent.kind("sync.refused", bad, after=mark)
    assert bad[:12] in refused["message"]
    assert "services.yaml:" in refused["message"] and "comand" in refused["message"]
    assert "/checkout/" not in refused["message"]  # repository-relative paths
    status = sync_status(project)
    assert status["synced"]["sha"] == second
    assert status["last_error"]["commit"] == bad
    assert "services.yaml:" in status["last_error"]["message"]
    assert running_pids(project)["process.web"] == web_pid  # kept running, untouched
    assert (project / ".reconciler/sync/checkout/services.yaml").read_text().find(
        "comand") < 0  # the last good commit is checked out again

    # drift between syncs is healed from the last good commit
    mark = agent.mark()
    os.kill(running_pids(project)["process.worker"], signal.SIGKILL)
    agent.wait_for(lambda e: e["kind"] == "watch.applied" and e["data"].get("ok")
                   and "process.worker" in e["data"].get("healed", ()), "worker healed",
                   after=mark)

    # the next good commit is applied; every event of its apply names it
    mark = agent.mark()
    fixed = repo.commit({"services.yaml": services(scope, {"web": web, "worker":
                                                           "exec sleep 100001"})}, "fix")
    agent.synced(fixed, after=mark)
    node_events = [e for e in agent.events[mark:] if e["kind"].startswith("node.")]
    assert node_events and all(e["data"].get("commit") == fixed for e in node_events)
    store = StateStore.open_project(project)
    try:
        applies = [r for r in store.runs() if r["kind"] == "watch" and r["meta"].get("commit")]
        assert applies[0]["meta"]["commit"] == fixed
        journal = store.events(run_id=applies[0]["id"])
        assert any(e["kind"] == "node.start" and e["data"].get("commit") == fixed
                   for e in journal)
        refusals = [r for r in store.runs() if r["kind"] == "sync"]
        assert refusals[0]["meta"]["commit"] == bad and refusals[0]["result"] == "invalid"
        assert any(d["git_commit"] == fixed for d in store.decisions())
    finally:
        store.close()
    status = sync_status(project)
    assert status["synced"]["sha"] == fixed and status["applying"] is None
    assert {r["address"]: r["state"] for r in status["resources"]} == {
        "process.web": "running", "process.worker": "running"}
    assert agent.stop() == 0
    assert running_pids(project)  # a clean stop leaves the services running


def test_removed_service_kept_without_prune_and_removed_with_it(
        tmp_path: Path, repo: GitRepo, scope: str,
        agents: Callable[..., SyncAgent]) -> None:
    first = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "b": SLEEP})}, "a+b")
    project = tmp_path / "agent"
    agent = agents(project, repo.url)
    agent.synced(first)
    mark = agent.mark()
    second = repo.commit({"services.yaml": services(scope, {"a": SLEEP})}, "drop b")
    agent.synced(second, after=mark)
    kept = agent.kind("sync.kept", after=mark)
    assert kept["data"]["addresses"] == ["process.b"]
    assert set(running_pids(project)) == {"process.a", "process.b"}
    assert sync_status(project)["kept"] == ["process.b"]
    assert agent.stop() == 0

    pruning = agents(project, repo.url, "--prune")
    pruning.wait_for(lambda e: e["kind"] == "node.done" and e["address"] == "process.b",
                     "process.b deleted")
    pruning.kind("watch.in_sync")
    assert set(running_pids(project)) == {"process.a"}
    assert sync_status(project)["kept"] == []


def test_two_agents_on_one_project_exactly_one_applies(
        tmp_path: Path, repo: GitRepo, scope: str,
        agents: Callable[..., SyncAgent]) -> None:
    first = repo.commit({"services.yaml": services(scope, {"a": SLEEP})}, "one")
    project = tmp_path / "agent"
    active = agents(project, repo.url)
    active.synced(first)
    standby = agents(project, repo.url)
    holder = standby.kind("sync.standby")["data"]["holder"]
    assert holder["pid"] == active.proc.pid
    mark = active.mark()
    second = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "b": SLEEP})}, "two")
    active.synced(second, after=mark)
    assert not standby.seen("sync.synced") and not standby.seen("node.start")
    store = StateStore.open_project(project)
    try:
        appliers = {r["pid"] for r in store.runs() if r["kind"] == "watch"}
    finally:
        store.close()
    assert appliers == {active.proc.pid}

    # the active agent stops: the standby takes over and follows the branch
    assert active.stop() == 0
    standby.kind("sync.start")
    mark = standby.mark()
    third = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "b": SLEEP,
                                                           "c": SLEEP})}, "three")
    standby.synced(third, after=mark)
    assert set(running_pids(project)) == {"process.a", "process.b", "process.c"}


def test_webhook_and_sighup_fetch_at_once(tmp_path: Path, repo: GitRepo, scope: str,
                                          agents: Callable[..., SyncAgent]) -> None:
    port = free_port()
    first = repo.commit({"services.yaml": services(scope, {"a": SLEEP})}, "one")
    project = tmp_path / "agent"
    project.mkdir()
    agent = SyncAgent(project, repo.url, "--interval", "1h", "--listen", f"127.0.0.1:{port}")
    try:
        agent.synced(first)
        mark = agent.mark()
        second = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "b": SLEEP})},
                             "two")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/hook", data=b"{}",
                                         method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 202
        agent.synced(second, after=mark, timeout=30)  # long before the hour-long interval
        mark = agent.mark()
        third = repo.commit({"services.yaml": services(scope, {"a": SLEEP})}, "three")
        agent.proc.send_signal(signal.SIGHUP)
        agent.synced(third, after=mark, timeout=30)
    finally:
        assert agent.stop() == 0


def test_once_exits_1_on_an_invalid_first_commit(tmp_path: Path, repo: GitRepo,
                                                 scope: str) -> None:
    bad = repo.commit({"services.yaml": f"name: {scope}\nservices:\n  a:\n    type: nope\n"},
                      "bad")
    project = tmp_path / "agent"
    project.mkdir()
    done = reconciler(project, "sync", repo.url, "--once")
    assert done.returncode == 1
    assert bad[:12] in done.stdout and "services.yaml:4:" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    missing = reconciler(elsewhere, "sync", f"file://{tmp_path}/nope.git", "--once")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "error:" in missing.stderr


def test_once_records_an_adopt_in_the_config_once(tmp_path: Path, repo: GitRepo,
                                                  scope: str) -> None:
    where = tmp_path / "runs-here"
    where.mkdir()
    argv = ["-m", "http.server", str(free_port()), "--bind", "127.0.0.1"]
    api = subprocess.Popen([sys.executable, *argv], cwd=where, start_new_session=True,
                           env={**os.environ, "LOG_LEVEL": "info"},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        repo.commit({"services.yaml": f"name: {scope}\nservices:\n  api:\n    type: process\n"
                     f"    binary: {sys.executable}\n    args: {json.dumps(argv)}\n"
                     f"    working_dir: {where}\n    env:\n      LOG_LEVEL: info\n"
                     f"    adopt: {{id: {api.pid}}}\n"}, "adopt api")
        project = tmp_path / "agent"
        project.mkdir()
        for _ in range(2):  # the second run finds the record: nothing imported again
            done = reconciler(project, "sync", repo.url, "--once")
            assert done.returncode == 0, done.stdout + done.stderr
        assert running_pids(project) == {"process.api": api.pid}  # taken over, not restarted
        assert api.poll() is None
        store = StateStore.open_project(project)
        try:
            imports = [e["address"] for e in store.events() if e["kind"] == "state.import"]
        finally:
            store.close()
        assert imports == ["process.api"]
    finally:
        os.killpg(api.pid, signal.SIGKILL)
        api.wait(timeout=10)
