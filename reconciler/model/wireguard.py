"""The WireGuard network model (pure): nodes, overlay addresses, interface names, node specs.

A ``networks.<name>`` entry with ``type: wireguard`` becomes a :class:`NetworkDef`.
:func:`read_network` checks it and reports every problem as a :class:`Problem` (a key path
into the entry, so the builder can name file:line:col). :func:`node_specs` turns a checked
network into one spec per node, the ``spec`` of resource ``wireguard.<network>@<node>``.

Addresses: an explicit ``address:`` of a node is used as is (it must lie in the subnet and be
unique). Every other node gets the host address at ``sha256(network/node) mod size`` of the
subnet, probing forward past addresses already taken, nodes taken in name order. So an
address depends on the network and node names alone: adding or removing other nodes does not
move it (except after a hash collision), and the same config always gives the same addresses.
The applied address is recorded in the state as a fact of the node.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from reconciler.actuators.wireguard.spec import WireguardSpec
from reconciler.model.wireguard_peers import NodeExtras, read_node_extras

DEFAULT_LISTEN_PORT = 51820
IFNAME_MAX = 15
_IFNAME_OK = re.compile(r"^[A-Za-z0-9_.=+-]{1,15}$")
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One error in a network entry; ``path`` is relative to ``networks.<name>``."""

    summary: str
    path: Path = ()
    hint: str = ""


@dataclass(frozen=True, slots=True)
class NodeDef:
    name: str      # the host name services use (``name:``, else ``host:``)
    host: str      # address or alias of the machine; the WireGuard endpoint host
    index: int     # position in ``nodes:``
    address: str | None = None  # explicit overlay address
    extras: NodeExtras = field(default_factory=NodeExtras)  # private_key_file, external_peers


@dataclass(frozen=True)
class NetworkDef:
    name: str
    subnet: ipaddress.IPv4Network
    nodes: tuple[NodeDef, ...]
    listen_port: int = DEFAULT_LISTEN_PORT
    interface: str | None = None  # template; ``{node}`` is replaced by the node's name
    topology: str = "mesh"
    hub: str | None = None
    persistent_keepalive: int = 0
    mtu: int | None = None
    allowed_ips: tuple[str, ...] = ()
    config_path: str | None = None
    addresses: Mapping[str, ipaddress.IPv4Interface] = field(default_factory=dict)


def interface_name(net: NetworkDef, scope: str, node: str) -> str:
    """The interface of ``node``: the template with ``{node}`` filled in, else ``wg-`` +
    the network name (cut) + a hash of scope and network, at most 15 characters."""
    if net.interface:
        return net.interface.replace("{node}", node)
    stem = re.sub(r"[^A-Za-z0-9]", "", net.name)[:6] or "net"
    digest = hashlib.sha256(f"{scope}/{net.name}".encode()).hexdigest()[:4]
    return f"wg-{stem}-{digest}"


def _int(value: object, path: Path, low: int, high: int, problems: list[Problem]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(Problem(f"{path[-1]} must be an integer from {low} to {high}", path))
        return None
    return value


def _nodes(data: Mapping[str, object], problems: list[Problem]) -> list[NodeDef]:
    nodes: list[NodeDef] = []
    seen: dict[str, int] = {}
    raw = data.get("nodes")
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, Mapping) or not isinstance(item.get("host"), str):
            problems.append(Problem("a node needs `host:`", ("nodes", index)))
            continue
        name = str(item.get("name") or item["host"])
        if name in seen:
            problems.append(Problem(f"node '{name}' is listed twice (nodes[{seen[name]}] and "
                                    f"nodes[{index}])", ("nodes", index),
                                    "give each node its own `name:`"))
            continue
        seen[name] = index
        explicit = item.get("address")
        extras, issues = read_node_extras(item, ("nodes", index))
        problems += [Problem(summary, path) for summary, path in issues]
        nodes.append(NodeDef(name, str(item["host"]), index,
                             str(explicit) if explicit is not None else None, extras))
    if not nodes and not problems:
        problems.append(Problem("a wireguard network needs at least one node", ("nodes",)))
    return nodes


