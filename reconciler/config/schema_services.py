"""The pydantic models of services.yaml: the source of schemas/services.schema.json.

Both shapes of the service-harness format are here (the flat ``type: process|docker|remote|
package|compose`` shape and the nested ``target: {type: ...}`` shape), plus reconciler's own keys
(``command`` strings, ``depends_on`` with conditions, ``port: auto``, ``hosts``, ``uses``,
``protect``, ``labels``, ``{secret: ...}`` env values). Services are one flat model with the
keys of every type; which keys a type accepts and requires is checked by
``reconciler.validate.checker`` (see ``reconciler.config.rules``). This module imports pydantic, so
only ``scripts/gen_schemas.py`` and the tests import it, never the validate path.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool
ServiceType = Literal["process", "docker", "remote", "package", "compose", "file"]
ConditionName = Literal[
    "service_started", "service_healthy", "service_completed_successfully"]
# docker: the engine's restart policies; on-failure may cap its retries (on-failure:5)
RESTART_PATTERN = r"^(no|always|unless-stopped|on-failure(:[0-9]+)?)$"
# docker: a memory size as `docker run --memory` reads it: 512k, 256m, 1.5g, 1gb (or bytes)
MEMORY_PATTERN = r"^[0-9]+(\.[0-9]+)?([bBkKmMgG]|[kKmMgG][bB])?$"
MemorySize = Annotated[str, Field(pattern=MEMORY_PATTERN)] | Annotated[int, Field(gt=0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Settings(Strict):
    """Project-wide defaults."""

    log_level: Literal["debug", "info", "warning", "error", "critical"] | None = None
    health_check_interval: float | None = Field(
        default=None, description="Default probe interval (s)")
    startup_timeout: float | None = Field(default=None, description="Default startup timeout (s)")
    shutdown_timeout: float | None = Field(default=None, description="Default shutdown timeout (s)")
    known_hosts: str | None = Field(default=None, description="known_hosts file for SSH hosts")


class Node(Strict):
    """A machine of a lan or wireguard network, reached over SSH."""

    host: str = Field(description="Address or ~/.ssh/config alias of the machine")
    name: str | None = Field(default=None, description="Name services use in `host:`")
    ssh_user: str
    ssh_key: str | None = None
    package_deploy: bool | None = None
    address: str | None = Field(default=None, description="Explicit overlay address (wireguard)")


class Network(Strict):
    """A network, tagged by `type`."""

    type: Literal["local", "lan", "wireguard"]
    subnet: str | None = None
    config_path: str | None = None
    nodes: list[Node] = Field(default_factory=list)
    listen_port: int | None = None
    interface: str | None = None
    topology: Literal["mesh", "hub"] | None = None
    hub: str | None = None
    persistent_keepalive: int | None = None
    mtu: int | None = None
    allowed_ips: list[str] = Field(default_factory=list)


class Host(Strict):
    """An SSH host (reconciler's own `hosts:` form)."""

    address: str
    port: int = 22
    user: str | None = None
    identity_file: str | None = None
    jump: str | None = None
    sudo: bool = False
    labels: dict[str, str] = Field(default_factory=dict)
    known_hosts: str | None = Field(default=None, description="known_hosts file to verify with")
    connect_timeout: float | None = Field(default=None, description="SSH connect timeout (s)")


class Secret(Strict):
    """A secret value: masked in every output, stored only as a keyed hash."""

    secret: str


class TcpProbe(Strict):
    port: int | str
    timeout: float | None = None


class HealthCheck(Strict):
    """A readiness probe: `command` (+ `args`), `http` URL or `tcp` port."""

    command: str | None = None
    args: list[Scalar] = Field(default_factory=list)
    http: str | None = None
    tcp: TcpProbe | None = None
    interval: float = 30
    retries: int = 3
    timeout: float = 10
    start_period: float = 0


class DependencyRef(Strict):
    """Nested-shape dependency: `{service: name}` or `{task: name}`."""

    service: str | None = None
    task: str | None = None


class DependsOn(Strict):
    condition: ConditionName = "service_healthy"


class SwarmUpdate(Strict):
    """swarm: how a changed service rolls (Docker's update_config)."""

    parallelism: int | None = Field(default=None, ge=0,
                                    description="tasks updated at once (default 1; 0: all)")
    delay: float | None = Field(default=None, ge=0, description="seconds between batches")
    failure_action: Literal["pause", "continue", "rollback"] | None = None
    order: Literal["stop-first", "start-first"] | None = Field(
        default=None, description="start-first: the new task runs before the old one stops")


class Cluster(Strict):
    """A cluster engine services run on with `cluster: NAME`."""

    type: Literal["swarm"]
    docker_host: str | None = Field(
        default=None, description="its manager's engine: unix:///path or ssh://user@host "
        "(default: the local engine)")


class Target(Strict):
    """Nested shape: what to run, tagged by `type`."""

    type: ServiceType
    binary: str | None = None
    args: list[Scalar] = Field(default_factory=list)
    working_dir: str | None = None
    user: str | None = None
    command: str | list[Scalar] | None = None
    image: str | None = None
    ports: list[int | str] = Field(default_factory=list)
    volumes: list[str] = Field(default_factory=list)
    entrypoint: str | list[Scalar] | None = None
    host: str | None = None
    package: str | None = None
    version: str | int | float | None = None
    install_path: str | None = None
    files: str | list[str] | None = Field(
        default=None, description="compose: Compose files, relative to this file "
        "(default: the project's compose.yaml + override)")
    profiles: str | list[str] | None = Field(
        default=None, description="compose: the Compose profiles to enable")
    env_file: str | None = Field(
        default=None, description="compose: env file for ${VAR} in the Compose files "
        "(default: .env next to the first file)")
    project_name: str | None = Field(
        default=None, description="compose: the Compose project name verbatim (default "
        "<project>[_<session>]_<entry>; a fixed name opts out of session isolation)")
    restart: str | None = Field(
        default=None, pattern=RESTART_PATTERN, description="docker: restart policy: no | "
        "always | unless-stopped | on-failure[:N] (default no)")
    init: bool | None = Field(
        default=None, description="docker: run an init as PID 1 (signals reach the process; "
        "stops are fast)")
    cpus: float | None = Field(default=None, gt=0, description="docker: CPU limit, e.g. 0.5")
    memory: MemorySize | None = Field(
        default=None, description="docker: memory limit: 256m, 1g (a number is bytes)")
    pull: Literal["missing", "always", "never"] | None = Field(
        default=None, description="docker: pull the image when missing (default), on every "
        "create, or never")
    networks: list[str] = Field(
        default_factory=list, description="docker: existing Docker networks to join as well")
    path: str | None = Field(default=None, description="file: the managed file's path")
    content: str | None = Field(default=None, description="file: its content, inline")
    source: str | None = Field(
        default=None, description="file: a file whose content it holds, relative to this file")
    mode: str | None = Field(default=None, pattern=r"^0?[0-7]{3}$",
                             description="file: permission bits, octal (default 0644)")
    owner: str | None = Field(default=None, description="file: user or user:group to chown to")
    cluster: str | None = Field(
        default=None, description="docker: run as a service of this cluster (`clusters:`)")
    replicas: int | None = Field(default=None, ge=0, description="swarm: number of tasks")
    constraints: list[str] = Field(
        default_factory=list, description="swarm: placement constraints (node.labels.x==y)")
    publish_mode: Literal["ingress", "host"] | None = Field(
        default=None, description="swarm: publish ports through the routing mesh (ingress, "
        "needs ip_vs) or on each task's node (host)")
    update: SwarmUpdate | None = None
    env: dict[str, Scalar | Secret] = Field(
        default_factory=dict, description="nested shape: environment (merged over the "
        "service's own `env`)")


class Service(Target):
    """A long-running service (flat shape: the `target` keys inline)."""

    type: ServiceType | None = None  # type: ignore[assignment]
    target: Target | None = None
    service_type: str | None = Field(
        default=None, description="daemon shape: the service's role (daemon, database, "
        "...); kept as the label `service_type`")
    description: str | None = None
    network: str | None = None
    env: dict[str, Scalar | Secret] = Field(default_factory=dict)
    dependencies: list[str | DependencyRef] = Field(default_factory=list)
    depends_on: list[str] | dict[str, DependsOn | None] | None = None
    health_check: HealthCheck | None = None
    startup_timeout: float | None = None
    shutdown_timeout: float | None = None
    stop_signal: str | None = None
    port: Literal["auto"] | int | None = None
    protect: bool = False
    labels: dict[str, str] = Field(default_factory=dict)


class Task(Service):
    """A one-shot task: runs to completion once per spec change."""

    task_type: str | None = Field(
        default=None, description="daemon shape: the task's role (migration, seed, ...); "
        "kept as the label `task_type`")


class Stack(Strict):
    """A catalog stack pulled in with `uses:`."""

    stack: str
    name: str | None = None
    version: str | int | float | None = None


class ServicesFile(Strict):
    """services.yaml"""

    model_config = ConfigDict(extra="forbid", title="reconciler services.yaml")

    version: str | int | float | None = None
    name: str | None = None
    description: str | None = None
    settings: Settings = Field(default_factory=lambda: Settings())
    networks: dict[str, Network] = Field(default_factory=dict)
    hosts: dict[str, Host] = Field(default_factory=dict)
    clusters: dict[str, Cluster] = Field(default_factory=dict)
    uses: list[str | Stack] = Field(default_factory=list)
    services: dict[str, Service] = Field(default_factory=dict)
    tasks: dict[str, Task] = Field(default_factory=dict)
