"""The service verbs on real processes and a real container (issue 20): stop survives an apply
and a watch heal cycle, start brings back what a service needs, restart replaces, exec passes
the service's environment and its exit code (also in a container and a Compose service),
show/state read and edit the state, doctor's exit code follows a stopped Docker engine, init
writes a file that validates.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.cli import Cli, kill_scope
from infra.components import require

ROOT = Path(__file__).resolve().parents[2]

TWO = """\
name: verbs
services:
  db:
    command: "exec python3 -m http.server $PORT --bind 127.0.0.1"
    port: auto
    env: {DB_SECRET_TOKEN: "s3cr3t-value", MODE: "primary"}
    health_check: {http: "http://127.0.0.1:${db.port}/", interval: 0.2, start_period: 10}
  api:
    command: "exec sleep 3600"
    depends_on: [db]
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Cli, str]]:
    (tmp_path / "services.yaml").write_text(TWO)
    cli = Cli(tmp_path, f"t{os.getpid()}v")
    scope = f"verbs_{cli.session}"
    yield cli, scope
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(scope)


def status(cli: Cli) -> dict[str, dict[str, Any]]:
    rows = json.loads(cli("status", "--json").stdout)["resources"]
    return {r["address"]: r for r in rows}


def test_stop_holds_across_apply_and_watch_until_start(project: tuple[Cli, str]) -> None:
    cli, scope = project
    cli("apply", "--auto-approve")
    refused = cli("stop", "db", expect=1)
    assert "still needed by process.api" in refused.stderr and "--force" in refused.stderr
    assert "process.db" in cli.owned(scope)  # refused: nothing stopped
    out = cli("stop", "db", "--force", "--timeout", "2").stdout
    assert "stopped: held by `reconciler stop`" in out
    assert "process.db" not in cli.owned(scope) and "process.api" in cli.owned(scope)
    assert status(cli)["process.db"]["state"] == "stopped"
    # an apply and a plan leave it stopped
    assert "No changes" in cli("apply", "--auto-approve").stdout
    assert cli("plan", "--detailed-exitcode").returncode == 0
    # a watch heal cycle: api killed by hand is restarted, db stays stopped
    os.killpg(cli.owned(scope)["process.api"][0], signal.SIGKILL)
    watch = subprocess.Popen(cli.argv("watch", "--json", "--debounce", "0.1", "--poll", "0.2"),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while "process.api" not in cli.owned(scope) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "process.api" in cli.owned(scope), "watch did not heal process.api"
        time.sleep(1.0)
        assert "process.db" not in cli.owned(scope)
    finally:
        watch.send_signal(signal.SIGINT)
        watch.communicate(timeout=30)
    cli("start", "api")  # start includes what api needs: db
    owned = cli.owned(scope)
    assert "process.db" in owned and "process.api" in owned
    assert status(cli)["process.db"]["state"] == "running"
    assert cli("plan", "--detailed-exitcode").returncode == 0


def test_restart_replaces_only_the_named_service(project: tuple[Cli, str]) -> None:
    cli, scope = project
    cli("apply", "--auto-approve")
    before = cli.owned(scope)
    out = cli("restart", "api").stdout
    assert "1 replaced" in out
    after = cli.owned(scope)
    assert after["process.api"] != before["process.api"]
    assert after["process.db"] == before["process.db"]
    assert cli("plan", "--detailed-exitcode").returncode == 0


def test_exec_has_the_service_env_and_passes_the_exit_code(project: tuple[Cli, str]) -> None:
    cli, _ = project
    cli("apply", "--auto-approve")
    done = cli("exec", "db", "--", "sh", "-c",
               'echo "$MODE $PORT $DB_SECRET_TOKEN ${RECONCILER_ADDRESS:-unmarked} $(pwd)"; '
               "exit 7", expect=7)
    mode, port, secret, mark, cwd = done.stdout.split()
    assert (mode, secret, mark, cwd) == ("primary", "s3cr3t-value", "unmarked",
                                         str(cli.project))
    assert int(port) == status(cli)["process.db"]["port"]
    assert "no service named 'nope'" in cli("exec", "nope", "--", "true", expect=1).stderr


def test_show_state_and_state_rm(project: tuple[Cli, str], tmp_path: Path) -> None:
    cli, scope = project
    cli("apply", "--auto-approve")
    shown = cli("show").stdout
    assert "# process.db: running" in shown and "s3cr3t-value" not in shown
    assert json.loads(cli("state", "show", "process.db", "--json").stdout)["status"] == \
        "running"
    (cli.project / "services.yaml").write_text(TWO.replace("primary", "replica"))
    saved = tmp_path / "plan.json"
    cli("plan", "-out", str(saved), expect=0)
    text = cli("show", str(saved)).stdout
    assert "process.db" in text and "replica" in text and "s3cr3t-value" not in text
    cli("state", "rm", "process.api")
    assert "process.api" not in cli("state", "list").stdout.split()
    assert "process.api" in cli.owned(scope)  # forgetting never touches the world
    assert "is not in the state" in cli("state", "rm", "process.nope", expect=1).stderr


def test_exec_in_a_container(tmp_path: Path, busybox_image: str, docker_cleanup: Any) -> None:
    (tmp_path / "services.yaml").write_text(
        f"name: verbsbox\nservices:\n  box:\n    type: docker\n    image: {busybox_image}\n"
        f"    command: [\"sleep\", \"3600\"]\n    env: {{GREETING: hello}}\n    init: true\n")
    cli = Cli(tmp_path, f"t{os.getpid()}c")
    try:
        cli("apply", "--auto-approve")
        done = cli("exec", "box", "--", "sh", "-c", 'echo "$GREETING"; exit 3', expect=3)
        assert done.stdout.strip() == "hello"
    finally:
        cli("destroy", "--auto-approve", expect=None)


def test_exec_in_a_compose_service(tmp_path: Path, busybox_image: str,
                                   docker_cleanup: Any) -> None:
    require("compose-v2")
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  web:\n    image: {busybox_image}\n    init: true\n"
        f"    command: [\"sleep\", \"3600\"]\n    environment: {{GREETING: bonjour}}\n")
    (tmp_path / "services.yaml").write_text(
        "name: verbscompose\nservices:\n  front: {type: compose, files: [compose.yaml]}\n")
    cli = Cli(tmp_path, f"t{os.getpid()}k")
    try:
        cli("apply", "--auto-approve")
        done = cli("exec", "front.web", "--", "sh", "-c", 'echo "$GREETING"; exit 4',
                   expect=4)
        assert done.stdout.strip() == "bonjour"
    finally:
        cli("destroy", "--auto-approve", expect=None)


