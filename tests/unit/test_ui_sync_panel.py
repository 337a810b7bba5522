"""The sync panel of ``sync --ui`` before and after a first sync (issue #30), through the app
(Starlette's TestClient, nothing started): with no checkout the page, ``/api/sync`` and the
status pass say "waiting for first sync" (no engine error) and every engine call is a 409
naming it; with a synced commit in ``status.json`` the page names it, with its last error;
``reconciler ui`` (no panel) answers ``/api/sync`` with a 404."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from reconciler.engine.project import Project
from reconciler.errors import UserError
from reconciler.sync.status import SyncStatus
from reconciler.ui.app import build_app
from reconciler.ui.security import Guard
from reconciler.ui.service import Dashboard
from reconciler.ui.sync_panel import WAITING, SyncPanel

TOKEN = "t" * 32
SHA, BAD = "a" * 40, "b" * 40


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "state" / "sync"


def serve(root: Path, tmp_path: Path) -> tuple[TestClient, Dashboard]:
    panel = SyncPanel(root, session=None, state_dir=tmp_path / "state")
    dashboard = Dashboard(lambda: Project(root / "checkout", state_dir=tmp_path / "state"),
                          panel.waiting)
    http = TestClient(build_app(dashboard, Guard(TOKEN), sync=panel),
                      raise_server_exceptions=False)
    http.headers["authorization"] = f"Bearer {TOKEN}"
    return http, dashboard


@pytest.fixture
def client(root: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Dashboard]]:
    http, dashboard = serve(root, tmp_path)
    with http:
        yield http, dashboard


def test_before_the_first_sync_everything_says_waiting(
        client: tuple[TestClient, Dashboard]) -> None:
    http, dashboard = client
    answer = http.get("/api/sync").json()
    assert answer["waiting"] == WAITING and answer["commit"] is None
    assert answer["text"].startswith(WAITING)
    page = http.get("/").text
    assert f"sync: {WAITING}" in page and "{{sync}}" not in page
    assert dashboard.collect()["waiting"] == WAITING
    plan = http.get("/api/plan")
    assert plan.status_code == 409 and WAITING in plan.json()["error"]
    with pytest.raises(UserError, match=WAITING):
        dashboard.poller  # noqa: B018 (the property is the call)


def test_a_synced_commit_and_the_last_error_show_on_the_page(root: Path,
                                                             tmp_path: Path) -> None:
    (root / "checkout" / ".git").mkdir(parents=True)
    status = SyncStatus(url="file:///repo.git", ref="refs/heads/main", branch="main",
                        last_error={"commit": BAD, "message": "services.yaml:3:5: comand",
                                    "at": 1.0, "kind": "invalid"}, kept=["process.old"])
    status.mark_synced(SHA, "first", None)
    status.save(root)
    http, _ = serve(root, tmp_path)
    with http:
        answer = http.get("/api/sync").json()
        assert answer["waiting"] is None and answer["commit"] == SHA
        assert answer["last_error"]["commit"] == BAD and answer["kept"] == ["process.old"]
        page = http.get("/").text
        assert f"sync: {SHA[:12]}" in page and BAD[:12] in page
        assert "services.yaml:3:5: comand" in page and "process.old" in page


def test_the_plain_dashboard_has_no_sync_panel(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text("name: plain\nservices: {}\n")
    dashboard = Dashboard(lambda: Project(tmp_path))
    with TestClient(build_app(dashboard, Guard(TOKEN)), raise_server_exceptions=False) as http:
        http.headers["authorization"] = f"Bearer {TOKEN}"
        assert http.get("/api/sync").status_code == 404
        page = http.get("/").text
        assert "{{sync}}" not in page and 'id="sync"' not in page


@pytest.mark.parametrize("args", [["file:///nowhere.git", "--once"], ["status"],
                                  ["rollback"], ["destroy"]])
def test_ui_only_beside_the_pull_loop(tmp_path: Path, args: list[str]) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "reconciler", "-C", str(tmp_path), "sync",
                           *args, "--ui"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 1, done.stderr
    assert "--ui serves beside the agent's pull loop" in done.stderr + done.stdout
    assert not (tmp_path / ".reconciler" / "sync").exists()  # nothing done
