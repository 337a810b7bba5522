"""`reconciler sync --ui`: the agent serves the dashboard, with its sync panel, beside its pull
loop (issue #30).

The agent starts on an empty bare repository (no commit yet, so no checkout): the page and
``/api/sync`` say "waiting for first sync" and the status loop shows it instead of an error.
A first commit is then pushed: ``/api/sync`` (with the token) names it as synced and the page
HTML names it. A commit that does not validate shows as the last error, naming its commit,
while the synced commit stays. Everything goes through the real server on 127.0.0.1, token
in the ``Authorization`` header; the agent is stopped by pid (SIGTERM) and its services
killed by their scope.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.components import require
from infra.gitrepo import GitRepo, SyncAgent, services
from infra.ui_server import free_port

TOKEN = "sync-ui-test-token-0123456789"
SLEEP = "exec sleep 100000"


def get(base: str, path: str, token: str = TOKEN) -> tuple[int, str]:
    request = urllib.request.Request(f"{base}{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def poll(base: str, path: str, until: Callable[[Any], bool], what: str, agent: SyncAgent,
         timeout: float = 60.0) -> Any:
    """GET ``path`` (JSON) until ``until`` holds: the last answer, or an AssertionError with
    the last answer and the agent's last lines (the server may not listen at once)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline and agent.proc.poll() is None:
        try:
            status, text = get(base, path)
        except OSError as exc:  # not listening yet
            last = repr(exc)
        else:
            last = json.loads(text) if status == 200 else (status, text)
            if status == 200 and until(last):
                return last
        time.sleep(0.2)
    tail = "\n".join(json.dumps(e) for e in agent.events[-20:])
    raise AssertionError(f"no {what} within {timeout}s; last answer: {last}\n{tail}")


def test_sync_ui_waits_shows_the_commit_and_the_last_error(
        tmp_path: Path, scope: str, agents: Callable[..., SyncAgent]) -> None:
    require("git")
    repo = GitRepo(tmp_path / "git")  # no commit yet: the agent has nothing to check out
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    agent = agents(tmp_path / "agent", repo.url, "--ui", "--ui-port", str(port),
                   "--ui-token-file", str(token_file))

    waiting = poll(base, "/api/sync", lambda s: s["waiting"] is not None, "waiting", agent)
    assert waiting["waiting"] == "waiting for first sync" and waiting["commit"] is None
    status, page = get(base, "/")
    assert status == 200 and "waiting for first sync" in page
    snapshot = poll(base, "/api/status", lambda s: s.get("polls", 0) > 0, "a status pass",
                    agent)
    assert snapshot["waiting"] == "waiting for first sync" and snapshot["error"] is None
    assert get(base, "/api/sync", token="wrong-token-0123456789")[0] == 401

    first = repo.commit({"services.yaml": services(scope, {"worker": SLEEP})}, "worker")
    synced = poll(base, "/api/sync", lambda s: s["commit"] == first, f"synced {first}", agent)
    assert synced["waiting"] is None and synced["agent_running"] is True
    assert synced["pin"] is None and synced["kept"] == []
    assert first[:12] in synced["text"]
    status, page = get(base, "/")
    assert status == 200 and first[:12] in page and "waiting for first sync" not in page
    snapshot = poll(base, "/api/status", lambda s: [r["address"] for r in s["resources"]]
                    == ["process.worker"], "the worker in the graph", agent)
    assert snapshot["project"] == scope

    bad = repo.commit({"services.yaml": services(scope, {"worker": SLEEP})
                       + "  broken:\n    type: process\n    comand: x\n"}, "typo")
    failed = poll(base, "/api/sync", lambda s: (s["last_error"] or {}).get("commit") == bad,
                  f"the last error of {bad}", agent)
    assert failed["commit"] == first  # the last good commit stays synced
    assert "services.yaml:" in failed["last_error"]["message"]
    assert "comand" in failed["last_error"]["message"]
    status, page = get(base, "/")
    assert status == 200 and bad[:12] in page and "last error:" in page
    assert agent.stop() == 0
