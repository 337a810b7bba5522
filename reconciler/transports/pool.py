"""One transport per host for a run, of the type :mod:`reconciler.transports.registry` picks
(``local`` is this machine; every other host is SSH).

Hosts come from the desired state's settings (``hosts:`` and ``networks.*.nodes``, see
:mod:`reconciler.model.topology`); any other name is tried as a ``~/.ssh/config`` alias. The pool is
created per Project and closed when the run ends, so an SSH connection is opened once per
host and reused for observe and apply. Hosts connect in parallel (one lock per host, not one
for the pool), and a host that could not be reached is remembered for the run: every later
``get`` fails at once with the same :class:`HostUnreachable`, so one dead host costs one
connect timeout, not one per resource.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from reconciler.errors import HostUnreachable
from reconciler.model.topology import HostSpec, alias_host, hosts_from_settings
from reconciler.model.types import DesiredState
from reconciler.transports.base import Transport
from reconciler.transports.registry import open_transport


class TransportPool:
    """Lazily opened transports keyed by host name; thread-safe."""

    def __init__(self, hosts: Mapping[str, Mapping[str, Any]] | None = None):
        self.settings: dict[str, Any] = {"hosts": dict(hosts or {})}
        self.specs: dict[str, HostSpec] = hosts_from_settings(self.settings)
        self._open: dict[str, Transport] = {}
        self._failed: dict[str, HostUnreachable] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    @property
    def hosts(self) -> dict[str, HostSpec]:
        return dict(self.specs)

    def configure(self, desired: DesiredState) -> None:
        """Learn the hosts a desired state places things on (its ``hosts:`` and nodes)."""
        self.configure_settings(desired.settings)

    def configure_settings(self, settings: Mapping[str, object]) -> None:
        with self._lock:
            for key in ("hosts", "networks", "settings"):
                if isinstance(settings.get(key), Mapping):
                    self.settings.setdefault(key, {}).update(settings[key])
            if isinstance(settings.get("known_hosts"), str):
                self.settings["known_hosts"] = settings["known_hosts"]
            self.specs = hosts_from_settings(self.settings)

    def spec(self, host: str) -> HostSpec:
        """The host's spec; an unknown name is taken as a ~/.ssh/config alias."""
        return self.specs.get(host) or alias_host(host, self.settings)

    def get(self, host: str) -> Transport:
        """The open transport of ``host``; HostUnreachable when it cannot be reached."""
        with self._lock:
            if host in self._open:
                return self._open[host]
            if host in self._failed:
                raise self._failed[host]
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            with self._lock:
                if host in self._open:
                    return self._open[host]
                if host in self._failed:
                    raise self._failed[host]
            try:
                transport = self._connect(host)
            except HostUnreachable as exc:
                with self._lock:
                    self._failed[host] = exc
                raise
            with self._lock:
                self._open[host] = transport
            return transport

    def _connect(self, host: str) -> Transport:
        return open_transport(host, self.spec)

    def unreachable(self, host: str) -> HostUnreachable | None:
        """The error that made ``host`` unreachable in this run, if it was."""
        with self._lock:
            return self._failed.get(host)

    def forget(self, host: str) -> None:
        """Drop a host's open or failed transport (``hosts test`` retries with this)."""
        with self._lock:
            transport = self._open.pop(host, None)
            self._failed.pop(host, None)
        if transport is not None:
            transport.close()

    def close(self) -> None:
        with self._lock:
            transports = list(self._open.values())
            self._open.clear()
            self._failed.clear()
        for transport in transports:
            transport.close()
