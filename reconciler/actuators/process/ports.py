"""The process kind's ``owned_ports`` hook: the ``$PORT`` a running process was started with.

Every process carries its ``PORT`` in its environment next to the ownership marks
(reconciler/actuators/local_run/files.py). After the state is lost the engine asks for them
(reconciler/engine/ports.py :func:`readopt`) so a running service keeps its port: locally from
one /proc scan, on an SSH host from the same one-round-trip scan observe makes. Only this
scope's processes count (a leader or a stray child: both hold the port), and of those only the
ones :func:`~reconciler.actuators.base.readoptable` by this state.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.actuators.base import ActuatorContext, readoptable
from reconciler.actuators.local_run import remote as process_remote
from reconciler.actuators.local_run import stop as proc_stop
from reconciler.transports import procfs as proc_scan


def marked_ports(procs: Iterable[proc_scan.ProcInfo], ctx: ActuatorContext) -> dict[str, int]:
    """``{address: port}`` from the marks of ``procs`` (pure: no I/O)."""
    found: dict[str, int] = {}
    for info in procs:
        port = info.marks.get("PORT", "")
        if not (info.address and port.isdigit()):
            continue
        if readoptable(info.marks.get(proc_scan.STATE_VAR),
                       info.marks.get(proc_scan.STATE_DIR_VAR), ctx):
            found.setdefault(info.address, int(port))
    return found


def owned_ports(ctx: ActuatorContext) -> dict[str, int]:
    """The ports of this scope's running processes on ``ctx.transport``, by address."""
    procs = process_remote.scan(ctx)[0] if process_remote.is_remote(ctx) \
        else proc_stop.SHARED.scan(ctx.scope)
    return marked_ports(procs, ctx)
