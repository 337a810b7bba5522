"""What a `reconciler sync` agent leaves: a bounded audit log naming its commit, and a teardown.

An agent polling every second with a kept (unpruned) service must not add audit rows per poll:
the row count after a few interval reconciles equals the count after many more, and every
row written since the agent started carries the commit it runs. `sync destroy` removes what
the agent applied (kept services included), from its checkout, under its lock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.gitrepo import GitRepo, SyncAgent, reconciler, running_pids, services, sync_status

from reconciler.state import StateStore

SLEEP = "exec sleep 100000"


def audit_rows(directory: Path) -> list[dict[str, Any]]:
    store = StateStore.open_project(directory)
    try:
        return store.events(limit=100_000)
    finally:
        store.close()


def wait_polls(agent: SyncAgent, count: int) -> None:
    """Wait until ``count`` more interval reconciles of the agent are done."""
    start = agent.mark()
    agent.wait_for(lambda e: len(agent.seen("watch.done", after=start)) >= count,
                   f"{count} interval reconciles", timeout=30.0 + 3 * count, after=start)


def synced_a_then_dropped_b(project: Path, repo: GitRepo, scope: str,
                            agents: Callable[..., SyncAgent]) -> tuple[SyncAgent, str, str, int]:
    """An agent on ``project`` that synced "a+b", then "drop b" (b is kept running): the agent,
    both commits, and the event mark from before the second."""
    first = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "b": SLEEP})}, "a+b")
    project.mkdir()
    agent = agents(project, repo.url)
    agent.synced(first)
    mark = agent.mark()
    second = repo.commit({"services.yaml": services(scope, {"a": SLEEP})}, "drop b")
    agent.synced(second, after=mark)
    return agent, first, second, mark


def test_a_polling_agent_with_a_kept_service_writes_bounded_audit_rows(
        tmp_path: Path, scope: str, repo: GitRepo, agents: Callable[..., SyncAgent]) -> None:
    project = tmp_path / "agent"
    agent, first, second, mark = synced_a_then_dropped_b(project, repo, scope, agents)
    try:
        agent.kind("sync.kept", after=mark)
        wait_polls(agent, 4)
        early = audit_rows(project)
        wait_polls(agent, 10)
        late = audit_rows(project)
    finally:
        assert agent.stop() == 0
    new = [row for row in late if row["id"] > early[-1]["id"]]
    assert new == [], [(row["kind"], row["message"]) for row in new]
    unstamped = [(row["kind"], row["message"]) for row in late
                 if row["data"].get("commit") not in (first, second)]
    assert unstamped == []


def test_sync_destroy_tears_down_what_the_agent_applied(
        tmp_path: Path, scope: str, repo: GitRepo, agents: Callable[..., SyncAgent]) -> None:
    project = tmp_path / "agent"
    agent, _, second, _ = synced_a_then_dropped_b(project, repo, scope, agents)
    try:
        busy = reconciler(project, "sync", "destroy", "--auto-approve")
        assert busy.returncode == 1 and "sync agent" in busy.stderr  # it would re-apply
        assert len(running_pids(project)) == 2
    finally:
        assert agent.stop() == 0
    before = audit_rows(project)[-1]["id"]

    done = reconciler(project, "sync", "destroy", "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    assert running_pids(project) == {}  # the kept service b too
    assert sync_status(project)["synced"] is None
    rows = [row for row in audit_rows(project) if row["id"] > before]
    assert any(row["kind"] == "state.forget" for row in rows)
    assert {row["data"].get("commit") for row in rows} == {second}
    again = reconciler(project, "sync", "destroy", "--auto-approve")
    assert again.returncode == 0, again.stderr
    nowhere = tmp_path / "never"
    nowhere.mkdir()
    never = reconciler(nowhere, "sync", "destroy", "--auto-approve")
    assert never.returncode == 1 and "never synced" in never.stderr
    assert "Traceback" not in never.stderr


def test_an_unsigned_first_commit_is_only_refused(tmp_path: Path, scope: str,
                                                  repo: GitRepo) -> None:
    keyring = repo.make_signing_key(tmp_path)
    unsigned = repo.commit({"services.yaml": services(scope, {"a": SLEEP})}, "unsigned")
    project = tmp_path / "agent"
    project.mkdir()
    done = reconciler(project, "sync", repo.url, "--once", "--verify-signatures",
                      "--keyring", str(keyring))
    assert done.returncode == 1
    assert unsigned[:12] in done.stdout and "not signed" in done.stdout
    assert "not found" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert running_pids(project) == {}
