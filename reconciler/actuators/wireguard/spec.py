"""The ``wireguard`` kind's spec: what ``Resource.spec`` holds for one node's interface.

:class:`WireguardSpec` is the one definition of the keys
:func:`reconciler.model.wireguard.node_specs` writes and the WireGuard actuator reads
(through :func:`spec_of`): the network, the interface name, the node's overlay address,
listen port, MTU, role, endpoint, advertised IPs, keepalive, optional wg-quick config path,
one :class:`PeerSpec` per peer, and (only when configured, so other specs keep their hash)
the node's own ``private_key_file`` (or ``private_key``, the keyed-hash marker of a key from
sops whose clear value is only in ``Resource.secrets`` under :func:`secret_path`) and its
:class:`ExternalPeerSpec` peers. Only
``interface`` is certain: an orphan found in state is observed from its interface alone.
The mapping itself stays the stored, hashed source of truth. Imports nothing but the
standard library (the model layer imports it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Required, TypedDict, cast

__all__ = ["ExternalPeerSpec", "PeerSpec", "WireguardSpec", "secret_path", "spec_of"]

PRIVATE_KEY = "private_key"  # the Resource.secrets path of the node's key from sops


def secret_path(peer_public_key: str | None = None) -> str:
    """Where ``Resource.secrets`` keeps a key from sops: the node's private key, or the
    preshared key of the external peer ``peer_public_key``."""
    if peer_public_key is None:
        return PRIVATE_KEY
    return f"external_peers.{peer_public_key}.preshared_key"


class PeerSpec(TypedDict):
    """A peer node as this node sees it: its interface, endpoint and the IPs it routes."""

    node: str
    interface: str
    endpoint: str  # host:listen_port
    allowed_ips: list[str]


class ExternalPeerSpec(TypedDict, total=False):
    """A peer that is not a node of the network (``external_peers:`` of a node)."""

    public_key: Required[str]
    allowed_ips: Required[list[str]]
    endpoint: str | None
    persistent_keepalive: int
    preshared_key_file: str  # a path on the node, never the key
    preshared_key: str  # from sops: its keyed-hash marker (clear only in Resource.secrets)


class WireguardSpec(TypedDict, total=False):
    network: str
    interface: Required[str]
    address: str  # the node's overlay address with its prefix, e.g. 198.19.0.1/24
    listen_port: int
    mtu: int | None
    role: Literal["peer", "hub", "spoke"]
    endpoint: str
    allowed_ips: list[str]
    persistent_keepalive: int
    config_path: str | None
    peers: list[PeerSpec]
    private_key_file: str  # only when set: a path on the node, never the key
    private_key: str  # only when from sops: its keyed-hash marker, see :func:`secret_path`
    external_peers: list[ExternalPeerSpec]  # only when there are any


def spec_of(spec: Mapping[str, object]) -> WireguardSpec:
    """The typed view of a wireguard resource's spec (or a last-applied one from state).

    node_specs builds it as a :class:`WireguardSpec`, so this is the one place the stored
    mapping is taken at its word."""
    return cast(WireguardSpec, spec)
