"""``reconciler hosts list | test [NAME] | facts NAME | trust NAME``: the project's SSH hosts.

``list`` shows each host's address, user, sudo, labels and addresses per network (never key
material: only the identity file's path). ``test`` connects to every host (or one) in
parallel and reports reachability and round-trip latency; it exits 1 when any host fails.
``facts`` gathers OS, arch, docker/wireguard availability and addresses in one round trip.
``trust`` shows a host's key fingerprint and records it in its known_hosts file (``--yes``
for non-interactive use).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Annotated

import typer

from reconciler.cli.app import app, echo, globals_of

if TYPE_CHECKING:
    from reconciler.engine.project import Project

hosts_app = typer.Typer(help="SSH hosts: list, test, facts, trust.", no_args_is_help=True)
app.add_typer(hosts_app, name="hosts")


def _project(ctx: typer.Context) -> Project:
    project = globals_of(ctx).project()
    project.desired(allocate=False)
    return project


def _names(project: Project, name: str | None) -> list[str]:
    from reconciler.errors import UserError

    known = sorted(project.transports.specs)
    if name is not None and name not in known:
        raise UserError(f"unknown host {name!r}",
                        hint=f"hosts of this project: {', '.join(known) or 'none'}")
    return known if name is None else [name]


@hosts_app.command("list")
def list_hosts(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every host of the project, with its addresses per network."""
    project = _project(ctx)
    rows = [spec.describe() for _, spec in sorted(project.transports.specs.items())]
    if as_json:
        echo(json.dumps({"format_version": "1", "hosts": rows}, indent=2))
        return
    if not rows:
        echo("No hosts: declare them under `hosts:` or `networks.<name>.nodes` in services.yaml.")
        return
    echo(f"{'NAME':<16} {'ADDRESS':<22} {'USER':<10} {'SUDO':<5} NETWORKS / LABELS")
    for row in rows:
        nets = " ".join(f"{k}={v}" for k, v in row["networks"].items())
        labels = " ".join(f"{k}={v}" for k, v in row["labels"].items())
        where = f"{row['address']}:{row['port']}"
        echo(f"{row['name']:<16} {where:<22} {row['user'] or '-':<10} "
             f"{'yes' if row['sudo'] else 'no':<5} {nets} {labels}".rstrip())


def check_host(project: Project, name: str) -> dict[str, object]:
    """Connect (or reuse the connection) and time one round trip."""
    from reconciler.errors import ReconcilerError

    started = time.monotonic()
    try:
        transport = project.transports.get(name)
        connected = time.monotonic()
        result = transport.run(["true"], timeout=10)
    except ReconcilerError as exc:
        return {"host": name, "ok": False, "error": exc.render_short()}
    done = time.monotonic()
    return {"host": name, "ok": result.ok, "connect_ms": round((connected - started) * 1000, 1),
            "latency_ms": round((done - connected) * 1000, 1),
            "error": "" if result.ok else result.stderr.strip()}


@hosts_app.command("test")
def test_hosts(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="One host (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Reach every host (in parallel): connection time and command round-trip latency."""
    project = _project(ctx)
    names = _names(project, name)
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(16, len(names)))) as pool:
            results = list(pool.map(lambda n: check_host(project, n), names))
    finally:
        project.transports.close()
    if as_json:
        echo(json.dumps({"format_version": "1", "hosts": results}, indent=2))
    else:
        for r in results:
            if r["ok"]:
                echo(f"ok    {r['host']:<16} connect {r['connect_ms']:>7.1f} ms   "
                     f"round trip {r['latency_ms']:>6.1f} ms")
            else:
                echo(f"FAIL  {r['host']:<16} {r['error']}")
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)


@hosts_app.command("facts")
def facts(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The host.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """OS, arch, docker and wireguard availability, and addresses (one round trip)."""
    from reconciler.model.topology import gather_facts

    project = _project(ctx)
    _names(project, name)
    try:
        found = gather_facts(project.transports.get(name))
    finally:
        project.transports.close()
    spec = project.transports.spec(name)
    found["networks"] = dict(spec.networks)
    if as_json:
        echo(json.dumps({"format_version": "1", "host": name, "facts": found}, indent=2))
        return
    for key, value in found.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {' '.join(v) if isinstance(v, list) else v}"
                              for k, v in value.items()) or "-"
        echo(f"{key + ':':<12} {value}")


@hosts_app.command("trust")
def trust(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The host whose key to record.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Show the host's key fingerprint and record it in its known_hosts file."""
    from reconciler.transports.ssh_keys import fetch_host_key, record_host_key

    project = _project(ctx)
    _names(project, name)
    spec = project.transports.spec(name)
    key = fetch_host_key(spec)
    echo(f"host {name} ({spec.address}:{spec.port or 22}) offers {key.key_type} "
         f"{key.fingerprint}")
    if not yes and not typer.confirm("Trust this key?", default=False):
        raise typer.Exit(1)
    path = record_host_key(spec, key)
    echo(f"Recorded in {path}.")
