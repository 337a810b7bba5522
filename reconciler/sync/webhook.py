"""The agent's optional webhook (``--listen 127.0.0.1:PORT``): a POST means "fetch now".

A push hook of the git server (or anything else) POSTs to any path; the agent fetches at
once instead of waiting for ``--interval``. The body is ignored: the request only wakes the
agent, what it applies still comes from the repository (and its signatures), so the endpoint
needs no secret. GET answers ``{"ok": true}`` for health checks. A port in use is a
:class:`~reconciler.errors.UserError`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from reconciler.errors import UserError


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"--listen {text!r} is not HOST:PORT",
                        hint="e.g. --listen 127.0.0.1:9419")
    return host.strip("[]"), int(port)


class Webhook:
    """An HTTP server in a daemon thread calling ``on_push`` for every POST."""

    def __init__(self, address: tuple[str, int], on_push: Callable[[str], None]):
        self.address = address
        self.on_push = on_push
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        on_push = self.on_push

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(min(length, 1 << 20))
                on_push(f"webhook {self.path}")
                self._answer(202, {"ok": True, "queued": "fetch"})

            def do_GET(self) -> None:
                self._answer(200, {"ok": True})

            def _answer(self, code: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return  # the agent's events say what happened

        try:
            self._server = ThreadingHTTPServer(self.address, Handler)
        except OSError as exc:
            raise UserError(f"cannot listen on {self.address[0]}:{self.address[1]}: "
                            f"{exc.strerror or exc}",
                            hint="pick a free port for --listen") from exc
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="sync-webhook", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
