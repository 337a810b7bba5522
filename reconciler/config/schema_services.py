"""The kind-independent pydantic models of services.yaml (settings, networks, hosts, stacks,
the keys every service has).

The services and tasks themselves are a union over ``type`` generated from the kind registry
by :mod:`reconciler.actuators.schema` (each kind's keys live in its package's ``schema.py``),
which adds them to :class:`ServicesFileBase`: together the source of
schemas/services.schema.json. Both shapes of the service-harness format stay valid (the flat
``type: process|docker|...`` shape and the nested ``target: {type: ...}`` shape), plus
reconciler's own keys (``command`` strings, ``depends_on`` with conditions, ``port: auto``,
``hosts``, ``uses``, ``protect``, ``labels``, ``{secret: ...}`` env values). This module imports
pydantic, so only ``scripts/gen_schemas.py`` and the tests import it, never the validate path.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from reconciler.config.schema_fields import (
    DependencyRef,
    DependsOn,
    EnvValues,
    HealthCheck,
    Sops,
    Strict,
)

# what `replaces:` may name: the other desired-state files a services.yaml can be made from
ReplacedFile = Literal["locald.toml", "Procfile", ".vendetta/config.yaml", ".par.yaml"]


class Settings(Strict):
    """Project-wide defaults."""

    log_level: Literal["debug", "info", "warning", "error", "critical"] | None = None
    health_check_interval: float | None = Field(
        default=None, description="Default probe interval (s)")
    startup_timeout: float | None = Field(default=None, description="Default startup timeout (s)")
    shutdown_timeout: float | None = Field(default=None, description="Default shutdown timeout (s)")
    known_hosts: str | None = Field(default=None, description="known_hosts file for SSH hosts")


class ExternalPeer(Strict):
    """A WireGuard peer that is not a node of the network (a wg-quick `[Peer]`)."""

    public_key: str = Field(description="The peer's public key (base64)")
    allowed_ips: list[str] = Field(description="The ranges routed to the peer")
    endpoint: str | None = Field(default=None, description="host:port of the peer")
    persistent_keepalive: int | None = None
    preshared_key_file: str | None = Field(
        default=None, description="File on the node with the preshared key (a bare key or "
        "the wg-quick file with this peer's PresharedKey); never the key itself")
    preshared_key: Sops | None = Field(
        default=None, description="The preshared key from a SOPS-encrypted file "
        "({sops: FILE#key.path}; instead of preshared_key_file, docs/secrets.md)")


class Node(Strict):
    """A machine of a lan or wireguard network, reached over SSH."""

    host: str = Field(description="Address or ~/.ssh/config alias of the machine")
    name: str | None = Field(default=None, description="Name services use in `host:`")
    ssh_user: str
    ssh_key: str | None = None
    package_deploy: bool | None = None
    address: str | None = Field(default=None, description="Explicit overlay address (wireguard)")
    private_key_file: str | None = Field(
        default=None, description="wireguard: file on the node with its private key (a bare "
        "key or a wg-quick file); reconciler then makes no key of its own")
    private_key: Sops | None = Field(
        default=None, description="wireguard: the node's private key from a SOPS-encrypted "
        "file ({sops: FILE#key.path}; instead of private_key_file, docs/secrets.md)")
    external_peers: list[ExternalPeer] = Field(
        default_factory=list, description="wireguard: peers of this node outside the network")


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


class ServiceCommon(Strict):
    """The keys every service has, whatever its ``type`` (the flat shape adds the type's
    keys beside them, the nested shape puts them under ``target:``)."""

    service_type: str | None = Field(
        default=None, description="daemon shape: the service's role (daemon, database, "
        "...); kept as the label `service_type`")
    name: str | None = Field(
        default=None, description="daemon shape: the service's display name; kept as the "
        "label `display_name`")
    description: str | None = None
    network: str | None = None
    env: EnvValues = Field(default_factory=dict)
    dependencies: list[str | DependencyRef] = Field(default_factory=list)
    depends_on: list[str] | dict[str, DependsOn | None] | None = None
    health_check: HealthCheck | None = None
    startup_timeout: float | None = None
    shutdown_timeout: float | None = None
    stop_signal: str | None = None
    port: Literal["auto"] | int | None = None
    protect: bool = False
    labels: dict[str, str] = Field(default_factory=dict)


class TaskCommon(Strict):
    """What a task has besides a service's keys."""

    task_type: str | None = Field(
        default=None, description="daemon shape: the task's role (migration, seed, ...); "
        "kept as the label `task_type`")
    config: dict[str, object] = Field(
        default_factory=dict, description="daemon shape: the harness task's own settings; "
        "not read by reconciler (a warning)")


class Stack(Strict):
    """A catalog stack pulled in with `uses:`."""

    stack: str
    name: str | None = None
    version: str | int | float | None = None


class Cluster(Strict):
    """A cluster engine services run on with `cluster: NAME`."""

    type: Literal["swarm"]
    docker_host: str | None = Field(
        default=None, description="its manager's engine: unix:///path or ssh://user@host "
        "(default: the local engine)")


class ServicesFileBase(Strict):
    """services.yaml without ``services``/``tasks`` (added from the kind registry)."""

    model_config = ConfigDict(extra="forbid", title="reconciler services.yaml")

    version: str | int | float | None = None
    name: str | None = None
    description: str | None = None
    replaces: list[ReplacedFile] = Field(
        default_factory=list,
        description="Files of this directory that this file was converted from (`reconciler "
        "init --from`): they are no longer loaded, so their services are not defined twice")
    settings: Settings = Field(default_factory=lambda: Settings())
    networks: dict[str, Network] = Field(default_factory=dict)
    hosts: dict[str, Host] = Field(default_factory=dict)
    clusters: dict[str, Cluster] = Field(default_factory=dict)
    uses: list[str | Stack] = Field(default_factory=list)
