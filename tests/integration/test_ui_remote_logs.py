"""The dashboard's logs for a process on a real sshd namespace host (issue 30: "remote
services' logs stream like local ones"): ``/api/logs`` lists it as ``name@host`` and shows its
last lines; ``/api/logs/stream`` follows it -- alone (``service=name@host``) and in the "all"
view (``remote=1``, what the page asks) -- with lines written on the host after the stream
opened, fetched through the host's connection; a secret in them is masked."""

from __future__ import annotations

import json
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from infra.netns_hosts import SshHost
from infra.ui_server import call, running_ui

from reconciler.engine.project import Project

SERVICES = """\
name: {name}
hosts:
  {host}:
    address: {address}
    user: root
    identity_file: {key}
    known_hosts: {known}
services:
  talker:
    type: remote
    host: {host}
    command: i=0; while true; do i=$((i+1)); echo "tick $i $TOKEN"; sleep 0.3; done
    env: {{TOKEN: {{secret: hunter2-remote}}}}
"""


@pytest.fixture
def applied(ssh_hosts: Callable[[int], list[SshHost]], tmp_path: Path
            ) -> Iterator[tuple[Path, SshHost]]:
    host, = ssh_hosts(1)
    directory = tmp_path / f"uil{uuid.uuid4().hex[:6]}"
    directory.mkdir()
    (directory / "services.yaml").write_text(SERVICES.format(
        name=directory.name, host=host.name, address=host.address, key=host.key_path,
        known=host.known_hosts_path))
    project = Project(directory)
    try:
        run = project.plan()
        with project.locked():
            assert project.execute(run).ok
        yield directory, host
    finally:
        run = project.plan(destroy=True)
        with project.locked():
            project.execute(run)
        project.transports.close()


def _streamed(base: str, token: str, query: str, wanted: str) -> list[dict[str, str]]:
    """The stream's lines until one of ``wanted`` (bounded: 60 s, then what came)."""
    request = urllib.request.Request(f"{base}/api/logs/stream?{query}",
                                     headers={"Authorization": f"Bearer {token}"})
    got: list[dict[str, str]] = []
    deadline = time.monotonic() + 60
    with urllib.request.urlopen(request, timeout=30) as response:
        while time.monotonic() < deadline:
            raw = response.readline().decode()
            if raw.startswith("data: "):
                got.append(json.loads(raw[6:]))
                if got[-1]["service"] == wanted:
                    break
    return got


def test_remote_logs_are_listed_and_streamed(applied: tuple[Path, SshHost]) -> None:
    directory, host = applied
    argv = [sys.executable, "-m", "reconciler", "-C", str(directory)]
    talker = f"talker@{host.name}"
    with running_ui(argv, uuid.uuid4().hex, directory) as ui:
        status, body = call(ui.base, f"/api/logs?service={talker}&tail=5", ui.token)
        assert status == 200, body
        shown = json.loads(body)
        assert talker in shown["services"]
        assert shown["lines"] and all(line["line"].startswith("tick ") for line in shown["lines"])

        for query in (f"service={talker}", "service=&remote=1"):
            got = _streamed(ui.base, ui.token, query, talker)
            assert got and got[-1]["service"] == talker, got
            assert got[-1]["line"].startswith("tick ") and \
                got[-1]["line"].endswith(" (sensitive)"), got  # the secret, masked
            assert "hunter2-remote" not in json.dumps(got)
            assert "hunter2-remote" not in json.dumps(shown)
