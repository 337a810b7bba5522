"""The services.yaml keys of ``type: docker`` (kind ``container``).

The one definition of these keys: the services schema and the per-type key rules are
generated from this model (``scripts/gen_schemas.py``). Imports pydantic: never imported on
the validate or plan path (``KIND.schemas`` names the class as a string).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from reconciler.config.schema_fields import Adopt, KindTarget, Scalar, Strict

# the engine's restart policies; on-failure may cap its retries (on-failure:5)
RESTART_PATTERN = r"^(no|always|unless-stopped|on-failure(:[0-9]+)?)$"
# a memory size as `docker run --memory` reads it: 512k, 256m, 1.5g, 1gb (or bytes)
MEMORY_PATTERN = r"^[0-9]+(\.[0-9]+)?([bBkKmMgG]|[kKmMgG][bB])?$"
MemorySize = Annotated[str, Field(pattern=MEMORY_PATTERN)] | Annotated[int, Field(gt=0)]


class SwarmUpdate(Strict):
    """swarm: how a changed service rolls (Docker's update_config)."""

    parallelism: int | None = Field(default=None, ge=0,
                                    description="tasks updated at once (default 1; 0: all)")
    delay: float | None = Field(default=None, ge=0, description="seconds between batches")
    failure_action: Literal["pause", "continue", "rollback"] | None = None
    order: Literal["stop-first", "start-first"] | None = Field(
        default=None, description="start-first: the new task runs before the old one stops")


class DockerTarget(KindTarget):
    """A Docker container, locally or through ``host``'s engine over SSH."""

    REQUIRED: ClassVar[tuple[tuple[str, ...], ...]] = (("image",),)
    SERVICE_KEYS: ClassVar[tuple[str, ...]] = ("port", "stop_signal")
    TASK: ClassVar[bool] = True

    type: Literal["docker"]
    image: str | None = Field(default=None, description="docker: the image to run")
    ports: list[int | str] = Field(
        default_factory=list, description="docker: published ports (host:container)")
    volumes: list[str] = Field(default_factory=list, description="docker: bind mounts, volumes")
    command: str | list[Scalar] | None = Field(
        default=None, description="docker: the command (overrides the image's)")
    entrypoint: str | list[Scalar] | None = Field(
        default=None, description="docker: the entrypoint (overrides the image's)")
    host: str | None = Field(default=None, description="the SSH host whose engine runs it")
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
    env_file: str | None = Field(
        default=None, description="a SOPS-encrypted dotenv file whose variables become "
        "secret env values (the service's own `env` wins)")
    cluster: str | None = Field(
        default=None, description="docker: run as a service of this cluster (`clusters:`)")
    replicas: int | None = Field(default=None, ge=0, description="swarm: number of tasks")
    constraints: list[str] = Field(
        default_factory=list, description="swarm: placement constraints (node.labels.x==y)")
    max_replicas_per_node: int | None = Field(
        default=None, ge=0, description="swarm: at most this many tasks on one node (0: no "
        "limit)")
    publish_mode: Literal["ingress", "host"] | None = Field(
        default=None, description="swarm: publish ports through the routing mesh (ingress, "
        "needs ip_vs) or on each task's node (host)")
    update: SwarmUpdate | None = None
    adopt: Adopt | None = Field(
        default=None, description="docker: take over the running container with this id or "
        "name instead of creating one (when it is not in the state yet)")
