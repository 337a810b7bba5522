"""wg-quick documents -> one ``networks:`` entry of services.yaml, plus notes (pure).

Every file given is one node of the network (the file stem names the node and, by default,
the interface). What maps: ``Address`` -> the node's ``address`` and the network's
``subnet`` (the IPv4 network of the first file's address), ``ListenPort`` ->
``listen_port``, ``MTU`` -> ``mtu``, ``PrivateKey`` -> the node's ``private_key_file`` (the
file's own path: the key is read there, on the node). Every ``[Peer]`` that is not another
imported file's node (none is, for one file) becomes one of the node's ``external_peers``
with its ``PublicKey``, ``AllowedIPs``, ``Endpoint``, ``PersistentKeepalive`` and, for a
``PresharedKey``, ``preshared_key_file`` (again the file's path). A peer that is another
imported node gives the network its ``persistent_keepalive`` and, for its ``AllowedIPs``
outside the overlay, ``allowed_ips``. What has no key of its own is returned as notes, each
with its file:line: ``PostUp``/``PostDown`` hooks, ``Table = off``, ``DNS``, hostname
endpoints, IPv6 addresses. Private and preshared keys never get here (see
:mod:`reconciler.config.wgquick`): only the path of the file that holds them.

A value that cannot be converted (an ``Address`` that is a placeholder such as
``${CLIENT_IP}`` or redacted like ``2a0e:b107:xxxx::/48``, a ``ListenPort`` of ``auto``, an
interface name over 15 characters) raises a ConfigError with every such problem at its
file:line:col. ``PersistentKeepalive = off`` is wg-quick's "disabled" and is accepted.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from reconciler.config.raw import RawDocument
from reconciler.config.wgquick import IN_FILE
from reconciler.errors import ConfigError, Diagnostic, error
from reconciler.model.wireguard import IFNAME_MAX

_IFNAME_CHARS = re.compile(r"^[A-Za-z0-9_.=+-]+$")
# key -> (its networks: key, lowest, highest)
_NUMBERS = {"listenport": ("listen_port", 1, 65535), "mtu": ("mtu", 576, 65535),
            "persistentkeepalive": ("persistent_keepalive", 0, 65535)}

HOOKS = ("preup", "postup", "predown", "postdown")


def _sections(doc: RawDocument, name: str) -> list[tuple[int, dict[str, list[str]]]]:
    return [(i, s["keys"]) for i, s in enumerate(doc.data["sections"]) if s["name"] == name]


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _split_at(values: list[str]) -> list[tuple[int, str]]:
    """Like :func:`_split`, each value with the index of the line it came from."""
    return [(n, v.strip()) for n, value in enumerate(values) for v in value.split(",")
            if v.strip()]


def _why_not_address(value: str) -> str:
    if "$" in value or "<" in value or "[" in value or "{" in value:
        return "it looks like a template placeholder; put the node's real address"
    if "x" in value.lower() and ("." in value or ":" in value):
        return "it looks redacted; put the node's real address"
    return "expected an IP address with a prefix length, like 198.19.0.1/24"


def _number(doc: RawDocument, index: int, key: str, value: str,
            problems: list[Diagnostic]) -> int | None:
    """The integer ``value`` of ``key`` (``off`` disables a keepalive), else a problem."""
    name, low, high = _NUMBERS[key]
    if key == "persistentkeepalive" and value.lower() == "off":
        return None
    if value.isdigit() and low <= int(value) <= high:
        return int(value)
    hint = "write 'off' or a number of seconds" if key == "persistentkeepalive" else (
        f"write a number from {low} to {high}")
    problems.append(error(f"{key} = '{value}' is not usable as {name}: expected an integer "
                          f"from {low} to {high}", doc.where("sections", index, key),
                          hint=hint))
    return None


def _interface(doc: RawDocument, name: str, problems: list[Diagnostic]) -> None:
    if len(name) > IFNAME_MAX or not _IFNAME_CHARS.match(name):
        problems.append(error(
            f"interface name '{name}' (from the file name) is not a valid interface name: "
            f"at most {IFNAME_MAX} letters, digits or '_.=+-'", doc.where(),
            hint="rename the file (its stem names the interface) or import several files "
                 "with --name"))


def network_entry(docs: Sequence[RawDocument], name: str, *, ssh_user: str) -> tuple[
        dict[str, Any], list[str]]:
    """The ``networks.<name>`` body for ``docs`` and the notes on what it cannot say."""
    notes: list[str] = []
    nodes: list[dict[str, Any]] = []
    subnet: ipaddress.IPv4Network | None = None
    entry: dict[str, Any] = {"type": "wireguard"}
    extra: set[str] = set()
    problems: list[Diagnostic] = []
    for doc in docs:
        node = doc.path.stem
        (index, iface), = _sections(doc, "Interface")
        body: dict[str, Any] = {"host": node, "name": node, "ssh_user": ssh_user}
        for at, address in _split_at(iface.get("address", [])):
            try:
                net = ipaddress.ip_interface(address)
            except ValueError:
                problems.append(error(
                    f"Address '{address}' is not an IP address: {_why_not_address(address)}",
                    doc.where("sections", index, "address", at)))
                continue
            if isinstance(net, ipaddress.IPv4Interface):
                subnet = subnet or net.network
                body.setdefault("address", str(net.ip))
            else:
                notes.append(f"{doc.where('sections', index, 'address')}: IPv6 address "
                             f"{address} is not managed (the overlay is IPv4); add it by hand")
        nodes.append(body)
        for key in ("listenport", "mtu"):
            if key in iface:
                number = _number(doc, index, key, iface[key][0], problems)
                if number is not None:
                    entry.setdefault(_NUMBERS[key][0], number)
        if iface.get("privatekey") == [IN_FILE]:
            body["private_key_file"] = str(doc.path.resolve())
            notes.append(f"{doc.file}: the private key stays in this file (private_key_file); "
                         "the file must be at that path on the node")
        for hook in HOOKS:
            for line in iface.get(hook, []):
                notes.append(f"{doc.where('sections', index, hook)}: {hook} hook '{line}' is "
                             "not run by reconciler; run it from a task if still needed")
        for key in ("table", "dns", "fwmark", "saveconfig"):
            if iface.get(key):
                notes.append(f"{doc.where('sections', index, key)}: {key} = "
                             f"{iface[key][0]} has no key in networks: (routes and DNS are "
                             "left as the host has them)")
        own = {a for other in docs if other is not doc for a in _host_routes(other)}
        external: list[dict[str, Any]] = []
        for peer_index, peer in _sections(doc, "Peer"):
            ips = _split(peer.get("allowedips", []))
            for endpoint in peer.get("endpoint", []):
                if not _is_ip(endpoint.rsplit(":", 1)[0].strip("[]")):
                    notes.append(f"{doc.where('sections', peer_index, 'endpoint')}: endpoint "
                                 f"{endpoint} is a host name; it is resolved when the peer "
                                 "is set, as wg-quick does (drift does not compare it)")
            if own and own & set(ips):  # another imported node: the network's own peer
                _internal(doc, peer_index, peer, entry, extra, problems)
                continue
            external.append(_external(doc, peer_index, peer, problems))
        if external:
            body["external_peers"] = external
    if subnet is not None:
        entry["subnet"] = str(subnet)
    outside = sorted(a for a in extra if subnet is None or not _inside(a, subnet))
    if outside:
        entry["allowed_ips"] = outside
    entry["interface"] = docs[0].path.stem if len(docs) == 1 else name
    if len(docs) == 1:
        _interface(docs[0], entry["interface"], problems)
    if problems:
        raise ConfigError(problems)
    entry["nodes"] = nodes
    return entry, notes


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _host_routes(doc: RawDocument) -> set[str]:
    """The /32 routes of ``doc``'s IPv4 addresses (what its peers route to it)."""
    (_, iface), = _sections(doc, "Interface")
    found: set[str] = set()
    for address in _split(iface.get("address", [])):
        try:
            net = ipaddress.ip_interface(address)
        except ValueError:
            continue
        if isinstance(net, ipaddress.IPv4Interface):
            found.add(f"{net.ip}/32")
    return found


