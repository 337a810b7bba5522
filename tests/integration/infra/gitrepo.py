"""Real git repositories and `reconciler sync` agents for the sync tests and benchmark.

`GitRepo` is a bare repository made by the test (`git init --bare`) plus a work clone that
commits and pushes to it (plain, signed with a throw-away SSH key, force-pushed). `SyncAgent`
runs `reconciler sync --json` as a subprocess and reads its event stream with timeouts
(`EventStream`); it is stopped by pid (SIGTERM, then SIGKILL); `agent_starter` starts agents
for a test and stops them all at its end. `running_pids` reads which recorded processes of a
project still run. `kill_scope` kills the processes a test's services left behind, by pid
after checking their start time (never by pattern).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .event_stream import Event, EventStream

GIT_ENV = {"GIT_AUTHOR_NAME": "sync test", "GIT_AUTHOR_EMAIL": "sync@test.invalid",
           "GIT_COMMITTER_NAME": "sync test", "GIT_COMMITTER_EMAIL": "sync@test.invalid",
           "GIT_CONFIG_NOSYSTEM": "1"}


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


class GitRepo:
    """A bare repository at ``<dir>/repo.git`` and a work clone at ``<dir>/work``."""

    def __init__(self, directory: Path, branch: str = "main"):
        self.bare = directory / "repo.git"
        self.work = directory / "work"
        self.branch = branch
        git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(self.bare))
        git("init", "--quiet", f"--initial-branch={branch}", str(self.work))
        git("remote", "add", "origin", str(self.bare), cwd=self.work)
        self.signing_key: Path | None = None

    @property
    def url(self) -> str:
        return f"file://{self.bare}"

    def commit(self, files: dict[str, str | None], message: str, *, sign: bool = False,
               push: bool = True) -> str:
        """Write (None: delete) ``files``, commit, push; returns the commit sha."""
        for name, text in files.items():
            path = self.work / name
            if text is None:
                git("rm", "--quiet", name, cwd=self.work)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            git("add", name, cwd=self.work)
        extra: list[str] = []
        if sign:
            assert self.signing_key is not None, "call make_signing_key() first"
            extra = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={self.signing_key}",
                     "commit", "-S"]
        else:
            extra = ["commit"]
        git(*extra, "--quiet", "--allow-empty", "-m", message, cwd=self.work)
        sha = git("rev-parse", "HEAD", cwd=self.work)
        if push:
            self.push(sha)
        return sha

    def push(self, sha: str, *, force: bool = False) -> None:
        git("push", "--quiet", *(["--force"] if force else []), "origin",
            f"{sha}:refs/heads/{self.branch}", cwd=self.work)

    def reset(self, sha: str) -> None:
        git("reset", "--quiet", "--hard", sha, cwd=self.work)

    def make_signing_key(self, directory: Path) -> Path:
        """A throw-away ed25519 signing key; returns the allowed-signers file trusting it."""
        key = directory / "signing_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sync-test",
                        "-f", str(key)], check=True, timeout=30)
        self.signing_key = key
        allowed = directory / "allowed_signers"
        public = (directory / "signing_key.pub").read_text().split()
        allowed.write_text(f"{GIT_ENV['GIT_COMMITTER_EMAIL']} {public[0]} {public[1]}\n")
        return allowed


def services(name: str, entries: dict[str, str]) -> str:
    """A services.yaml with project ``name`` and process services ``{svc: command}``."""
    lines = [f"name: {name}", "services:"]
    for svc, command in entries.items():
        lines += [f"  {svc}:", "    type: process", f"    command: {json.dumps(command)}",
                  "    shutdown_timeout: 2"]
    return "\n".join(lines) + "\n"


class SyncAgent(EventStream):
    """A running `reconciler -C DIR sync URL --json ...` and the events it printed so far."""

    def __init__(self, directory: Path, url: str, *args: str, cwd: Path | None = None):
        super().__init__(directory, ["sync", url, "--json", *args], cwd=cwd)

    def kind(self, kind: str, commit: str | None = None, after: int = 0,
             timeout: float = 60.0) -> Event:
        return self.wait_for(lambda e: e["kind"] == kind and (
            commit is None or e["data"].get("commit") == commit),
            f"{kind} for {commit}", timeout, after)

    def synced(self, commit: str, after: int = 0, timeout: float = 60.0) -> Event:
        return self.kind("sync.synced", commit, after, timeout)


def reconciler(directory: Path, *args: str, timeout: float = 120.0
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", "-C", str(directory), *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


def sync_status(directory: Path) -> dict[str, Any]:
    done = reconciler(directory, "sync", "status", "--json")
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def kill_scope(scopes: Sequence[str]) -> None:
    """SIGKILL every process carrying one of ``scopes`` (checked by pid + start time)."""
    from reconciler.transports import procfs as proc_scan

    for scope in scopes:
        for info in proc_scan.scan(scope):
            if proc_scan.is_same_process(info.pid, info.stat.starttime):
                os.kill(info.pid, signal.SIGKILL)


@contextmanager
def agent_starter(*defaults: str) -> Iterator[Callable[..., SyncAgent]]:
    """``start(directory, url, *args)`` -> a running agent (``defaults`` before ``args``);
    every agent started is stopped when the block ends."""
    started: list[SyncAgent] = []

    def start(directory: Path, url: str, *args: str) -> SyncAgent:
        directory.mkdir(parents=True, exist_ok=True)
        agent = SyncAgent(directory, url, *defaults, *args)
        started.append(agent)
        return agent

    try:
        yield start
    finally:
        for agent in started:
            agent.stop()


def running_pids(directory: Path) -> dict[str, int]:
    """Address -> pid of the recorded processes of the project in ``directory`` still running."""
    from reconciler.state import StateStore
    from reconciler.transports import procfs as proc_scan

    store = StateStore.open_project(directory)
    try:
        found = {}
        for address, record in store.resources().items():
            pid, start = record.facts.get("pid"), record.facts.get("start_time")
            if isinstance(pid, int) and isinstance(start, int) \
                    and proc_scan.is_same_process(pid, start):
                found[str(address)] = pid
        return found
    finally:
        store.close()
