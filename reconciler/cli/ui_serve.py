"""Serving the dashboard (reconciler/ui/) from a CLI command: ``ui`` on its own, or ``watch
--ui`` / ``sync --ui`` beside the watch or pull loop in the same process.

:func:`prepare` checks everything that can be wrong before anything listens (TLS files in
pairs, a non-loopback address without TLS, the ``ui`` extra, a missing or broken project, a
port in use) and returns a :class:`Served` whose socket is already bound; uvicorn and Starlette
are imported only here, so CLI start-up stays light.
"""

from __future__ import annotations

import math
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.errors import UserError

if TYPE_CHECKING:
    from reconciler.cli.common import Globals
    from reconciler.engine.project import Project
    from reconciler.ui.sync_panel import SyncPanel


@dataclass(frozen=True)
class UiOptions:
    listen: str = "127.0.0.1:8765"
    token_file: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    insecure: bool = False
    interval: float = 1.0


class Served:
    """A bound dashboard server: :meth:`serve` blocks, :meth:`start` runs it in a thread."""

    def __init__(self, server: Any, sock: socket.socket, url: str, banner: list[str]):
        self.server, self.sock, self.url, self.banner = server, sock, url, banner
        self._thread: threading.Thread | None = None

    def serve(self) -> None:
        with self.sock:
            self.server.run(sockets=[self.sock])

    def start(self) -> None:
        """Serve from a daemon thread (uvicorn installs no signal handlers off the main one)."""
        self._thread = threading.Thread(target=self.serve, name="ui", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)


def prepare(make_project: Callable[[], Project], options: UiOptions,
            sync: SyncPanel | None = None) -> Served:
    """``sync`` (``sync --ui``): serve the agent's panel too; the project may not exist yet
    (no checkout before the first sync), so it is not checked here."""
    from reconciler.ui.security import Guard, check_exposure, load_token, parse_listen

    address = parse_listen(options.listen)
    if not math.isfinite(options.interval) or not 0.05 <= options.interval <= 86400:
        raise UserError(f"--interval {options.interval:g} is not a number of seconds between "
                        "0.05 and 86400", hint="e.g. --interval 1")
    if (options.tls_cert is None) != (options.tls_key is None):
        raise UserError("--tls-cert and --tls-key go together", hint="pass both or neither")
    tls = options.tls_cert is not None
    check_exposure(address, tls=tls, insecure=options.insecure)
    token = load_token(options.token_file)
    try:
        import uvicorn

        from reconciler.ui.app import build_app
    except ImportError as exc:
        raise UserError(f"the dashboard needs the 'ui' extra ({exc.name} is not installed)",
                        hint="pip install 'reconciler[ui]'") from exc
    from reconciler.ui.service import Dashboard

    dashboard = Dashboard(make_project, sync.waiting if sync is not None else None)
    if sync is None:
        dashboard.poller.desired()  # a missing or broken project fails here, before serving
    sock = bind(address.host, address.port, options.listen)
    asgi = build_app(dashboard, Guard(token), interval=options.interval, sync=sync)
    scheme = "https" if tls else "http"
    host = f"[{address.host}]" if ":" in address.host else address.host
    url = f"{scheme}://{host}:{address.port}/?token={token}"
    what = f"the sync agent of {sync.root}" if sync is not None \
        else str(dashboard.poller.directory.resolve())
    banner = [f"reconciler ui: serving {what} on {scheme}://{host}:{address.port}/",
              f"open: {url}" if options.token_file is None
              else f"open it with ?token=<the token in {options.token_file}>"]
    config = uvicorn.Config(asgi, log_level="warning",
                            ssl_certfile=str(options.tls_cert) if options.tls_cert else None,
                            ssl_keyfile=str(options.tls_key) if options.tls_key else None)
    return Served(uvicorn.Server(config), sock, url, banner)


def prepare_sync(g: Globals, path: str | None, options: UiOptions) -> Served:
    """``sync --ui``: the dashboard of the agent's checkout (``path`` inside it) with its sync
    panel, bound and its banner printed (to stderr: ``--json`` keeps stdout to events)."""
    from reconciler.cli.common import echo
    from reconciler.sync.control import base_state_dir, project_for, sync_root
    from reconciler.ui.sync_panel import SyncPanel

    root = sync_root(g.directory, g.session, g.state_dir).absolute()
    state_dir = base_state_dir(g.directory, g.state_dir)
    panel = SyncPanel(root, session=g.session, state_dir=state_dir, state_url=g.state)
    served = prepare(lambda: project_for(root, path, session=g.session, state_dir=state_dir,
                                         policy_file=g.policy, state_url=g.state,
                                         lock_timeout=g.lock_timeout), options, sync=panel)
    for line in served.banner:
        echo(line, err=True)
    return served


def bind(host: str, port: int, listen: str) -> socket.socket:
    """The listening socket, bound here so a port in use is a user error (uvicorn would log
    it and exit on its own)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot serve on {listen}: {exc.strerror or exc}",
                        hint="pick another --listen port") from exc
    return sock
