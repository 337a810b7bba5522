"""Readiness probes (tcp, http, command, sd_notify) and Docker-style waiting on them.

:func:`probe` runs one check once and answers a :class:`Health`; it never raises for a
failing service. :func:`wait_healthy` repeats a probe with the check's timing, like Docker's
HEALTHCHECK: failures during ``start_period`` do not count, a success is healthy at once, and
``retries`` consecutive failures after the start period make the service unhealthy. The
sd_notify side (the socket a service writes ``READY=1`` to) lives in
:mod:`reconciler.health.notify`; here a notify check only looks for its ready file.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from reconciler.events import Event, Hook, null_hook
from reconciler.model.changes import Health, HealthStatus
from reconciler.model.types import HealthCheck, ProbeKind
from reconciler.transports.base import Transport

DEFAULT_HOST = "127.0.0.1"


def probe(check: HealthCheck, transport: Transport, *, env: Mapping[str, str] | None = None,
          notify_ready: str | Path | None = None) -> Health:
    """Probe once. ``env`` is the service's complete env (command probes run with it);
    ``notify_ready`` is the file the notify listener touches on ``READY=1``."""
    if check.kind is ProbeKind.TCP:
        return probe_tcp(check.target, check.timeout)
    if check.kind is ProbeKind.HTTP:
        return probe_http(check.target, check.timeout)
    if check.kind is ProbeKind.COMMAND:
        return probe_command(check.target, transport, env=env, timeout=check.timeout)
    if check.kind is ProbeKind.NOTIFY:
        if notify_ready is not None and Path(notify_ready).exists():
            return Health(HealthStatus.HEALTHY, "READY=1 received")
        return Health(HealthStatus.STARTING, "waiting for READY=1 on $NOTIFY_SOCKET")
    return Health(HealthStatus.UNKNOWN, f"{check.kind.value} checks are probed by their actuator")


def split_host_port(target: str) -> tuple[str, int]:
    """``host:port``, ``:port`` or ``port`` (host defaults to 127.0.0.1); ``[v6]:port``."""
    text = target.strip()
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or DEFAULT_HOST
    try:
        return host, int(port)
    except ValueError:
        raise ValueError(f"not a host:port target: {target!r}") from None


def probe_tcp(target: str, timeout: float) -> Health:
    try:
        host, port = split_host_port(target)
    except ValueError as exc:
        return Health(HealthStatus.UNHEALTHY, str(exc))
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return Health(HealthStatus.HEALTHY, f"tcp {host}:{port} accepts connections")
    except OSError as exc:
        return Health(HealthStatus.UNHEALTHY, f"tcp {host}:{port}: {_reason(exc)}")


def probe_http(url: str, timeout: float) -> Health:
    """2xx and 3xx are healthy (redirects are not followed); no proxy is used."""
    import urllib.error  # here: urllib.request (http.client, ssl, email) costs every CLI
    import urllib.request  # run about 15 ms, and only an http probe needs it

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
    try:
        with opener.open(url, timeout=timeout) as response:
            code = int(response.status)
    except urllib.error.HTTPError as exc:
        code = exc.code
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Health(HealthStatus.UNHEALTHY, f"GET {url}: {_reason(exc)}")
    if 200 <= code < 400:
        return Health(HealthStatus.HEALTHY, f"GET {url}: {code}")
    return Health(HealthStatus.UNHEALTHY, f"GET {url}: HTTP {code}")


def probe_command(command: str, transport: Transport, *, env: Mapping[str, str] | None,
                  timeout: float) -> Health:
    """Run ``command`` with /bin/sh on the transport; exit 0 is healthy."""
    result = transport.run(["/bin/sh", "-c", command], env=env, timeout=timeout)
    if result.ok:
        return Health(HealthStatus.HEALTHY, "command exited 0")
    tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
    detail = f"command exited {result.returncode}"
    return Health(HealthStatus.UNHEALTHY, f"{detail}: {tail[0]}" if tail[0] else detail)


def wait_healthy(check: HealthCheck, probe_fn: Callable[[], Health], *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 events: Hook = null_hook, address: str | None = None,
                 poll: float | None = None, timeout: float | None = None) -> Health:
    """Probe until healthy or unhealthy by Compose's rule; answer the last Health seen.

    A success is healthy at once. Failures during ``start_period`` do not count; after it, a
    failure counts at most once per ``interval``, and ``retries`` counted failures in a row
    make the service unhealthy (about ``start_period + (retries - 1) * interval`` of failing).
    ``poll`` (default: the interval) probes more often than that, so a quick start is seen
    quickly without counting a failure more than once per interval. A ``starting`` answer
    (an engine's HEALTHCHECK still in its own start period) never counts. ``timeout`` (seconds)
    ends the wait early with the last failure: the apply engine's ``startup_timeout``.
    """
    started = clock()
    step = check.interval if poll is None else poll
    failures = 0
    last_counted: float | None = None
    retries = max(1, check.retries)
    while True:
        health = probe_fn()
        if health.status is HealthStatus.HEALTHY:
            events(Event("health.healthy", address, health.detail or "healthy"))
            return health
        now = clock()
        # STARTING is an engine's own verdict (Docker's HEALTHCHECK in its start period)
        in_start_period = (now - started < check.start_period
                           or health.status is HealthStatus.STARTING)
        if not in_start_period and (last_counted is None
                                    or now - last_counted >= check.interval - 1e-9):
            failures += 1
            last_counted = now
        events(Event("health.probe_failed", address, health.detail or health.status.value,
                     {"failures": failures, "retries": retries,
                      "start_period": in_start_period}))
        if failures >= retries:
            return Health(HealthStatus.UNHEALTHY,
                          f"{failures} consecutive failures: {health.detail or 'no detail'}")
        if timeout is not None and now - started >= timeout:
            return Health(HealthStatus.STARTING, health.detail or health.status.value)
        sleep(step)


def _reason(exc: BaseException) -> str:
    import urllib.error

    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return _reason(exc.reason) if isinstance(exc.reason, BaseException) else str(exc.reason)
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__
