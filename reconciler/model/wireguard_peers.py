"""A wireguard node's own keys (pure): ``private_key_file:`` and ``external_peers:``.

A node of a ``type: wireguard`` network may name the file on the node that holds its private
key (``private_key_file:``: a bare key file or a wg-quick ``.conf`` whose ``PrivateKey`` is
read on the node) instead of the key reconciler makes, and list peers that are not nodes of
the network (``external_peers:``: a phone, a relay, another site), each with its
``public_key``, ``allowed_ips``, optional ``endpoint``, ``persistent_keepalive`` and
``preshared_key_file`` (a file on the node: a bare key or the wg-quick file holding that
peer's ``PresharedKey``). Keys themselves are never config values: only public keys and paths.
:func:`read_node_extras` checks both and reports every problem with its key path.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.actuators.wireguard.spec import ExternalPeerSpec

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class NodeExtras:
    private_key_file: str | None = None
    external_peers: tuple[ExternalPeerSpec, ...] = ()


def is_public_key(text: str) -> bool:
    try:
        return len(base64.b64decode(text.strip(), validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _path(value: object, where: Path, problems: list[tuple[str, Path]]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/"):
        problems.append((f"{where[-1]} must be an absolute path on the node (got {value!r})",
                         where))
        return None
    return value


def _peer(item: object, where: Path, problems: list[tuple[str, Path]]) -> ExternalPeerSpec | None:
    if not isinstance(item, Mapping):
        problems.append(("an external peer needs `public_key:` and `allowed_ips:`", where))
        return None
    key = item.get("public_key")
    if not isinstance(key, str) or not is_public_key(key):
        problems.append((f"public_key {key!r} is not a WireGuard public key (44 characters of "
                         "base64)", (*where, "public_key")))
        return None
    ips = item.get("allowed_ips")
    allowed: list[str] = []
    for index, text in enumerate(ips if isinstance(ips, list) else [ips]):
        try:
            allowed.append(str(ipaddress.ip_network(str(text), strict=False)))
        except ValueError:
            problems.append((f"allowed_ips: {text!r} is not an IP network",
                             (*where, "allowed_ips", index)))
    keepalive = item.get("persistent_keepalive") or 0
    if isinstance(keepalive, bool) or not isinstance(keepalive, int) or \
            not 0 <= keepalive <= 65535:
        problems.append(("persistent_keepalive must be an integer from 0 to 65535",
                         (*where, "persistent_keepalive")))
        keepalive = 0
    endpoint = item.get("endpoint")
    if endpoint is not None and (not isinstance(endpoint, str) or ":" not in endpoint):
        problems.append((f"endpoint {endpoint!r} must be host:port", (*where, "endpoint")))
        endpoint = None
    peer: ExternalPeerSpec = {"public_key": key.strip(), "allowed_ips": sorted(allowed),
                              "endpoint": endpoint, "persistent_keepalive": keepalive}
    psk = _path(item.get("preshared_key_file"), (*where, "preshared_key_file"), problems)
    if psk is not None:
        peer["preshared_key_file"] = psk
    return peer


def read_node_extras(item: Mapping[str, object], where: Path) -> tuple[
        NodeExtras, list[tuple[str, Path]]]:
    """The node's ``private_key_file`` and ``external_peers``, and (summary, path) problems."""
    problems: list[tuple[str, Path]] = []
    key_file = _path(item.get("private_key_file"), (*where, "private_key_file"), problems)
    raw = item.get("external_peers")
    peers: list[ExternalPeerSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw if isinstance(raw, list) else []):
        peer = _peer(entry, (*where, "external_peers", index), problems)
        if peer is None:
            continue
        if peer["public_key"] in seen:
            problems.append((f"external peer {peer['public_key'][:8]}... is listed twice",
                             (*where, "external_peers", index, "public_key")))
            continue
        seen.add(peer["public_key"])
        peers.append(peer)
    if raw is not None and not isinstance(raw, list):
        problems.append(("external_peers must be a list", (*where, "external_peers")))
    return NodeExtras(key_file, tuple(peers)), problems
