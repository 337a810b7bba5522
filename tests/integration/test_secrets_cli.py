"""Secrets a service prints itself stay masked in every CLI output, the state and the audit log.

A project with three secrets (a literal ``{secret: ...}``, a secret-named env var from .env and
a URL interpolated from ``${DB_PASSWORD}``) whose processes echo them to their logs; ``logs``
(plain and ``--follow``), ``status``, ``show``, ``plan --json``, ``state show``, ``state pull``,
``history``, ``audit export``, the state database and its audit rows never hold them in clear;
nor do ``apply``, ``watch --json``, every JSON endpoint and stream of a real ``reconciler ui``
(a log search by a secret finds nothing), a crashing service's tail or a failing health check's
output (the password alone, out of the URL built from it, included).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.cli import Cli, kill_scope

LITERAL = "lit3ral-s3cret-value"
NAMED = "n4med-passw0rd-value"
INTERPOLATED = "interp0lated-pw-value"
SECRETS = (LITERAL, NAMED, INTERPOLATED)

PROJECT = """\
name: leaky
services:
  talker:
    command: >-
      while :; do echo token=$TOKEN pw=$API_PASSWORD url=$DB_URL
      bare=$(echo $DB_URL | cut -d: -f3); sleep 0.3; done
    env:
      TOKEN: {secret: "@LITERAL@"}
      API_PASSWORD: "@NAMED@"
      DB_URL: "postgres://app:${DB_PASSWORD}@127.0.0.1:5432/app"
""".replace("@LITERAL@", LITERAL).replace("@NAMED@", NAMED)


@pytest.fixture
def leaky(tmp_path: Path) -> Iterator[tuple[Cli, str]]:
    project = tmp_path / "leaky"
    project.mkdir()
    (project / "services.yaml").write_text(PROJECT)
    (project / ".env").write_text(f"DB_PASSWORD={INTERPOLATED}\n")
    cli = Cli(project, f"t{os.getpid()}s")
    yield cli, f"leaky_{cli.session}"
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(f"leaky_{cli.session}")


def clear(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def wait_logged(cli: Cli) -> str:
    for _ in range(100):
        done = cli("logs", expect=None)
        if "token=" in done.stdout:
            return done.stdout + done.stderr
        time.sleep(0.1)
    raise AssertionError("the service never logged its line")


def test_secrets_printed_by_a_service_are_masked_everywhere(
        leaky: tuple[Cli, str], tmp_path: Path) -> None:
    cli, _ = leaky
    applied = cli("apply", "--auto-approve")
    assert clear(applied.stdout + applied.stderr) == []
    logged = wait_logged(cli)
    assert "(sensitive)" in logged and clear(logged) == []

    # --tail 0: every line comes from the follow loop (bounded: killed by pid after 60 s)
    follow = subprocess.Popen(cli.argv("logs", "--follow", "--tail", "0"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              stdin=subprocess.DEVNULL)
    guard = threading.Timer(60, follow.kill)
    guard.start()
    try:
        assert follow.stdout is not None
        first = follow.stdout.readline()
    finally:
        guard.cancel()
        follow.terminate()
        follow.wait(timeout=20)
    assert "token=" in first and clear(first) == []

    outputs = {}
    for args in (["status"], ["status", "--json"], ["show"], ["plan", "--json"],
                 ["state", "list"], ["state", "show", "process.talker"], ["history"],
                 ["audit", "export", "--json"]):
        done = cli(*args, expect=None)
        outputs[" ".join(args)] = done.stdout + done.stderr
    pulled = tmp_path / "pulled.db"
    for verb, flag in (("push", "--to"), ("pull", "--from")):
        done = cli("state", verb, flag, f"sqlite:///{pulled}", expect=None)
        outputs[f"state {verb}"] = done.stdout + done.stderr
    leaks = {name: clear(text) for name, text in outputs.items() if clear(text)}
    assert leaks == {}

    state_dir = cli.project / ".reconciler" / "sessions" / cli.session
    stored = [p for p in [*state_dir.glob("state.db*"), *tmp_path.glob("pulled.db*")]
              if p.is_file()]
    assert stored
    for path in stored:
        data = path.read_bytes()
        assert [s for s in SECRETS if s.encode() in data] == [], path


def sse_first(url: str, token: str) -> str:
    """The first event of an SSE stream (read with a bounded socket timeout)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    text = ""
    with urllib.request.urlopen(request, timeout=30) as response:
        while not text.endswith("\n\n"):
            line = response.readline().decode()
            if not line:
                break
            if not line.startswith(":"):  # keep-alive comments
                text += line
    return text


