"""Stopping and removing engine objects: the stop bound and signal of a container, and
best-effort removal of what a scope leaves behind (networks, volumes).

Owns the rules of a container's stop (``shutdown_timeout`` in whole seconds, rounded up; an
explicit ``stop_signal`` first, SIGKILL at the end of the bound) and of cleanup removals (an
object in use or already gone is left alone; a network's "active endpoints" answer right after
its last container went is retried briefly).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from reconciler.actuators.container.spec import ContainerSpec
from reconciler.transports.docker import errors as de
from reconciler.transports.docker.client import DockerClient

DEFAULT_STOP_TIMEOUT = 10


def stop_timeout(spec: ContainerSpec | None) -> int:
    """The engine takes whole seconds: a fraction rounds UP (0.5 s is no instant SIGKILL)."""
    value = spec.get("shutdown_timeout") if spec is not None else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DEFAULT_STOP_TIMEOUT
    return max(0, math.ceil(value))


def stop(client: DockerClient, cid: str, timeout: int, signal: object) -> None:
    """Stop within ``timeout`` seconds. An explicit stop signal is sent first (the container
    got it as its StopSignal at create, but an UPDATE may have changed it since); the
    engine's stop then waits for the exit, sending its StopSignal, and SIGKILLs at the
    timeout. An exit in between is fine: stopping a stopped container is a no-op."""
    if isinstance(signal, str) and signal:
        try:
            client.api.kill(cid, signal=signal)
        except Exception as exc:
            if not (de.is_not_found(exc) or getattr(exc, "status_code", None) == 409):
                raise
    client.api.stop(cid, timeout=timeout)


def remove_network(client: DockerClient, network_id: str, attempts: int = 50) -> None:
    """The engine detaches endpoints of just-removed containers asynchronously: a network
    can answer "has active endpoints" (403) for a while after its last container went (seconds
    on a loaded engine: tried for 10 s)."""
    for attempt in range(attempts):
        try:
            quietly(client.api.remove_network, network_id)
            return
        except Exception as exc:
            if getattr(exc, "status_code", None) != 403 or attempt == attempts - 1:
                raise
            time.sleep(0.2)


def quietly(action: Callable[[str], object], name: str) -> None:
    """Best-effort cleanup: an object in use or already gone is left as it is."""
    try:
        action(name)
    except Exception as exc:
        if not (de.is_not_found(exc) or getattr(exc, "status_code", None) == 409):
            raise
