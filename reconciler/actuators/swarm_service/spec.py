"""SwarmServiceSpec: the typed view of a ``swarm_service`` resource's spec, and its API form.

``model.build_swarm`` writes the spec as a JSON-able mapping (hashed and stored as is);
:func:`of` is the parse boundary the actuator reads it through, and
``reconciler.transports.docker.swarm.service_body``
turns it into the keyword arguments of the Docker API's ``create_service`` /
``update_service`` (the docker SDK is imported only there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

from reconciler.errors import TerminalError

__all__ = ["HealthcheckSpec", "LimitsSpec", "MountSpec", "PortSpec", "RestartSpec",
           "SwarmServiceSpec", "UpdateSpec", "of"]



class PortSpec(TypedDict):
    target: int
    published: int
    protocol: Literal["tcp", "udp"]
    mode: Literal["ingress", "host"]


class RestartSpec(TypedDict):
    condition: Literal["none", "on-failure", "any"]
    max_attempts: int


class UpdateSpec(TypedDict):
    parallelism: int
    delay: float
    failure_action: Literal["pause", "continue", "rollback"]
    order: Literal["stop-first", "start-first"]


class LimitsSpec(TypedDict, total=False):
    nano_cpus: int
    memory_bytes: int


class MountSpec(TypedDict):
    source: str  # a named volume (bind mounts are refused on a cluster)
    target: str
    read_only: bool


class HealthcheckSpec(TypedDict):
    test: list[str]  # ["CMD", ...] or ["CMD-SHELL", "..."]
    interval: int  # nanoseconds
    timeout: int
    retries: int
    start_period: int


class SwarmServiceSpec(TypedDict):
    cluster: str
    docker_host: str | None
    image: str
    command: list[str]
    env: dict[str, str]
    replicas: int
    constraints: list[str]
    max_replicas_per_node: int
    ports: list[PortSpec]
    restart: RestartSpec
    update: UpdateSpec
    labels: dict[str, str]
    init: bool
    startup_timeout: float
    # only there when given (an absent key keeps an older spec's hash)
    limits: NotRequired[LimitsSpec]
    entrypoint: NotRequired[list[str]]
    mounts: NotRequired[list[MountSpec]]
    networks: NotRequired[list[str]]
    healthcheck: NotRequired[HealthcheckSpec]
    stop_signal: NotRequired[str]


def of(spec: Mapping[str, Any]) -> SwarmServiceSpec:
    """Read a built spec; TerminalError when it lacks what a service needs (a bug upstream)."""
    try:
        update = spec["update"]
        restart = spec["restart"]
        out = SwarmServiceSpec(
            cluster=str(spec["cluster"]),
            docker_host=str(spec["docker_host"]) if spec.get("docker_host") else None,
            image=str(spec["image"]),
            command=[str(a) for a in spec.get("command") or []],
            env={str(k): str(v) for k, v in (spec.get("env") or {}).items()},
            replicas=int(spec["replicas"]),
            constraints=[str(c) for c in spec.get("constraints") or []],
            max_replicas_per_node=int(spec.get("max_replicas_per_node") or 0),
            ports=[PortSpec(target=int(p["target"]), published=int(p["published"]),
                            protocol=p.get("protocol", "tcp"), mode=p.get("mode", "ingress"))
                   for p in spec.get("ports") or []],
            restart=RestartSpec(condition=restart["condition"],
                                max_attempts=int(restart["max_attempts"])),
            update=UpdateSpec(parallelism=int(update["parallelism"]),
                              delay=float(update["delay"]),
                              failure_action=update["failure_action"], order=update["order"]),
            labels={str(k): str(v) for k, v in (spec.get("labels") or {}).items()},
            init=bool(spec.get("init")),
            startup_timeout=float(spec.get("startup_timeout") or 120.0),
        )
        _optional(out, spec)
        return out
    except (KeyError, TypeError, ValueError) as exc:
        raise TerminalError(f"malformed swarm service spec ({type(exc).__name__}: {exc})",
                            hint="this is a bug; please report it") from None


def _optional(out: SwarmServiceSpec, spec: Mapping[str, Any]) -> None:
    """The keys a spec holds only when they were given."""
    if spec.get("limits"):
        limits = LimitsSpec()
        for key in ("nano_cpus", "memory_bytes"):
            if spec["limits"].get(key):
                limits[key] = int(spec["limits"][key])
        out["limits"] = limits
    if spec.get("entrypoint"):
        out["entrypoint"] = [str(a) for a in spec["entrypoint"]]
    if spec.get("mounts"):
        out["mounts"] = [MountSpec(source=str(m["source"]), target=str(m["target"]),
                                   read_only=bool(m["read_only"])) for m in spec["mounts"]]
    if spec.get("networks"):
        out["networks"] = [str(n) for n in spec["networks"]]
    if spec.get("stop_signal"):
        out["stop_signal"] = str(spec["stop_signal"])
    check = spec.get("healthcheck")
    if check:
        out["healthcheck"] = HealthcheckSpec(
            test=[str(a) for a in check["test"]], interval=int(check["interval"]),
            timeout=int(check["timeout"]), retries=int(check["retries"]),
            start_period=int(check["start_period"]))
