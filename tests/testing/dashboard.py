"""The dashboard app under Starlette's TestClient, for the UI unit tests: a project directory
written from its files (with a throw-away XDG config home) and a client of the app on it with
the token already in its headers. Nothing is started: the app runs in the test's process."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from reconciler.engine.project import Project
from reconciler.ui.app import build_app
from reconciler.ui.security import Guard
from reconciler.ui.service import Dashboard


def write_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  files: Mapping[str, str]) -> Path:
    """``tmp_path/project`` holding ``files`` (name -> text); XDG_CONFIG_HOME under tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    directory = tmp_path / "project"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


@contextmanager
def dashboard_client(project_dir: Path,
                     token: str) -> Iterator[tuple[TestClient, Guard, Dashboard]]:
    """The app on ``project_dir`` in a TestClient (lifespan run), its Guard and Dashboard."""
    dashboard = Dashboard(lambda: Project(project_dir))
    guard = Guard(token)
    with TestClient(build_app(dashboard, guard), raise_server_exceptions=False) as client:
        client.headers["authorization"] = f"Bearer {token}"
        yield client, guard, dashboard
