"""One transport per host for a run: ``local`` is this machine; other hosts come from the
project's ``hosts:`` / network nodes (SSH, added by the hosts issue).

The pool is created per Project and closed when the run ends, so an SSH connection is opened
once per host and reused for observe and apply.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from reconciler.errors import HostUnreachable
from reconciler.model.types import LOCAL_HOST, DesiredState
from reconciler.transports.base import Transport


class TransportPool:
    """Lazily opened transports keyed by host name; thread-safe."""

    def __init__(self, hosts: Mapping[str, Mapping[str, Any]] | None = None):
        self.hosts = dict(hosts or {})
        self._open: dict[str, Transport] = {}
        self._lock = threading.Lock()

    def configure(self, desired: DesiredState) -> None:
        """Learn the hosts a desired state places things on (its ``hosts:`` and nodes)."""
        hosts = desired.settings.get("hosts")
        if isinstance(hosts, Mapping):
            self.hosts.update({str(k): dict(v) for k, v in hosts.items()
                               if isinstance(v, Mapping)})

    def get(self, host: str) -> Transport:
        with self._lock:
            if host not in self._open:
                self._open[host] = self._connect(host)
            return self._open[host]

    def _connect(self, host: str) -> Transport:
        if host == LOCAL_HOST:
            from reconciler.transports.local import LocalTransport

            return LocalTransport()
        raise HostUnreachable(f"no transport for host {host!r}",
                              hint="declare it under `hosts:` in services.yaml")

    def close(self) -> None:
        with self._lock:
            for transport in self._open.values():
                transport.close()
            self._open.clear()
