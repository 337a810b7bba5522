"""Automatic ports: chosen once, recorded in state, the same on every later plan.

A port is first looked up in the recorded allocations; a new one starts at a position derived
from the address and the state directory (so two sessions or checkouts of one project rarely
start their search at the same port) and moves on to the next port free on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Mapping
from typing import Any

from reconciler.model.types import Address

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

    def __init__(self, recorded: Mapping[str, int], salt: str = ""):
        self.recorded = dict(recorded)
        self.salt = salt
        self._taken = set(self.recorded.values())
        self.fresh: list[str] = []  # addresses given a new port by this allocator

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


def owned_ports(scope: str) -> dict[str, int]:
    """``$PORT`` of the local processes that carry ``scope``'s marks, by address: after the
    state database is lost, a running process keeps the port it was started with."""
    from reconciler.transports import procfs as proc_scan

    found: dict[str, int] = {}
    for info in proc_scan.scan(scope):
        port = info.marks.get("PORT", "")
        if info.address and port.isdigit():
            found.setdefault(info.address, int(port))
    return found


def primary_port(spec: Mapping[str, Any]) -> int | None:
    """The port an auto allocation stands for: ``port``, or a container's first host port."""
    port = spec.get("port")
    if isinstance(port, int):
        return port
    ports = spec.get("ports")
    first = ports[0] if isinstance(ports, list) and ports else None
    host = first.get("host") if isinstance(first, Mapping) else None
    return host if isinstance(host, int) else None