def test_doctor_exit_code_follows_the_docker_engine(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(
        "name: doc\nservices:\n  box:\n    type: docker\n    image: busybox\n")
    cli = Cli(tmp_path, f"t{os.getpid()}d")
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    down = subprocess.run(cli.argv("doctor", "--json"), capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert down.returncode == 1, down.stdout + down.stderr
    checks = {c["name"]: c for c in json.loads(down.stdout)["checks"]}
    assert checks["docker engine"]["status"] == "fail" and checks["docker engine"]["critical"]
    assert "Traceback" not in down.stderr
    if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True,
                                                 check=False).returncode == 0:
        up = cli("doctor", expect=0).stdout
        assert "docker engine" in up and "no critical problems" in up


@pytest.mark.parametrize("source,text", [
    ("Procfile", "web: python3 -m http.server $PORT\nworker: sleep 100\n"),
    ("locald.toml", "[project]\nname = \"shop\"\n[services.web]\ncommand = \"sleep 1\"\n"
                    "depends_on = [\"db\"]\n[services.db]\ntype = \"postgres\"\n"),
    ("compose.yaml", "services:\n  app:\n    image: busybox\n"),
])
def test_init_from_each_format_validates(tmp_path: Path, source: str, text: str) -> None:
    (tmp_path / source).write_text(text)
    cli = Cli(tmp_path, f"t{os.getpid()}i")
    cli("init", "--from", source)
    written = (tmp_path / "services.yaml").read_text()
    assert written.startswith("# yaml-language-server: $schema=services.schema.json\n")
    schema = json.loads((tmp_path / "services.schema.json").read_text())
    assert schema["title"] == "reconciler services.yaml"
    # the source stays where it was: the new file replaces it, nothing is defined twice
    done = subprocess.run([sys.executable, "-m", "reconciler", "-C", str(tmp_path),
                           "validate"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, written + done.stdout + done.stderr
    plan = cli("plan", "--json", expect=None)
    assert plan.returncode in (0, 2), plan.stdout + plan.stderr
    planned = {c["address"] for c in json.loads(plan.stdout)["changes"]}
    assert planned == {"locald.toml": {"process.web"}, "Procfile": {
        "process.web", "process.worker"}}.get(source, planned), planned
    assert "already exists" in cli("init", expect=1).stderr


def test_schema_prints_the_shipped_file_and_writes_a_copy(tmp_path: Path) -> None:
    cli = Cli(tmp_path, f"t{os.getpid()}s")
    shipped = Path(cli("schema").stdout.strip())
    assert shipped.name == "services.schema.json" and shipped.is_file()
    cli("schema", "policy", "--write")
    assert (tmp_path / "policy.schema.json").read_bytes() == \
        shipped.with_name("policy.schema.json").read_bytes()
    assert "no schema named" in cli("schema", "nosuch", expect=1).stderr
