"""Drift of a live WireGuard interface from its node spec, and the facts recorded about it (pure).

:func:`drift` compares one observed :class:`~reconciler.actuators.wireguard.parse.InterfaceReport`
with
the node spec (see :func:`reconciler.model.wireguard.node_specs`) and returns the reasons, in
words, that the plan shows: interface down, address or listen port wrong, private key file
gone, a peer missing, a peer with the wrong endpoint, a stale handshake, an unexpected peer,
and an external peer (``external_peers:``, matched by public key) missing or with other
allowed IPs, endpoint (when it is an IP), keepalive or preshared key presence.

Peers are matched to nodes by their allowed IPs (each node routes a distinct range), so drift
is found on one host without knowing the other nodes' keys. A handshake is stale when the
network uses a persistent keepalive (so handshakes must keep happening) and the latest one is
older than :data:`STALE_HANDSHAKE` seconds; a peer that never shook hands is not stale.
"""

from __future__ import annotations

import ipaddress

from reconciler.actuators.wireguard.parse import InterfaceReport, PeerDump, normalize_ips
from reconciler.actuators.wireguard.spec import WireguardSpec

STALE_HANDSHAKE = 300  # seconds; WireGuard drops a session 180 s after its last handshake


def match_peers(spec: WireguardSpec, report: InterfaceReport) -> tuple[
        dict[str, PeerDump], list[PeerDump]]:
    """(node -> its observed peer entry, entries that match no node of the spec)."""
    observed = list(report.dump.peers) if report.dump is not None else []
    by_ips = {p.allowed_ips: p for p in observed}
    matched: dict[str, PeerDump] = {}
    for peer in spec.get("peers", []):
        found = by_ips.get(normalize_ips(",".join(peer["allowed_ips"])))
        if found is not None:
            matched[str(peer["node"])] = found
    used = {id(p) for p in matched.values()}
    external = {p["public_key"] for p in spec.get("external_peers", [])}
    return matched, [p for p in observed if id(p) not in used and p.public_key not in external]


def _ip_endpoint(endpoint: str) -> bool:
    """True when ``endpoint`` names an IP (a host name is resolved, so it is not compared)."""
    host = endpoint.rsplit(":", 1)[0].strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def external_drift(spec: WireguardSpec, report: InterfaceReport) -> list[str]:
    """How the external peers (matched by public key) differ from ``external_peers``."""
    seen = {p.public_key: p for p in report.dump.peers} if report.dump is not None else {}
    reasons: list[str] = []
    for peer in spec.get("external_peers", []):
        name = f"external peer {peer['public_key'][:8]}..."
        found = seen.get(peer["public_key"])
        if found is None:
            reasons.append(f"{name} missing")
            continue
        want_ips = normalize_ips(",".join(peer["allowed_ips"]))
        if found.allowed_ips != want_ips:
            reasons.append(f"{name} allowed IPs {','.join(found.allowed_ips) or 'none'} "
                           f"(want {','.join(want_ips)})")
        endpoint = peer.get("endpoint")
        if endpoint and _ip_endpoint(endpoint) and found.endpoint != endpoint:
            reasons.append(f"{name} endpoint {found.endpoint or 'none'} (want {endpoint})")
        keepalive = int(peer.get("persistent_keepalive") or 0)
        if found.keepalive != keepalive:
            reasons.append(f"{name} keepalive {found.keepalive} (want {keepalive})")
        if found.has_psk != ("preshared_key_file" in peer or "preshared_key" in peer):
            reasons.append(f"{name} preshared key "
                           f"{'set' if found.has_psk else 'missing'}")
    return reasons


def drift(spec: WireguardSpec, report: InterfaceReport, now: int,
          stale_after: int = STALE_HANDSHAKE) -> list[str]:
    """Why ``report`` does not match ``spec``; empty when it does."""
    if not report.exists:
        return ["interface missing"]
    reasons: list[str] = []
    if not report.up:
        reasons.append(f"interface {report.name} down")
    if spec["address"] not in report.addresses:
        reasons.append(f"address {spec['address']} missing")
    if not report.key_present and not spec.get("private_key"):  # from sops: no file
        reasons.append("private key file missing")
    if report.dump is None:
        reasons.append("interface not configured")
        return reasons
    if report.dump.listen_port != spec["listen_port"]:
        reasons.append(f"listen port {report.dump.listen_port} (want {spec['listen_port']})")
    matched, extra = match_peers(spec, report)
    keepalive = int(spec.get("persistent_keepalive") or 0)
    for peer in spec.get("peers", []):
        node = str(peer["node"])
        seen = matched.get(node)
        if seen is None:
            reasons.append(f"peer {node} missing")
            continue
        if seen.endpoint != peer["endpoint"]:
            reasons.append(f"peer {node} endpoint {seen.endpoint or 'none'} "
                           f"(want {peer['endpoint']})")
        if seen.keepalive != keepalive:
            reasons.append(f"peer {node} keepalive {seen.keepalive} (want {keepalive})")
        age = now - seen.latest_handshake
        if keepalive and seen.latest_handshake and age > stale_after:
            reasons.append(f"peer {node} handshake stale ({age} s ago)")
    reasons += external_drift(spec, report)
    for unknown in extra:
        reasons.append(f"unexpected peer {unknown.public_key[:8]}... "
                       f"({','.join(unknown.allowed_ips) or 'no allowed IPs'})")
    return reasons


def facts(spec: WireguardSpec, report: InterfaceReport, now: int) -> dict[str, object]:
    """What state records about a node: public values only (never the private key)."""
    matched, _ = match_peers(spec, report)
    return {
        "interface": report.name,
        "impl": report.impl,
        "public_key": report.dump.public_key if report.dump is not None else None,
        "address": spec["address"],
        "listen_port": report.dump.listen_port if report.dump is not None else None,
        "observed_at": now,
        "peers": {node: {"public_key": p.public_key, "endpoint": p.endpoint,
                         "latest_handshake": p.latest_handshake,
                         "rx_bytes": p.rx_bytes, "tx_bytes": p.tx_bytes}
                  for node, p in sorted(matched.items())},
    }
