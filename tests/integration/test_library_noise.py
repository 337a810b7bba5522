"""Third-party log output never reaches the user (issue 12): a "host" on 127.0.0.1 that answers
with something that is not SSH made paramiko's transport thread print two tracebacks."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def not_ssh() -> Iterator[int]:
    """A TCP server on loopback answering every connection with an HTTP error page."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\nnot ssh\r\n" * 20)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()
    thread.join(timeout=5)


def test_a_host_that_is_not_ssh_gives_an_error_not_a_traceback(not_ssh: int,
                                                               tmp_path: Path) -> None:
    (tmp_path / "kh").write_text("")
    (tmp_path / "services.yaml").write_text(
        f"name: noise\nhosts:\n  junk:\n    address: 127.0.0.1\n    port: {not_ssh}\n"
        f"    connect_timeout: 2\n    known_hosts: {tmp_path / 'kh'}\nservices:\n  echo:\n"
        "    type: remote\n    host: junk\n    command: sleep 100\n")
    base = [sys.executable, "-m", "reconciler", "-C", str(tmp_path), "--no-color"]
    env_log = tmp_path / "debug.log"
    for args, code in ((["plan"], 0), (["hosts", "trust", "junk"], 1), (["hosts", "test"], 1)):
        done = subprocess.run([*base, *args], capture_output=True, text=True, timeout=120,
                              check=False)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert "junk" in done.stdout + done.stderr  # the host is named, its error mapped
        assert done.returncode == code, (args, done.returncode, done.stderr)
    kept = subprocess.run([*base, "plan"], capture_output=True, text=True, timeout=120,
                          check=False, env={"RECONCILER_DEBUG_LOG": str(env_log),
                                            "PATH": "/usr/bin:/bin"})
    assert "Traceback" not in kept.stderr
    assert "paramiko" in env_log.read_text()  # RECONCILER_DEBUG_LOG keeps them for a report