def allocate(subnet: ipaddress.IPv4Network, nodes: Sequence[NodeDef],
             network: str) -> tuple[dict[str, ipaddress.IPv4Interface], list[Problem]]:
    """Overlay addresses of ``nodes`` (see the module docstring for the rule)."""
    problems: list[Problem] = []
    hosts = subnet.num_addresses - 2 if subnet.prefixlen < 31 else subnet.num_addresses
    first = int(subnet.network_address) + (1 if subnet.prefixlen < 31 else 0)
    taken: dict[int, str] = {}
    result: dict[str, ipaddress.IPv4Interface] = {}
    for node in nodes:
        if node.address is None:
            continue
        try:
            ip = ipaddress.IPv4Address(node.address.split("/")[0])
        except ValueError:
            problems.append(Problem(f"node '{node.name}': {node.address!r} is not an IPv4 "
                                    "address", ("nodes", node.index, "address")))
            continue
        if not first <= int(ip) < first + hosts:
            problems.append(Problem(f"node '{node.name}': address {ip} is not a host address "
                                    f"of the subnet {subnet}", ("nodes", node.index, "address"),
                                    f"pick an address inside {subnet}"))
            continue
        if int(ip) in taken:
            problems.append(Problem(f"nodes '{taken[int(ip)]}' and '{node.name}' both have "
                                    f"address {ip}", ("nodes", node.index, "address"),
                                    "overlay addresses must be unique"))
            continue
        taken[int(ip)] = node.name
        result[node.name] = ipaddress.IPv4Interface(f"{ip}/{subnet.prefixlen}")
    automatic = sorted(n.name for n in nodes if n.address is None)
    if len(automatic) + len(taken) > hosts:
        problems.append(Problem(f"the subnet {subnet} has room for {hosts} nodes, not "
                                f"{len(automatic) + len(taken)}", ("subnet",),
                                "use a larger subnet"))
        return result, problems
    for name in automatic:
        digest = hashlib.sha256(f"{network}/{name}".encode()).digest()
        slot = int.from_bytes(digest[:8], "big") % hosts
        while first + slot in taken:
            slot = (slot + 1) % hosts
        taken[first + slot] = name
        result[name] = ipaddress.IPv4Interface(
            f"{ipaddress.IPv4Address(first + slot)}/{subnet.prefixlen}")
    return result, problems


