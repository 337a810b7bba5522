"""A wireguard node's own keys (pure): ``private_key_file:``/``private_key:`` and
``external_peers:``.

A node of a ``type: wireguard`` network may name the file on the node that holds its private
key (``private_key_file:``: a bare key file or a wg-quick ``.conf`` whose ``PrivateKey`` is
read on the node) instead of the key reconciler makes, and list peers that are not nodes of
the network (``external_peers:``: a phone, a relay, another site), each with its
``public_key``, ``allowed_ips``, optional ``endpoint``, ``persistent_keepalive`` and
``preshared_key_file`` (a file on the node: a bare key or the wg-quick file holding that
peer's ``PresharedKey``). Instead of a file, ``private_key:`` and ``preshared_key:`` may
name a value of a SOPS-encrypted file (``{sops: FILE#key.path}``, a :class:`SopsRef`; exactly
one of the two forms): model.build_wireguard decrypts it and keeps only its keyed-hash marker in
the spec. Keys themselves are never clear config values: only public keys, paths and references.
:func:`read_node_extras` checks all of it and reports every problem with its key path.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.actuators.wireguard.spec import ExternalPeerSpec
from reconciler.model.sops_refs import SopsRef, parse_ref

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class NodeExtras:
    private_key_file: str | None = None
    external_peers: tuple[ExternalPeerSpec, ...] = ()
    private_key: SopsRef | None = None  # ``private_key: {sops: ...}``
    preshared_keys: tuple[tuple[str, SopsRef], ...] = ()  # (peer public key, reference)


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


def _sops(value: object, where: Path, problems: list[tuple[str, Path]]) -> SopsRef | None:
    """``{sops: FILE#key.path}`` as a reference; anything else is a problem."""
    if value is None:
        return None
    ref = parse_ref(value.get("sops")) if isinstance(value, Mapping) and len(value) == 1 \
        else None
    if ref is None:
        problems.append((f"{where[-1]} must be {{sops: FILE#key.path}} (a key is never a clear "
                         "config value)", where))
    return ref


def _key_source(item: Mapping[str, object], field: str, where: Path,
                problems: list[tuple[str, Path]]) -> tuple[str | None, SopsRef | None]:
    """``<field>_file`` (a path on the node) or ``<field>`` (a sops reference): at most one."""
    path = _path(item.get(f"{field}_file"), (*where, f"{field}_file"), problems)
    ref = _sops(item.get(field), (*where, field), problems)
    if item.get(field) is not None and item.get(f"{field}_file") is not None:
        problems.append((f"give either {field}_file or {field}, not both", (*where, field)))
    return path, ref


def _peer(item: object, where: Path, problems: list[tuple[str, Path]]
          ) -> tuple[ExternalPeerSpec, SopsRef | None] | None:
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
    psk, ref = _key_source(item, "preshared_key", where, problems)
    if psk is not None:
        peer["preshared_key_file"] = psk
    return peer, ref


def read_node_extras(item: Mapping[str, object], where: Path) -> tuple[
        NodeExtras, list[tuple[str, Path]]]:
    """The node's private key source and ``external_peers``, and (summary, path) problems."""
    problems: list[tuple[str, Path]] = []
    key_file, key_ref = _key_source(item, "private_key", where, problems)
    raw = item.get("external_peers")
    peers: list[ExternalPeerSpec] = []
    refs: list[tuple[str, SopsRef]] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw if isinstance(raw, list) else []):
        found = _peer(entry, (*where, "external_peers", index), problems)
        if found is None:
            continue
        peer, ref = found
        if peer["public_key"] in seen:
            problems.append((f"external peer {peer['public_key'][:8]}... is listed twice",
                             (*where, "external_peers", index, "public_key")))
            continue
        seen.add(peer["public_key"])
        peers.append(peer)
        if ref is not None:
            refs.append((peer["public_key"], ref))
    if raw is not None and not isinstance(raw, list):
        problems.append(("external_peers must be a list", (*where, "external_peers")))
    return NodeExtras(key_file, tuple(peers), key_ref, tuple(refs)), problems
