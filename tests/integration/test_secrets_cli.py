"""Secrets a service prints itself stay masked in every CLI output, the state and the audit log.

A project with three secrets (a literal ``{secret: ...}``, a secret-named env var from .env and
a URL interpolated from ``${DB_PASSWORD}``) whose processes echo them to their logs; ``logs``
(plain and ``--follow``), ``status``, ``show``, ``plan --json``, ``state show``, ``state pull``,
``history``, ``audit export``, the state database and its audit rows never hold them in clear.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
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
