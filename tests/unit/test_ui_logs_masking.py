"""The dashboard's log view masks every secret from its first request (before any status pass
has loaded the configuration), remote lines included, and a search never matches a secret;
while the configuration does not load no line is shown (issue 28)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from reconciler.engine.project import Project
from reconciler.ui.app import build_app
from reconciler.ui.security import Guard
from reconciler.ui.service import Dashboard

NAMED = "n4med-passw0rd-value"
BARE = "interp0lated-pw-value"
CONFIG = (f"name: uilogs\nservices:\n  talker:\n    command: sleep 100\n    env:\n"
          f"      API_PASSWORD: \"{NAMED}\"\n"
          "      DB_URL: \"postgres://app:${DB_PASSWORD}@127.0.0.1:5432/app\"\n")
TOKEN = "t" * 32


@pytest.fixture
def dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dashboard:
    (tmp_path / "services.yaml").write_text(CONFIG)
    (tmp_path / ".env").write_text(f"DB_PASSWORD={BARE}\n")
    board = Dashboard(lambda: Project(tmp_path, session="ui"))
    logs = board.log_dir
    logs.mkdir(parents=True)
    (logs / "talker.log").write_text(f"pw={NAMED} bare={BARE}@127.0.0.1\nplain line\n")

    def remote(project: Project, names: list[str], lines: int) -> tuple[list[str], list[str]]:
        project.desired(allocate=False)  # as the real one does when a host runs a process
        return [f"far@h1 | far pw={NAMED} bare={BARE}"], names

    monkeypatch.setattr("reconciler.workflows.remote_logs.remote_logs", remote)
    return board


def get(board: Dashboard, path: str) -> tuple[int, str]:
    client = TestClient(build_app(board, Guard(TOKEN)))  # no lifespan: no status pass yet
    answer = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    return answer.status_code, answer.text


def test_log_lines_are_masked_before_the_first_status_pass(dashboard: Dashboard) -> None:
    status, text = get(dashboard, "/api/logs?remote=1")
    assert status == 200 and "far pw=(sensitive)" in text and "plain line" in text
    assert "pw=(sensitive) bare=(sensitive)@127.0.0.1" in text
    assert NAMED not in text and BARE not in text


def test_a_log_search_never_matches_a_secret(dashboard: Dashboard) -> None:
    for secret in (NAMED, BARE):
        status, text = get(dashboard, f"/api/logs?remote=1&q={secret[:10]}")
        assert status == 200 and '"lines":[]' in text, text


def test_no_line_while_the_configuration_does_not_load(dashboard: Dashboard,
                                                       tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(CONFIG + "  broken: [\n")
    for path in ("/api/logs", "/api/logs/stream"):
        status, text = get(dashboard, path)
        assert status == 409 and "cannot be masked" in text and NAMED not in text
