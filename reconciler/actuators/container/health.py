"""Readiness of containers (the ``health`` half of the container actuator).

Owns how a container's ``Resource.health`` is answered:

* ``tcp`` / ``http`` probes run from this machine (or, for a container on an SSH host, on that
  host) against the published host port: :func:`published_target` rewrites a target that
  names a container port to the port the engine published it on;
* ``command`` checks are the container's HEALTHCHECK (``CMD-SHELL``); while the engine has no
  verdict yet, the command runs once in the container (``docker exec``) so dependants do not
  wait a whole first interval;
* without a check, the engine's own health state (the image's HEALTHCHECK) decides; a running
  container whose image has none is healthy.

The docker client comes from the actuator (one per engine, from
:class:`reconciler.transports.docker.engines.DockerEngines`) through a callable, so a probe
that needs no engine never opens one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.container import parse as cp
from reconciler.model.changes import Health, HealthStatus, Observed
from reconciler.model.types import ProbeKind, Resource
from reconciler.transports.docker import errors as de
from reconciler.transports.docker.client import DockerClient

# () -> (docker client, engine url or None for the local engine)
EngineFor = Callable[[], tuple[DockerClient, str | None]]


def health(resource: Resource, observed: Observed, ctx: ActuatorContext,
           engine: EngineFor) -> Health:
    """The readiness verdict of one running container."""
    check = resource.health
    if check is not None and check.kind in (ProbeKind.TCP, ProbeKind.HTTP):
        from reconciler.health import probes

        target = published_target(check.kind, check.target, observed)
        if not ctx.transport.is_local:  # published on the host: probe it there
            from reconciler.transports import procs_remote as proc_remote

            return proc_remote.probe(replace(check, target=target), ctx.transport)
        if check.kind is ProbeKind.TCP:
            return probes.probe_tcp(target, check.timeout)
        return probes.probe_http(target, check.timeout)
    client, url = engine()
    return _engine_health(client, url, resource, observed)


def _engine_health(client: DockerClient, url: str | None, resource: Resource,
                   observed: Observed) -> Health:
    cid = str(observed.facts.get("id", ""))
    with de.engine_errors(url, f"inspecting container of {resource.address}"):
        try:
            info = client.api.inspect_container(cid)
        except Exception as exc:
            if de.is_not_found(exc):
                return Health(HealthStatus.UNHEALTHY, "the container is gone")
            raise
    state = info.get("State") or {}
    if not state.get("Running"):
        return Health(HealthStatus.UNHEALTHY,
                      f"not running ({state.get('Status')}, exit {state.get('ExitCode')})")
    verdict = cp.health_from_inspect(info)
    check = resource.health
    if check is not None and check.kind is ProbeKind.COMMAND and (
            verdict is None or verdict.status is HealthStatus.STARTING):
        return _exec_probe(client, url, cid, check.target)
    if verdict is None:
        return Health(HealthStatus.HEALTHY, "running (the image has no HEALTHCHECK)")
    return verdict


def _exec_probe(client: DockerClient, url: str | None, cid: str, command: str) -> Health:
    """Run the check once inside the container, so readiness does not wait for the
    engine's first HEALTHCHECK interval."""
    with de.engine_errors(url, "running the health command in the container"):
        exec_id = client.api.exec_create(cid, ["sh", "-c", command])["Id"]
        output = client.api.exec_start(exec_id)
        code = client.api.exec_inspect(exec_id).get("ExitCode")
    if code == 0:
        return Health(HealthStatus.HEALTHY, "health command exited 0")
    text = output.decode(errors="replace") if isinstance(output, bytes) else str(output)
    tail = " ".join(text.split())[-200:]
    return Health(HealthStatus.STARTING,
                  f"health command exited {code}" + (f": {tail}" if tail else ""))


def published_target(kind: ProbeKind, target: str, observed: Observed) -> str:
    """Point a tcp/http probe at the host side: a container port that is published is
    replaced by its host port (and 0.0.0.0 by 127.0.0.1)."""
    ports: Sequence[Mapping[str, Any]] = observed.facts.get("ports") or ()

    def host_side(host: str, port: int) -> tuple[str, int]:
        for entry in ports:
            if entry.get("container") == port and entry.get("host"):
                ip = str(entry.get("host_ip") or "127.0.0.1")
                return ("127.0.0.1" if ip in ("0.0.0.0", "::") else ip), int(entry["host"])
        return host, port

    if kind is ProbeKind.HTTP:
        parts = urlsplit(target)
        if parts.port is None and parts.hostname is None:
            return target
        default = 443 if parts.scheme == "https" else 80
        host, port = host_side(parts.hostname or "127.0.0.1", parts.port or default)
        return urlunsplit(parts._replace(netloc=f"{host}:{port}"))
    host, _, port_text = target.rpartition(":")
    if not port_text.isdigit():
        return target
    host, port = host_side(host.strip("[]") or "127.0.0.1", int(port_text))
    return f"{host}:{port}"
