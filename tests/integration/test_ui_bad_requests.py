"""The real ``reconciler ui`` server answers bad requests with a 4xx and a JSON message, and
its stderr never shows a traceback (issues 27/28): bodies that are not JSON objects, deep
nesting, ``?tail=abc``, an apply without the plan's hash, and a 100 MB body announced by its
Content-Length (refused before it is read: the answer comes while the client still holds
almost all of it). Nothing is applied: the project's one service is never started."""

from __future__ import annotations

import json
import re
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.ui_server import call, running_ui

SERVICES = "name: uibad\nservices:\n  web:\n    command: sleep 100\n    port: auto\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "services.yaml").write_text(SERVICES)
    argv = [sys.executable, "-m", "reconciler", "-C", str(project), "--no-color"]
    with running_ui(argv, uuid.uuid4().hex, tmp_path) as ui:
        status, page = call(ui.base, "/", ui.token)
        assert status == 200
        found = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert found, page[:500]
        yield {"base": ui.base, "token": ui.token, "csrf": found.group(1),
               "stderr": ui.stderr, "proc": ui.proc}


def announced_but_not_sent(base: str, token: str, csrf: str) -> bytes:
    """POST announcing 100 MB, send 64 KiB, and read the answer without sending the rest."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(f"POST /api/action HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer "
                     f"{token}\r\nX-CSRF-Token: {csrf}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {100 * 1024 * 1024}\r\n\r\n".encode())
        sock.sendall(b" " * 65536)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_bad_requests_get_4xx_json_and_no_traceback(server: dict[str, Any]) -> None:
    base, token, csrf = server["base"], server["token"], server["csrf"]
    bodies = [b"[1,2]", b'"x"', b"null", b"5", b"[" * 10000 + b"]" * 10000, b"{",
              b'{"action": "apply"}', b'{"action": "apply", "inputs_hash": ""}']
    for body in bodies:
        status, text = call(base, "/api/action", token, body=body, csrf=csrf)
        assert status == 400, (body[:40], status, text)
        assert json.loads(text)["error"]
    for query in ("tail=abc", "tail=1e999"):
        status, text = call(base, f"/api/logs?{query}", token)
        assert status == 400 and json.loads(text)["error"], (query, status, text)
    head = announced_but_not_sent(base, token, csrf)
    assert head.split(b"\r\n", 1)[0].split()[1] == b"413", head[:200]
    status, _ = call(base, "/api/status", token)
    assert status == 200  # still serving
    assert server["proc"].poll() is None
    text = Path(server["stderr"]).read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
