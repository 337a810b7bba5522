"""Automatic ports: chosen once, recorded in state, the same on every later plan.

A port is first looked up in the recorded allocations; a new one starts at a position derived
from the address and the state directory (so two sessions or checkouts of one project rarely
start their search at the same port) and moves on to the next port free on 127.0.0.1.
When no port is recorded (the state was lost), :func:`readopt` first asks the kinds for the
ports their running objects' owner marks carry, so nothing published moves.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from reconciler import actuators
from reconciler.errors import HostUnreachable
from reconciler.model.types import Address

if TYPE_CHECKING:
    from reconciler.actuators.base import ActuatorContext

PORT_RANGE_START = 20000
PORT_RANGE_SIZE = 20000


def preferred_port(address: Address, salt: str = "") -> int:
    """Where the search for a free port starts: stable for one address in one state dir,
    different between sessions and checkouts (so concurrent plans rarely meet)."""
    digest = hashlib.sha256(f"{salt}\0{address}".encode()).digest()
    return PORT_RANGE_START + int.from_bytes(digest[:4], "big") % PORT_RANGE_SIZE


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class PortAllocator:
    """Callable ``Address -> port`` for model.build: recorded first, then the next free one."""

    def __init__(self, recorded: Mapping[str, int], salt: str = "",
                 adopt: Callable[[Sequence[str]], Mapping[str, int]] | None = None):
        self.recorded = dict(recorded)
        self.salt = salt
        self.adopt = adopt  # ports of addresses with none recorded (see :func:`readopt`)
        self._taken = set(self.recorded.values())
        self.fresh: list[str] = []  # addresses given a new port by this allocator

    def settle(self, addresses: Sequence[Address]) -> None:
        """Told by model.build every address it will ask about, before the first: those with
        no recorded port get the one ``adopt`` finds (the owner marks of running objects), so
        the build runs once. Nothing unrecorded: ``adopt`` is not called."""
        missing = [str(a) for a in addresses if str(a) not in self.recorded]
        if not missing or self.adopt is None:
            return
        adopted = {k: port for k, port in self.adopt(missing).items() if k in missing}
        self.recorded.update(adopted)
        self._taken.update(adopted.values())

    def __call__(self, address: Address) -> int:
        key = str(address)
        if key in self.recorded:
            return self.recorded[key]
        port = preferred_port(address, self.salt)
        for _ in range(PORT_RANGE_SIZE):
            if port not in self._taken and is_free(port):
                break
            port = PORT_RANGE_START + (port - PORT_RANGE_START + 1) % PORT_RANGE_SIZE
        self.recorded[key] = port
        self._taken.add(port)
        self.fresh.append(key)
        return port


def readopt(fresh: Sequence[str],
            context_for: Callable[[Address], ActuatorContext]) -> dict[str, int]:
    """The ports the owner marks of running objects carry, for the ``fresh`` addresses only
    (those the allocator found no recorded port for: the state was lost, or they are new).

    Each kind that implements the optional ``owned_ports`` hook
    (:class:`~reconciler.actuators.base.PortOwner`) is asked once per host it has fresh
    addresses on; a kind without the hook, or a host that cannot be reached, adds nothing
    (observe reports the host). Nothing fresh: nothing is asked (a no-op plan stays cheap).
    """
    groups: dict[tuple[str, str], set[str]] = {}
    for key in fresh:
        try:
            address = Address.parse(key)
        except ValueError:
            continue
        groups.setdefault((address.kind, address.host), set()).add(key)
    found: dict[str, int] = {}
    for (kind, host), keys in sorted(groups.items()):
        if actuators.kind(kind) is None:
            continue
        hook = getattr(actuators.load(kind), "owned_ports", None)
        if hook is None:
            continue
        try:
            owned: Mapping[str, int] = hook(context_for(Address(kind, "*", host)))
        except HostUnreachable:
            continue
        found.update((k, port) for k, port in owned.items() if k in keys)
    return found


def primary_port(spec: Mapping[str, object]) -> int | None:
    """The port an auto allocation stands for: ``port``, or a container's first host port."""
    port = spec.get("port")
    if isinstance(port, int):
        return port
    ports = spec.get("ports")
    first = ports[0] if isinstance(ports, list) and ports else None
    host = first.get("host") if isinstance(first, Mapping) else None
    return host if isinstance(host, int) else None
