"""``reconciler ui``: serve the live dashboard (reconciler/ui/) for this project (the serving
itself, shared with ``watch --ui``, is :mod:`reconciler.cli.ui_serve`)."""

from __future__ import annotations

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
    from reconciler.cli.ui_serve import UiOptions, prepare

    served = prepare(globals_of(ctx).project, UiOptions(
        listen=listen, token_file=token_file, tls_cert=tls_cert, tls_key=tls_key,
        insecure=insecure, interval=interval))
    for line in served.banner:
        echo(line)
    if open_browser:
        import webbrowser

        webbrowser.open(served.url)
    served.serve()
