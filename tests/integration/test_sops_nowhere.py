"""Nothing but the process sees a SOPS-encrypted value: the PostgreSQL state, every CLI output,
``.reconciler/``, the audit log export and the dashboard's JSON API, all grepped for it.

The project keeps its state in the session's throw-away PostgreSQL cluster (a schema of its
own); the real ``sops`` encrypts to an age key made by the test. The value is applied, then
rotated and applied again (so the state and the audit log hold a diff of two hashes); the
process writes what it sees to a file outside the project, which proves the grep looks for
the right thing. ``reconciler ui`` runs bounded in the background on a free loopback port with
its token and is stopped by pid.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.agekeys import keygen, sops
from infra.cli import kill_scope
from infra.components import require
from infra.ui_server import call, running_ui

PASSWORD = "pw-Nowhere-6a1f3c"
ROTATED = "pw-NowhereRot-90d2b5"
SERVICES = """\
name: {scope}
services:
  db:
    command: sh -c 'printf "%s" "$DB_PASSWORD" > "$OUT"; echo started; exec sleep 600'
    env:
      OUT: "{out}"
      DB_PASSWORD: {{sops: secrets.enc.yaml#db.password}}
  web:
    command: sleep 600
    env:
      DB_URL: "postgres://app:${{db.env.DB_PASSWORD}}@127.0.0.1:5432/app"
    depends_on: {{db: {{condition: service_started}}}}
"""


class Project:
    """A project on a ``--state postgresql://...`` URL; every output it printed is kept."""

    def __init__(self, directory: Path, url: str, key: Path):
        self.dir, self.url, self.key = directory, url, key
        self.outputs: list[str] = []

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "reconciler", "-C", str(self.dir), "--state", self.url,
                "--no-color", *args]

    def __call__(self, *args: str, expect: int = 0) -> str:
        env = {**os.environ, "SOPS_AGE_KEY_FILE": str(self.key)}
        done = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=180,
                              stdin=subprocess.DEVNULL, env=env)
        assert done.returncode == expect, done.stdout + done.stderr
        self.outputs.append(done.stdout + done.stderr)
        return done.stdout


@pytest.fixture
def project(tmp_path: Path, pg_cluster: Any) -> Iterator[Project]:
    require("sops")
    scope = f"sn{uuid.uuid4().hex[:8]}"
    keys = tmp_path / "keys"
    keys.mkdir()
    key = keys / "age.txt"
    recipient = keygen(key)
    directory = tmp_path / "vault"
    directory.mkdir()
    (directory / "services.yaml").write_text(
        SERVICES.format(scope=scope, out=tmp_path / "seen.txt"))
    (directory / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: \\.enc\\.[^/]+$\n    age: {recipient}\n")
    (directory / "secrets.enc.yaml").write_text(f"db:\n  password: {PASSWORD}\n")
    sops(key, "--encrypt", "--in-place", "secrets.enc.yaml", cwd=directory)
    found = Project(directory, pg_cluster.url(pg_cluster.fresh_schema()), key)
    yield found
    subprocess.run(found.argv("destroy", "--auto-approve"), capture_output=True, timeout=180,
                   stdin=subprocess.DEVNULL, env={**os.environ, "SOPS_AGE_KEY_FILE": str(key)},
                   check=False)
    kill_scope(scope)


def dashboard(project: Project, tmp_path: Path) -> list[str]:
    """Every JSON answer of the dashboard's API for this project (the server stopped after)."""
    answers: list[str] = []
    with running_ui(project.argv(), uuid.uuid4().hex, tmp_path, start_timeout=60,
                    env={**os.environ, "SOPS_AGE_KEY_FILE": str(project.key)},
                    stderr_name="ui.err") as ui:
        base, token = ui.base, ui.token
        deadline = time.monotonic() + 60
        paths = ["/", "/api/plan", "/api/node?address=process.db",
                 "/api/node?address=process.web", "/api/history", "/api/logs?service=db",
                 "/api/logs?service=web"]
        for path in paths:
            status, body = call(base, path, token, timeout=60)
            assert status == 200, (path, status, body)
            answers.append(body)
        runs = json.loads(answers[4])
        ids = {str(run["id"]) for run in (runs if isinstance(runs, list) else runs["runs"])}
        assert ids
        for run_id in sorted(ids):
            status, body = call(base, f"/api/history?run={run_id}", token, timeout=60)
            assert status == 200, body
            answers.append(body)
        while True:  # the status snapshot, once the hub has read the project
            status, body = call(base, "/api/status", token, timeout=60)
            if status == 200 and "process.db" in body:
                answers.append(body)
                break
            assert time.monotonic() < deadline + 60, body
            time.sleep(0.5)
    answers.append((tmp_path / "ui.err").read_text())
    return answers


def pg_dump(cluster: Any) -> str:
    dump = cluster.bin / "pg_dump"
    done = subprocess.run([str(dump), "-h", str(cluster.socket), "-p", "5432", "-U", "postgres",
                           "--no-password", "reconciler"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_clear_value_is_nowhere_but_in_the_process(
        project: Project, pg_cluster: Any, tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    project("validate")
    project("apply", "--auto-approve", "--age-key-file", str(project.key))
    assert seen.read_text() == PASSWORD
    sops(project.key, "set", "secrets.enc.yaml", '["db"]["password"]', f'"{ROTATED}"',
         cwd=project.dir)
    plan = project("plan", "--age-key-file", str(project.key))
    assert "~ env.DB_PASSWORD: (sensitive value) -> (sensitive value)" in plan
    project("apply", "--auto-approve")
    assert seen.read_text() == ROTATED
    for args in (("plan",), ("plan", "--json"), ("status",), ("show",), ("show", "--json"),
                 ("state", "list"), ("state", "show", "process.db"), ("history",),
                 ("logs", "db"), ("secrets", "show-refs"), ("state", "verify-audit"),
                 ("state", "push", "--to", str(tmp_path / "copy.db"))):
        project(*args)
    export = project("audit", "export")
    assert "process.db" in export
    answers = dashboard(project, tmp_path)
    dump = pg_dump(pg_cluster)
    assert "process.db" in dump and "DB_PASSWORD" in dump  # our project's state is in it

    texts = {"pg_dump": dump, **{f"cli {i}": text for i, text in enumerate(project.outputs)},
             **{f"ui {i}": text for i, text in enumerate(answers)}}
    assert (tmp_path / "copy.db").is_file()
    for path in [*(project.dir / ".reconciler").rglob("*"), tmp_path / "copy.db"]:
        if path.is_file():
            texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    for name, text in texts.items():
        for value in (PASSWORD, ROTATED):
            assert value not in text, f"{value} in {name}"
