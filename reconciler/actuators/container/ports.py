"""The container kind's port mark and ``owned_ports`` hook.

A container publishing a port carries it in the label ``io.reconciler.port`` (the first
mapping's host port, set at create next to the owner labels of
:mod:`reconciler.actuators.container.parse`). After the state is lost the engine asks for
these (reconciler/engine/ports.py :func:`readopt`) so a running container keeps its published
port instead of being replaced onto a new one. It is ONE list call filtered by the scope label
(the same as observe's); a container made before the label existed answers with its first
published host port. Only containers :func:`~reconciler.actuators.base.readoptable` by this
state count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.actuators.base import ActuatorContext, readoptable
from reconciler.actuators.container import parse as cp
from reconciler.actuators.container.spec import ContainerSpec
from reconciler.transports.docker import errors as de
from reconciler.transports.docker.client import ContainerSummary, ReadAPI

LABEL_PORT = "io.reconciler.port"  # the published (host) port the container was made with


def port_label(spec: ContainerSpec) -> dict[str, str]:
    """``{LABEL_PORT: "<first host port>"}``, or nothing when the spec publishes none."""
    ports = spec.get("ports", [])
    host = ports[0]["host"] if ports else None
    return {LABEL_PORT: str(host)} if isinstance(host, int) else {}


def labelled_port(entry: ContainerSummary) -> int | None:
    """A list entry's port: its label, else (older containers) its first published port."""
    labels: Mapping[str, str] = entry.get("Labels") or {}
    text = str(labels.get(LABEL_PORT, ""))
    if text.isdigit():
        return int(text)
    published = [p["host"] for p in cp.parse_ports(entry.get("Ports")) if p["host"]]
    return published[0] if published else None


def ports_from_list(entries: Iterable[ContainerSummary],
                    ctx: ActuatorContext) -> dict[str, int]:
    """``{address: port}`` of the list entries this state may re-adopt (pure: no I/O). A
    running container wins over a stopped one claiming the same address."""
    found: dict[str, int] = {}
    ordered = sorted(entries, key=lambda e: e.get("State") == "running", reverse=True)
    for entry in ordered:
        labels: Mapping[str, str] = entry.get("Labels") or {}
        address, port = labels.get(cp.LABEL_ADDRESS, ""), labelled_port(entry)
        if not address.startswith("container.") or port is None:
            continue
        if readoptable(labels.get(cp.LABEL_STATE_ID), labels.get(cp.LABEL_STATE_DIR), ctx):
            found.setdefault(address, port)
    return found


def owned_ports(api: ReadAPI, url: str | None, ctx: ActuatorContext) -> dict[str, int]:
    """The ``owned_ports`` hook: one label-filtered list call through ``api`` (the engine
    at ``url``: its read API, the stdlib socket client for a local engine)."""
    with de.engine_errors(url, "listing containers"):
        entries = api.containers(all=True, filters=cp.scope_filter(ctx.scope))
    return ports_from_list(entries, ctx)
