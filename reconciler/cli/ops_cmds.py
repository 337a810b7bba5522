"""``status``, ``logs``, ``graph`` and ``unlock``: looking at a project, and freeing its lease.

``logs`` masks the project's secret values (``{secret: ...}``, secret-named variables and
values built from them) in every line it prints, as the apply failure tail and the dashboard's
log view do: a service that prints its own password shows ``(sensitive)``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconciler.cli.app import app, echo, globals_of

if TYPE_CHECKING:
    from reconciler.engine.project import Project


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    watch: Annotated[bool, typer.Option(
        "--watch", "-w", help="Keep refreshing: in place on a terminal, a line per change "
        "when piped.")] = False,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between refreshes "
                                                               "with --watch.")] = 2.0,
) -> None:
    """Every resource with its state, pid, port and health (one probe each, in parallel)."""
    from reconciler.render.status import render_status
    from reconciler.workflows.status import collect as status_rows

    project = globals_of(ctx).project()
    if watch:
        from reconciler.cli.status_watch import follow_status

        follow_status(lambda: status_rows(project),
                      lambda rows: render_status(rows, color=globals_of(ctx).color), interval)
        return
    rows = status_rows(project)
    if as_json:
        echo(json.dumps({"format_version": "1", "project": project.project_name,
                         "session": project.session, "resources": rows}, indent=2))
    else:
        echo(render_status(rows, color=globals_of(ctx).color))


def log_files(log_dir: Path, services: list[str]) -> list[Path]:
    from reconciler.errors import UserError

    if not services:
        return sorted(log_dir.glob("*.log"))
    files = []
    for name in services:
        path = log_dir / f"{name}.log"
        if not path.exists():
            known = ", ".join(p.stem for p in sorted(log_dir.glob("*.log"))) or "none yet"
            raise UserError(f"no logs for {name!r}", hint=f"services with logs: {known}")
        files.append(path)
    return files


def masker(project: Project) -> Callable[[str], str]:
    """The project's redactor, knowing every secret of its configuration and the values of
    the secret-named variables its interpolations can use.

    Without a loadable configuration the secrets are unknown, so no line is shown (a user
    error naming the first diagnostic): printing them unmasked could leak one.
    """
    from reconciler.errors import ConfigError, UserError

    try:
        project.desired(allocate=False)  # feeds the redactor (model.secrets.secret_values)
    except ConfigError as exc:
        raise UserError("the configuration does not load, so the secrets in the logs cannot "
                        "be masked: " + exc.render_short(),
                        hint="fix it first (`reconciler validate` shows every problem)"
                        ) from None
    return project.events.redactor


def tail_lines(path: Path, count: int) -> list[str]:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 256 * 1024))
        data = handle.read().decode(errors="replace")
    return data.splitlines()[-count:] if count > 0 else []


@app.command()
def logs(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Service names (default: all).")]
    = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")]
    = False,
    lines: Annotated[int, typer.Option("--tail", "-n", help="Lines to show first.")] = 50,
) -> None:
    """Print the logs of the project's processes (prefixed by service when several)."""
    from reconciler.workflows.remote_logs import remote_logs

    project = globals_of(ctx).project()
    mask = masker(project)
    shown, local = remote_logs(project, services or [], lines)  # processes on SSH hosts
    for line in shown:
        echo(mask(line))
    if services and not local:
        return
    files = log_files(project.store.state_dir / "logs", local)
    prefix = len(files) > 1
    width = max((len(p.stem) for p in files), default=0)
    for path in files:
        for line in tail_lines(path, lines):
            echo(f"{path.stem:<{width}} | {mask(line)}" if prefix else mask(line))
    if not follow:
        return
    offsets = {p: p.stat().st_size for p in files}
    try:
        while True:
            for path in files:
                size = path.stat().st_size if path.exists() else 0
                if size < offsets[path]:  # rotated
                    offsets[path] = 0
                if size > offsets[path]:
                    with path.open("rb") as handle:
                        handle.seek(offsets[path])
                        chunk = handle.read().decode(errors="replace")
                    offsets[path] = size
                    for line in chunk.splitlines():
                        echo(f"{path.stem:<{width}} | {mask(line)}" if prefix else mask(line))
            time.sleep(0.2)
    except KeyboardInterrupt:
        return


@app.command()
def graph(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="dot or mermaid.")] = "dot",
) -> None:
    """The plan's dependency graph, as Graphviz DOT or a Mermaid flowchart."""
    from reconciler.errors import UserError
    from reconciler.render.graph import to_dot, to_mermaid

    if fmt not in ("dot", "mermaid"):
        raise UserError(f"unknown graph format {fmt!r}", hint="use --format dot or mermaid")
    run = globals_of(ctx).project().plan()
    echo(to_dot(run.plan) if fmt == "dot" else to_mermaid(run.plan))


@app.command()
def unlock(ctx: typer.Context) -> None:
    """Remove the project's lease (only when its holder is gone and did not release it)."""
    project = globals_of(ctx).project()
    removed = project.store.unlock()
    if removed is None:
        echo("The project is not locked.")
    else:
        echo(f"Removed the lease held by {removed.get('holder')} "
             f"(pid {removed.get('pid')} on {removed.get('hostname')}).")
