"""``reconciler watch``: auto-apply on save and heal drift until SIGINT/SIGTERM.

Parses the options into :class:`~reconciler.watch.loop.WatchOptions`, subscribes the live stream
(text or ``--json`` lines) and runs the :class:`~reconciler.watch.loop.Watcher` in a worker thread,
so the main thread only waits for signals: the first SIGINT/SIGTERM stops the loop after the
reconcile in progress, without touching the services (``--down-on-exit`` removes them); a
second one exits at once. ``--ui`` serves the dashboard from the same process
(:mod:`reconciler.cli.ui_serve`) until the loop stops.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli.age_key import AgeKeyFileOpt, use_age_key
from reconciler.cli.app import app, echo, globals_of


@app.command()
def watch(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON event per line.")] = False,
    debounce: Annotated[float, typer.Option(
        "--debounce", min=0.0, help="Quiet seconds that end a burst of config writes: a save "
        "is applied once no other write came for this long (a burst still goes at least once "
        "a second).")]
    = 0.03,
    interval: Annotated[float, typer.Option(
        "--interval", min=0.1, help="Seconds between full observations (+/-10% jitter).")]
    = 30.0,
    poll: Annotated[float, typer.Option(
        "--poll", min=0.05, help="Seconds between checks of the managed pids (exits are "
        "noticed at once through pidfds where the kernel has them; this is the fallback).")]
    = 0.5,
    max_replace: Annotated[int, typer.Option(
        "--max-replace", min=0, help="Most replacements (config changes) applied unattended.")]
    = 3,
    max_delete: Annotated[int, typer.Option(
        "--max-delete", min=0, help="Most deletes applied unattended (0: orphans wait for a "
        "manual apply).")] = 0,
    backoff_base: Annotated[float, typer.Option(
        "--backoff", min=0.01, help="First restart backoff of a crashing service (doubles).")]
    = 1.0,
    backoff_cap: Annotated[float, typer.Option(
        "--backoff-cap", min=0.01, help="Longest restart backoff.")] = 60.0,
    parallelism: Annotated[int, typer.Option(
        "--parallelism", min=1, help="How many nodes may be applied at once.")] = 10,
    down_on_exit: Annotated[bool, typer.Option(
        "--down-on-exit", help="Destroy the project's resources when the watch stops.")]
    = False,
    ui: Annotated[bool, typer.Option(
        "--ui", help="Serve the live dashboard from this watch (see `reconciler ui`).")]
    = False,
    ui_listen: Annotated[str, typer.Option(
        "--ui-listen", help="HOST:PORT the dashboard serves on (with --ui).")]
    = "127.0.0.1:8765",
    ui_token_file: Annotated[Path | None, typer.Option(
        "--ui-token-file", dir_okay=False, help="Read the dashboard's access token from FILE "
        "(default: a random token, printed).")] = None,
    age_key_file: AgeKeyFileOpt = None,
) -> None:
    """Apply on every save and heal drift (crashed processes, removed containers)."""
    from reconciler.cli.foreground import run_until_stopped
    from reconciler.render.watch_stream import WatchStream
    from reconciler.watch.loop import Watcher, WatchOptions

    use_age_key(age_key_file)
    project = globals_of(ctx).project()
    options = WatchOptions(debounce=debounce, interval=interval, poll=poll,
                           max_replace=max_replace, max_delete=max_delete,
                           backoff_base=backoff_base, backoff_cap=max(backoff_cap, backoff_base),
                           parallelism=parallelism, down_on_exit=down_on_exit)
    served = None
    if ui:  # checked and bound before the loop starts, so a bad --ui-listen changes nothing
        from reconciler.cli.ui_serve import UiOptions, prepare

        served = prepare(globals_of(ctx).project,
                         UiOptions(listen=ui_listen, token_file=ui_token_file))
        for line in served.banner:
            echo(line, err=True)  # stderr: --json keeps stdout to events
    project.events.subscribe(WatchStream(as_json=as_json))
    watcher = Watcher(project, options)
    run_until_stopped(watcher, "watch", services=[served], close=project.store.close)
