"""Which commit a `reconciler sync` agent runs: force-pushes, rollback pins, tag patterns.

Real bare git repositories (file://, infra/gitrepo.py) and real local `sleep` processes, as in
test_sync.py; events are read with timeouts, never timed asserts. Whatever the services leave
is killed by pid through the project's scope in the finalizer.
"""

from __future__ import annotations

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

SLEEP = "exec sleep 100000"


def test_force_push_to_an_older_commit(tmp_path: Path, repo: GitRepo, scope: str,
                                       agents: Callable[..., SyncAgent]) -> None:
    old = repo.commit({"services.yaml": services(scope, {"a": SLEEP})}, "one")
    project = tmp_path / "agent"
    agent = agents(project, repo.url, "--prune")
    agent.synced(old)
    mark = agent.mark()
    new = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "b": SLEEP})}, "two")
    agent.synced(new, after=mark)
    mark = agent.mark()
    repo.reset(old)
    repo.push(old, force=True)
    agent.synced(old, after=mark)
    assert set(running_pids(project)) == {"process.a"}
    assert sync_status(project)["synced"]["sha"] == old


def test_rollback_pins_until_unpin_or_the_branch_moves(
        tmp_path: Path, repo: GitRepo, scope: str,
        agents: Callable[..., SyncAgent]) -> None:
    one = repo.commit({"services.yaml": services(scope, {"a": SLEEP})}, "one")
    project = tmp_path / "agent"
    agent = agents(project, repo.url, "--prune")
    agent.synced(one)
    mark = agent.mark()
    two = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "b": SLEEP})}, "two")
    agent.synced(two, after=mark)

    mark = agent.mark()
    done = reconciler(project, "sync", "rollback")
    assert done.returncode == 0, done.stderr
    assert one[:12] in done.stdout and "pinned" in done.stdout
    agent.synced(one, after=mark)
    status = sync_status(project)
    assert status["pin"]["sha"] == one and status["tip"] == two
    assert set(running_pids(project)) == {"process.a"}
    mark = agent.mark()
    agent.kind("watch.in_sync", after=mark)  # the pin holds over later fetches
    assert sync_status(project)["synced"]["sha"] == one

    mark = agent.mark()
    done = reconciler(project, "sync", "rollback", "--unpin")
    assert done.returncode == 0, done.stderr
    agent.synced(two, after=mark)
    assert set(running_pids(project)) == {"process.a", "process.b"}

    assert reconciler(project, "sync", "rollback").returncode == 0
    assert sync_status(project)["synced"]["sha"] == one
    mark = agent.mark()
    three = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "c": SLEEP})}, "three")
    agent.kind("sync.unpinned", three, after=mark)
    agent.synced(three, after=mark)
    assert sync_status(project)["pin"] is None
    assert set(running_pids(project)) == {"process.a", "process.c"}


def test_tag_pattern_follows_the_highest_matching_tag(tmp_path: Path, repo: GitRepo,
                                                      scope: str) -> None:
    from infra.gitrepo import git

    nine = repo.commit({"services.yaml": services(scope, {"a": SLEEP})}, "v1.9")
    git("tag", "v1.9", nine, cwd=repo.work)
    ten = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "b": SLEEP})}, "v1.10")
    git("tag", "v1.10", ten, cwd=repo.work)
    repo.commit({"services.yaml": services(scope, {"c": SLEEP})}, "untagged on main")
    git("push", "--quiet", "origin", "--tags", cwd=repo.work)
    project = tmp_path / "agent"
    project.mkdir()
    done = reconciler(project, "sync", repo.url, "--tag-pattern", "v1.*", "--once")
    assert done.returncode == 0, done.stdout + done.stderr
    status = sync_status(project)
    assert status["synced"]["sha"] == ten and status["ref"] == "refs/tags/v1.10"
    assert set(running_pids(project)) == {"process.a", "process.b"}
    none = reconciler(tmp_path / "agent", "sync", repo.url, "--tag-pattern", "v9.*", "--once")
    assert none.returncode == 1 and "matches" in none.stdout + none.stderr