def read_network(name: str, data: Mapping[str, Any], scope: str) -> tuple[
        NetworkDef | None, list[Problem]]:
    """Check one ``type: wireguard`` entry; None when it cannot be used at all."""
    problems: list[Problem] = []
    try:
        subnet = ipaddress.IPv4Network(str(data.get("subnet")), strict=True)
    except ValueError:
        problems.append(Problem(f"wireguard network '{name}' needs `subnet:` as an IPv4 CIDR "
                                f"network (got {data.get('subnet')!r})", ("subnet",),
                                "for example subnet: 198.19.0.0/24"))
        return None, problems
    nodes = _nodes(data, problems)
    topology = str(data.get("topology") or "mesh")
    hub = data.get("hub")
    if topology == "hub" and hub not in {n.name for n in nodes}:
        problems.append(Problem(f"topology hub needs `hub:` naming one of the nodes (got "
                                f"{hub!r})", ("hub",) if hub else ("topology",)))
    allowed = [str(a) for a in data.get("allowed_ips") or []]
    for index, text in enumerate(allowed):
        try:
            ipaddress.IPv4Network(text, strict=False)
        except ValueError:
            problems.append(Problem(f"allowed_ips: {text!r} is not an IPv4 network",
                                    ("allowed_ips", index)))
    if allowed and topology != "hub":
        problems.append(Problem("allowed_ips are the extra ranges routed through the hub: they "
                                "need topology: hub", ("allowed_ips",)))
    net = NetworkDef(
        name, subnet, tuple(nodes),
        listen_port=_int(data.get("listen_port"), ("listen_port",), 1, 65535, problems)
        or DEFAULT_LISTEN_PORT,
        interface=str(data["interface"]) if data.get("interface") else None,
        topology=topology, hub=str(hub) if hub else None,
        persistent_keepalive=_int(data.get("persistent_keepalive"), ("persistent_keepalive",),
                                  0, 65535, problems) or 0,
        mtu=_int(data.get("mtu"), ("mtu",), 576, 9000, problems),
        allowed_ips=tuple(allowed),
        config_path=str(data["config_path"]) if data.get("config_path") else None)
    addresses, more = allocate(subnet, nodes, name)
    problems += more
    for node in nodes:
        key_file = node.extras.private_key_file
        if key_file is not None and net.config_path is not None and \
                net.config_path.replace("{node}", node.name) == key_file:
            problems.append(Problem(f"node '{node.name}': config_path would overwrite its "
                                    f"private_key_file {key_file}",
                                    ("nodes", node.index, "private_key_file"),
                                    "write the config elsewhere or drop config_path"))
        if net.config_path is not None and (node.extras.private_key is not None
                                            or node.extras.preshared_keys):
            problems.append(Problem(f"node '{node.name}': config_path cannot be used with a "
                                    "key from sops (a wg-quick file would need it in clear)",
                                    ("config_path",), "drop config_path, or use "
                                    "private_key_file / preshared_key_file"))
    for node in nodes:
        ifname = interface_name(net, scope, node.name)
        if not _IFNAME_OK.match(ifname):
            problems.append(Problem(f"interface name {ifname!r} of node '{node.name}' is not "
                                    f"a valid Linux interface name (1-{IFNAME_MAX} of "
                                    "A-Z a-z 0-9 _ . = + -)", ("interface",)))
    return replace(net, addresses=addresses), problems


def advertised(net: NetworkDef, node: str) -> list[str]:
    """What the other nodes route to ``node``: its address (/32), or for the hub of a hub
    network the whole subnet plus the extra ``allowed_ips``."""
    if net.topology == "hub" and node == net.hub:
        return [str(net.subnet), *net.allowed_ips]
    return [f"{net.addresses[node].ip}/32"]


def peers_of(net: NetworkDef, node: str) -> list[str]:
    """The nodes ``node`` has a peer entry for: every other node (mesh), the hub (a spoke)
    or every spoke (the hub)."""
    others = [n.name for n in net.nodes if n.name != node and n.name in net.addresses]
    if net.topology != "hub":
        return others
    return others if node == net.hub else [n for n in others if n == net.hub]


def node_specs(net: NetworkDef, scope: str) -> dict[str, WireguardSpec]:
    """One normalized spec per node with an address (JSON-able; diffed and hashed)."""
    hosts = {n.name: n.host for n in net.nodes}
    specs: dict[str, WireguardSpec] = {}
    for node in net.nodes:
        if node.name not in net.addresses:
            continue
        role: Literal["peer", "hub", "spoke"] = \
            "peer" if net.topology != "hub" else ("hub" if node.name == net.hub else "spoke")
        specs[node.name] = {
            "network": net.name,
            "interface": interface_name(net, scope, node.name),
            "address": str(net.addresses[node.name]),
            "listen_port": net.listen_port,
            "mtu": net.mtu,
            "role": role,
            "endpoint": f"{node.host}:{net.listen_port}",
            "allowed_ips": advertised(net, node.name),
            "persistent_keepalive": net.persistent_keepalive,
            "config_path": (net.config_path.replace("{node}", node.name)
                            if net.config_path else None),
            "peers": [{"node": peer, "interface": interface_name(net, scope, peer),
                       "endpoint": f"{hosts[peer]}:{net.listen_port}",
                       "allowed_ips": advertised(net, peer)}
                      for peer in sorted(peers_of(net, node.name))],
        }
        if node.extras.private_key_file is not None:
            specs[node.name]["private_key_file"] = node.extras.private_key_file
        if node.extras.external_peers:
            specs[node.name]["external_peers"] = list(node.extras.external_peers)
    return specs
