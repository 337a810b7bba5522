"""``reconciler net status``: the WireGuard networks of the project, as they are now.

Read-only: loads the config, observes every ``wireguard.<network>@<node>`` (one round trip per
host, never the lease) and prints one row per node and peer: address, interface and its
implementation (kernel / userspace), the peer's endpoint, last handshake and transfer.
``--json`` gives the same rows as JSON. Private keys are never read (see docs/wireguard.md).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Annotated, Any

import typer

from reconciler.cli.app import app, echo, globals_of

net_app = typer.Typer(help="WireGuard networks: status of nodes and peers.",
                      no_args_is_help=True)
app.add_typer(net_app, name="net")


def _ago(stamp: int, now: float) -> str:
    if not stamp:
        return "never"
    seconds = max(0, int(now - stamp))
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} B"  # pragma: no cover


def status_rows(network: str | None, project: Any) -> list[dict[str, object]]:
    """One row per (node, peer) of every wireguard node (a node without peers: one row)."""
    from reconciler.engine import observe

    desired, _ = project.desired(allocate=False)
    wanted = {a: r for a, r in desired.resources.items() if a.kind == "wireguard"
              and (network is None or a.name == network)}
    records = {a: r for a, r in project.store.resources().items() if a in wanted}
    seen = observe.snapshot(replace(desired, resources=wanted), records, project.context_for)
    rows: list[dict[str, Any]] = []
    for address, resource in sorted(wanted.items(), key=lambda kv: str(kv[0])):
        found = seen.get(address)
        facts = dict(found.facts) if found is not None else {}
        state = "missing" if found is None else (
            "ok" if found.running else f"drift: {found.reason}")
        base = {"network": address.name, "node": address.host,
                "address": resource.spec["address"], "interface": resource.spec["interface"],
                "impl": facts.get("impl", "-"), "status": state}
        peers = facts.get("peers") or {}
        if not peers:
            rows.append({**base, "peer": None})
        for peer, info in sorted(peers.items()):
            rows.append({**base, "peer": peer, "endpoint": info.get("endpoint"),
                         "latest_handshake": info.get("latest_handshake", 0),
                         "rx_bytes": info.get("rx_bytes", 0), "tx_bytes": info.get("tx_bytes", 0)})
    return rows


def render_rows(rows: list[dict[str, Any]], now: float) -> str:
    header = ("NETWORK", "NODE", "ADDRESS", "INTERFACE", "PEER", "ENDPOINT", "HANDSHAKE",
              "TRANSFER", "STATUS")
    table = [header]
    for row in rows:
        peer = row.get("peer")
        table.append((
            row["network"], row["node"], row["address"], f"{row['interface']} ({row['impl']})",
            peer or "-", row.get("endpoint") or "-",
            _ago(row.get("latest_handshake", 0), now) if peer else "-",
            f"rx {_size(row['rx_bytes'])} / tx {_size(row['tx_bytes'])}" if peer else "-",
            row["status"]))
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    return "\n".join("  ".join(str(cell).ljust(w) for cell, w in zip(line, widths,
                                                                     strict=True)).rstrip()
                     for line in table)


@net_app.command("status")
def net_status(
    ctx: typer.Context,
    network: Annotated[str | None, typer.Argument(help="Only this network.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Rows as JSON.")] = False,
) -> None:
    """Nodes, overlay addresses, peers, last handshake and transfer of every WireGuard
    network (read-only: observes the hosts, never takes the lease)."""
    project = globals_of(ctx).project()
    try:
        rows = status_rows(network, project)
    finally:
        project.transports.close()
    if as_json:
        echo(json.dumps({"format_version": "1", "rows": rows}, indent=2))
    elif not rows:
        echo("no wireguard networks" + (f" named {network!r}" if network else ""))
    else:
        echo(render_rows(rows, time.time()))
