"""``reconciler ui``: serve the live dashboard (reconciler/ui/) for this project.

Starlette and uvicorn are imported here, inside the command, so CLI start-up stays light; a
missing ``ui`` extra is a user error with the install hint.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli.app import app, echo, globals_of


@app.command()
def ui(
    ctx: typer.Context,
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT to serve on.")]
    = "127.0.0.1:8765",
    token_file: Annotated[Path | None, typer.Option(
        "--token-file", dir_okay=False, help="Read the access token from FILE "
        "(default: a random token, printed).")] = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", dir_okay=False,
                                                  help="TLS certificate (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", dir_okay=False,
                                                 help="TLS private key (PEM).")] = None,
    insecure: Annotated[bool, typer.Option(
        "--insecure", help="Allow plain HTTP on a non-loopback address.")] = False,
    interval: Annotated[float, typer.Option(
        "--interval", help="Seconds between status polls (shared by all clients).")] = 1.0,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a browser.")]
    = False,
) -> None:
    """Serve a live dashboard: graph, health, logs, plan, history and actions."""
    from reconciler.errors import UserError
    from reconciler.ui.security import Guard, check_exposure, load_token, parse_listen

    address = parse_listen(listen)
    if (tls_cert is None) != (tls_key is None):
        raise UserError("--tls-cert and --tls-key go together", hint="pass both or neither")
    check_exposure(address, tls=tls_cert is not None, insecure=insecure)
    token = load_token(token_file)
    try:
        import uvicorn

        from reconciler.ui.app import build_app
    except ImportError as exc:
        raise UserError(f"the dashboard needs the 'ui' extra ({exc.name} is not installed)",
                        hint="pip install 'reconciler[ui]'") from exc
    from reconciler.ui.service import Dashboard

    g = globals_of(ctx)
    dashboard = Dashboard(g.project)
    dashboard.poller.desired()  # a missing or broken project fails here, before serving
    sock = bind(address.host, address.port, listen)
    asgi = build_app(dashboard, Guard(token), interval=interval)
    scheme = "https" if tls_cert is not None else "http"
    host = f"[{address.host}]" if ":" in address.host else address.host
    url = f"{scheme}://{host}:{address.port}/?token={token}"
    echo(f"reconciler ui: serving {dashboard.poller.directory} on {scheme}://{host}:"
         f"{address.port}/")
    echo(f"open: {url}" if token_file is None else "open it with ?token=<the token in "
         f"{token_file}>")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(asgi, log_level="warning",
                            ssl_certfile=str(tls_cert) if tls_cert else None,
                            ssl_keyfile=str(tls_key) if tls_key else None)
    with sock:
        uvicorn.Server(config).run(sockets=[sock])


def bind(host: str, port: int, listen: str) -> socket.socket:
    """The listening socket, bound here so a port in use is a user error (uvicorn would log
    it and exit on its own)."""
    from reconciler.errors import UserError

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
    sock.set_inheritable(True)
    return sock
