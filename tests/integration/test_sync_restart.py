"""A restarted `reconciler sync` agent finds its state and its secret key again.

The first agent of a project starts with an empty checkout; it must still name its secret key
file and its default PostgreSQL schema after the config's project name (as every later agent
does), or a restart would hash every secret anew (replacing each service with one) and, on
PostgreSQL, look at another, empty schema. The state here is the session's throw-away
PostgreSQL cluster with no schema in the URL (the default, from the project's name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from infra.components import require
from infra.gitrepo import GitRepo, agent_starter

from reconciler.transports import procfs as proc_scan


def leaders(scope: str) -> dict[str, int]:
    """Address -> pid of the processes reconciler started for ``scope`` (from /proc marks)."""
    return {info.address: info.pid for info in proc_scan.scan(scope)
            if info.stat.pgrp == info.pid}


def test_a_restarted_agent_changes_nothing(tmp_path: Path, scope: str, pg_cluster: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    require("git")
    monkeypatch.setenv("RECONCILER_STATE", pg_cluster.url())
    repo = GitRepo(tmp_path / "git")
    first = repo.commit({"services.yaml": f"""\
name: {scope}
services:
  api:
    command: exec sleep 100000
    shutdown_timeout: 2
    env: {{TOKEN: {{secret: tok-restart-1}}}}
  plain:
    command: exec sleep 100001
    shutdown_timeout: 2
"""}, "two services")
    project = tmp_path / "agent"
    with agent_starter("--interval", "1s") as start:
        agent = start(project, repo.url)
        agent.synced(first)
        rows = pg_cluster.sql("reconciler", f"SELECT address FROM reconciler_{scope}.resources")
        assert sorted(row[0] for row in rows) == ["process.api", "process.plain"]
        before = leaders(scope)
        assert set(before) == {"process.api", "process.plain"}
        assert agent.stop() == 0
        again = start(project, repo.url)
        again.kind("watch.in_sync")
        assert [e["address"] for e in again.events if e["kind"] == "node.start"] == []
        assert leaders(scope) == before
        assert again.stop() == 0
