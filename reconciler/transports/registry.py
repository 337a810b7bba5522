"""The transports by host type: ``local`` (this machine) and ``ssh`` (every other host).

:class:`~reconciler.transports.pool.TransportPool` asks :func:`host_type` which type serves a
host and :func:`open_transport` for a connected transport of it; actuators only ever see the
:class:`~reconciler.transports.base.Transport` protocol. Classes are imported on first use, so a
project without hosts never imports fabric.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.errors import TransportError
from reconciler.model.topology import HostSpec
from reconciler.model.types import LOCAL_HOST
from reconciler.transports.base import Transport

Resolve = Callable[[str], HostSpec]  # a host name -> its spec (the pool's ``spec``)
Opener = Callable[[str, Resolve], Transport]


def _open_local(host: str, resolve: Resolve) -> Transport:
    from reconciler.transports.local import LocalTransport

    return LocalTransport()


def _open_ssh(host: str, resolve: Resolve) -> Transport:
    from reconciler.transports.ssh import SshTransport

    spec = resolve(host)
    jump = SshTransport(resolve(spec.jump)) if spec.jump else None
    transport = SshTransport(spec, jump=jump)
    transport.connect()
    return transport


TRANSPORTS: dict[str, Opener] = {"local": _open_local, "ssh": _open_ssh}


def host_type(host: str) -> str:
    """The transport type serving ``host``: ``local`` for this machine, else ``ssh``."""
    return "local" if host == LOCAL_HOST else "ssh"


def open_transport(host: str, resolve: Resolve) -> Transport:
    """A connected transport for ``host``, of its :func:`host_type` (``resolve`` gives the
    spec of it and of its jump host)."""
    kind = host_type(host)
    opener = TRANSPORTS.get(kind)
    if opener is None:
        raise TransportError(f"no transport of type {kind!r} for host {host}",
                             hint=f"host types: {', '.join(sorted(TRANSPORTS))}")
    return opener(host, resolve)
