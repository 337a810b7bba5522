"""A real ``reconciler ui`` server for integration tests: a free loopback port, one HTTP call
with the dashboard's token (and CSRF header), and :func:`running_ui`, which starts the server
in its own session with a token file, waits (bounded) until it answers, and stops its process
group by id at the end (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(base: str, path: str, token: str, *, body: bytes | None = None, csrf: str = "",
         timeout: float = 20) -> tuple[int, str]:
    """GET (or POST ``body``) with the token; (0, "") when nothing answers."""
    request = urllib.request.Request(f"{base}{path}", data=body,
                                     method="POST" if body is not None else "GET",
                                     headers={"Authorization": f"Bearer {token}",
                                              "X-CSRF-Token": csrf,
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except urllib.error.URLError:
        return 0, ""


@dataclass(frozen=True)
class UiServer:
    proc: subprocess.Popen[bytes]
    base: str
    token: str
    stderr: Path


@contextmanager
def running_ui(argv: Sequence[str], token: str, directory: Path, *,
               env: Mapping[str, str] | None = None, start_timeout: float = 30,
               stderr_name: str = "stderr") -> Iterator[UiServer]:
    """Run ``argv + ui --listen 127.0.0.1:PORT --token-file DIRECTORY/token`` until it answers
    an unauthenticated /api/status with 401; its stderr goes to DIRECTORY/``stderr_name``."""
    (directory / "token").write_text(token)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    err = directory / stderr_name
    with err.open("wb") as stderr:
        proc = subprocess.Popen(
            [*argv, "ui", "--listen", f"127.0.0.1:{port}", "--token-file",
             str(directory / "token")],
            stdout=subprocess.DEVNULL, stderr=stderr, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, start_new_session=True)
    try:
        deadline = time.monotonic() + start_timeout
        while call(base, "/api/status", "")[0] != 401:
            assert proc.poll() is None, err.read_text()
            assert time.monotonic() < deadline, "the ui server did not start"
            time.sleep(0.2)
        yield UiServer(proc, base, token, err)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(20)