def _internal(doc: RawDocument, index: int, peer: dict[str, list[str]], entry: dict[str, Any],
              extra: set[str], problems: list[Diagnostic]) -> None:
    """A peer that is another imported node: its keepalive and extra ranges go network-wide."""
    if "persistentkeepalive" in peer:
        seconds = _number(doc, index, "persistentkeepalive", peer["persistentkeepalive"][0],
                          problems)
        if seconds is not None:
            entry.setdefault("persistent_keepalive", seconds)
    extra.update(_split(peer.get("allowedips", [])))


def _external(doc: RawDocument, index: int, peer: dict[str, list[str]],
              problems: list[Diagnostic]) -> dict[str, Any]:
    """A ``[Peer]`` that is not an imported node, as an ``external_peers`` entry: every value
    but the preshared key, which is referenced by the file that holds it."""
    found: dict[str, Any] = {"public_key": (peer.get("publickey") or [""])[0]}
    if not found["public_key"]:
        problems.append(error("[Peer] has no PublicKey", doc.where("sections", index),
                              hint="every wg-quick [Peer] needs PublicKey = <base64 key>"))
    found["allowed_ips"] = _split(peer.get("allowedips", []))
    if peer.get("endpoint"):
        found["endpoint"] = peer["endpoint"][0]
    if "persistentkeepalive" in peer:
        seconds = _number(doc, index, "persistentkeepalive", peer["persistentkeepalive"][0],
                          problems)
        if seconds:
            found["persistent_keepalive"] = seconds
    if peer.get("presharedkey") == [IN_FILE]:
        found["preshared_key_file"] = str(doc.path.resolve())
    return found


def _inside(cidr: str, subnet: ipaddress.IPv4Network) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return isinstance(net, ipaddress.IPv4Network) and net.subnet_of(subnet)
