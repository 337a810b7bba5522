"""wg-quick documents -> one ``networks:`` entry of services.yaml, plus notes (pure).

Every file given is one node of the network (the file stem names the node and, by default,
the interface). What maps: ``Address`` -> the node's ``address`` and the network's
``subnet`` (the IPv4 network of the first file's address), ``ListenPort`` ->
``listen_port``, ``MTU`` -> ``mtu``, ``PersistentKeepalive`` -> ``persistent_keepalive``,
peers' ``AllowedIPs`` outside the overlay -> ``allowed_ips``. What has no key of its own is
returned as notes, each with its file:line: ``PostUp``/``PostDown`` hooks, ``Table = off``,
``DNS``, hostname endpoints, IPv6 addresses. Private and preshared keys never get here (see
:mod:`reconciler.config.wgquick`): the notes say which file holds each, by path only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from reconciler.config.raw import RawDocument
from reconciler.config.wgquick import IN_FILE

HOOKS = ("preup", "postup", "predown", "postdown")


def _sections(doc: RawDocument, name: str) -> list[tuple[int, dict[str, list[str]]]]:
    return [(i, s["keys"]) for i, s in enumerate(doc.data["sections"]) if s["name"] == name]


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def network_entry(docs: Sequence[RawDocument], name: str, *, ssh_user: str) -> tuple[
        dict[str, Any], list[str]]:
    """The ``networks.<name>`` body for ``docs`` and the notes on what it cannot say."""
    notes: list[str] = []
    nodes: list[dict[str, Any]] = []
    subnet: ipaddress.IPv4Network | None = None
    entry: dict[str, Any] = {"type": "wireguard"}
    extra: set[str] = set()
    for doc in docs:
        node = doc.path.stem
        (index, iface), = _sections(doc, "Interface")
        body: dict[str, Any] = {"host": node, "name": node, "ssh_user": ssh_user}
        for address in _split(iface.get("address", [])):
            net = ipaddress.ip_interface(address)
            if isinstance(net, ipaddress.IPv4Interface):
                subnet = subnet or net.network
                body.setdefault("address", str(net.ip))
            else:
                notes.append(f"{doc.where('sections', index, 'address')}: IPv6 address "
                             f"{address} is not managed (the overlay is IPv4); add it by hand")
        nodes.append(body)
        for key in ("listenport", "mtu"):
            if iface.get(key):
                entry.setdefault({"listenport": "listen_port", "mtu": "mtu"}[key],
                                 int(iface[key][0]))
        if iface.get("privatekey") == [IN_FILE]:
            notes.append(f"{doc.file}: the private key stays in this file; it was not copied")
        for hook in HOOKS:
            for line in iface.get(hook, []):
                notes.append(f"{doc.where('sections', index, hook)}: {hook} hook '{line}' is "
                             "not run by reconciler; run it from a task if still needed")
        for key in ("table", "dns", "fwmark", "saveconfig"):
            if iface.get(key):
                notes.append(f"{doc.where('sections', index, key)}: {key} = "
                             f"{iface[key][0]} has no key in networks: (routes and DNS are "
                             "left as the host has them)")
        for peer_index, peer in _sections(doc, "Peer"):
            if peer.get("persistentkeepalive"):
                entry.setdefault("persistent_keepalive", int(peer["persistentkeepalive"][0]))
            extra.update(_split(peer.get("allowedips", [])))
            for endpoint in peer.get("endpoint", []):
                host = endpoint.rsplit(":", 1)[0].strip("[]")
                try:
                    ipaddress.ip_address(host)
                except ValueError:
                    notes.append(f"{doc.where('sections', peer_index, 'endpoint')}: endpoint "
                                 f"{endpoint} is a host name; it is resolved when the peer "
                                 "connects, as wg-quick does")
            if peer.get("presharedkey") == [IN_FILE]:
                notes.append(f"{doc.where('sections', peer_index, 'presharedkey')}: the "
                             "preshared key stays in this file; it was not copied")
    if subnet is not None:
        entry["subnet"] = str(subnet)
    outside = sorted(a for a in extra if subnet is None or not _inside(a, subnet))
    if outside:
        entry["allowed_ips"] = outside
    entry["interface"] = docs[0].path.stem if len(docs) == 1 else name
    entry["nodes"] = nodes
    return entry, notes


def _inside(cidr: str, subnet: ipaddress.IPv4Network) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return isinstance(net, ipaddress.IPv4Network) and net.subnet_of(subnet)