def get(base: str, path: str, token: str) -> str:
    request = urllib.request.Request(f"{base}{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return str(response.read().decode())
    except urllib.error.HTTPError as exc:
        return f"{exc.code} {exc.read().decode()}"


def dashboard_answers(cli: Cli, tmp_path: Path) -> dict[str, str]:
    """Every JSON endpoint (and the first event of each stream) of a real `reconciler ui`."""
    token = uuid.uuid4().hex
    (tmp_path / "token").write_text(token)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(cli.argv("ui", "--listen", f"127.0.0.1:{port}", "--token-file",
                                     str(tmp_path / "token")),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        answers: dict[str, str] = {}
        for _ in range(300):  # bounded: the first status snapshot
            assert proc.poll() is None, "the ui server stopped"
            with contextlib.suppress(OSError):
                answers["status"] = get(base, "/api/status", token)
                if "talker" in answers["status"]:
                    break
            time.sleep(0.2)
        assert "talker" in answers.get("status", "")
        for path in ("/api/plan", "/api/node?address=process.talker", "/api/history",
                     "/api/logs?tail=500", "/api/logs?tail=500&remote=1",
                     "/api/logs?service=talker&tail=500", f"/api/logs?q={NAMED[:8]}",
                     f"/api/logs?q={INTERPOLATED[:8]}", f"/api/logs?q={LITERAL[:8]}"):
            answers[path] = get(base, path, token)
        for run in json.loads(answers["/api/history"]):
            answers[f"run {run['id']}"] = get(base, f"/api/history?run={run['id']}", token)
        for path in ("/api/events", "/api/logs/stream?service=talker"):
            answers[path] = sse_first(f"{base}{path}", token)
        return answers
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def watched(cli: Cli, seconds: float) -> str:
    """`watch --json` output for ``seconds`` (then SIGTERM, killed by pid if it lingers)."""
    proc = subprocess.Popen(cli.argv("watch", "--json", "--interval", "0.5"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    stopper = threading.Timer(seconds, proc.send_signal, (signal.SIGTERM,))
    stopper.start()
    try:
        out, _ = proc.communicate(timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=10)
    finally:
        stopper.cancel()
    return out


def test_dashboard_watch_and_apply_never_show_the_secrets(
        leaky: tuple[Cli, str], tmp_path: Path) -> None:
    cli, _ = leaky
    applied = cli("apply", "--auto-approve")
    assert clear(applied.stdout + applied.stderr) == []
    wait_logged(cli)
    answers = dashboard_answers(cli, tmp_path)
    assert "(sensitive)" in answers["/api/logs?tail=500"]
    for query in (NAMED, INTERPOLATED, LITERAL):  # no search finds a line by its secret
        assert json.loads(answers[f"/api/logs?q={query[:8]}"])["lines"] == []
    answers["watch --json"] = watched(cli, 4)
    assert '"kind"' in answers["watch --json"]
    assert {name: clear(text) for name, text in answers.items() if clear(text)} == {}


CRASHING = """\
    command: >-
      echo bare=$(echo $DB_URL | cut -d: -f3); echo named=$API_PASSWORD; exit 1
"""
UNHEALTHY = """\
    command: sleep 100
    health_check:
      command: sh
      args: ["-c", "echo bare=$(echo $DB_URL | cut -d: -f3) named=$API_PASSWORD; exit 1"]
      retries: 1
      interval: 1
"""


@pytest.mark.parametrize("how", [CRASHING, UNHEALTHY], ids=["crash-tail", "health-output"])
def test_a_failing_service_masks_the_bare_password(tmp_path: Path, how: str) -> None:
    """A crashing service's log tail and a failing health check's output (in apply's error,
    ``status``, ``history`` and the audit log) know a secret-named variable's own value, not
    only the URL built from it (issue 28)."""
    project = tmp_path / "failing"
    project.mkdir()
    (project / "services.yaml").write_text(
        "name: failing\nservices:\n  crash:\n" + how + "    env:\n"
        f"      API_PASSWORD: \"{NAMED}\"\n"
        "      DB_URL: \"postgres://app:${DB_PASSWORD}@127.0.0.1:5432/app\"\n")
    (project / ".env").write_text(f"DB_PASSWORD={INTERPOLATED}\n")
    cli = Cli(project, f"t{os.getpid()}f")
    try:
        done = cli("apply", "--auto-approve", expect=None)
        shown = [cli(*args, expect=None) for args in (["status", "--json"], ["history"],
                                                       ["audit", "export", "--json"])]
        stored = b"".join(p.read_bytes() for p in (
            project / ".reconciler" / "sessions" / cli.session).glob("state.db*"))
    finally:
        cli("destroy", "--auto-approve", expect=None)
        kill_scope(f"failing_{cli.session}")
    assert stored and done.returncode != 0 and "bare=" in done.stdout + done.stderr, done.stderr
    assert clear(done.stdout + done.stderr + stored.decode("latin-1")) == []
    assert [clear(p.stdout + p.stderr) for p in shown] == [[], [], []]


def test_a_secret_interpolated_into_a_plain_field_is_masked_in_every_plan(
        tmp_path: Path) -> None:
    """``command: ... ${DB_PASSWORD}`` is warned about and kept as written; the plan renderings
    (text, ``--json``, ``--markdown``) and a saved plan still never show it (issue 28)."""
    (tmp_path / "services.yaml").write_text(
        "name: plain\nservices:\n  web:\n    command: sleep 100 ${DB_PASSWORD}\n    env:\n"
        "      DB_URL: \"postgres://app:${DB_PASSWORD}@127.0.0.1:5432/app\"\n")
    (tmp_path / ".env").write_text(f"DB_PASSWORD={INTERPOLATED}\n")
    cli = Cli(tmp_path, f"t{os.getpid()}p")
    shown = [cli(*args) for args in (["plan"], ["plan", "--json"], ["plan", "--markdown"],
                                     ["plan", "-out", str(tmp_path / "saved.json")])]
    assert all("sleep 100 (sensitive)" in p.stdout for p in shown[:3])
    saved = (tmp_path / "saved.json").read_text()
    assert [clear(p.stdout + p.stderr) for p in shown] + [clear(saved)] == [[]] * 5
