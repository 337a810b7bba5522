"""WireGuard networks of services.yaml -> ``wireguard.<network>@<node>`` resources (pure).

Every ``networks.<name>`` entry with ``type: wireguard`` of every services document is read
with :func:`reconciler.model.wireguard.read_network`; its problems become error diagnostics at
the file:line:col of the offending key. Each node with an address gets one Resource whose
spec is :func:`reconciler.model.wireguard.node_specs`'s. :func:`overlay_addresses` gives the
overlay address of each host for services that declare ``network: <a wireguard network>``,
so ``${svc.ip}`` of such a service is its WireGuard address; :func:`overlay_networks` gives
every node's overlay address per network (the resolver's view, see ``build_resolve``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, error
from reconciler.model.types import Address, Resource
from reconciler.model.wireguard import NetworkDef, node_specs, read_network

__all__ = ["overlay_addresses", "overlay_networks", "scope_of", "wireguard_networks",
           "wireguard_resources"]

KIND = "wireguard"


def _entries(docs: Sequence[RawDocument]
             ) -> Iterator[tuple[RawDocument, str, Mapping[str, object]]]:
    for doc in docs:
        if doc.format != "services" or not isinstance(doc.data, dict):
            continue
        networks = doc.data.get("networks")
        for name, body in (networks.items() if isinstance(networks, dict) else []):
            if isinstance(body, dict) and body.get("type") == "wireguard":
                yield doc, str(name), body


def wireguard_networks(docs: Sequence[RawDocument], scope: str) -> tuple[
        list[tuple[RawDocument, NetworkDef]], list[Diagnostic]]:
    """Every usable wireguard network with its document, and every problem found."""
    found: list[tuple[RawDocument, NetworkDef]] = []
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for doc, name, body in _entries(docs):
        net, issues = read_network(name, body, scope)
        for issue in issues:
            problems.append(error(issue.summary, doc.where("networks", name, *issue.path),
                                  hint=issue.hint, address=f"{KIND}.{name}"))
        if net is not None and not issues and name not in seen:
            seen.add(name)
            found.append((doc, net))
    return found, problems


def scope_of(project: str, session: str | None) -> str:
    return f"{project}_{session}" if session else project


def wireguard_resources(docs: Sequence[RawDocument], project: str, session: str | None, *,
                        first_order: int = 0) -> tuple[dict[Address, Resource], list[Diagnostic]]:
    """One resource per (network, node); interface names clashing on a host are errors."""
    scope = scope_of(project, session)
    networks, problems = wireguard_networks(docs, scope)
    resources: dict[Address, Resource] = {}
    interfaces: dict[tuple[str, str], str] = {}
    order = first_order
    for doc, net in networks:
        for node in net.nodes:
            spec = node_specs(net, scope).get(node.name)
            if spec is None:
                continue
            source = doc.where("networks", net.name, "nodes", node.index)
            slot = (node.name, str(spec["interface"]))
            if slot in interfaces:
                problems.append(error(
                    f"interface {spec['interface']} is used on host '{node.name}' by both "
                    f"networks '{interfaces[slot]}' and '{net.name}'", source,
                    hint="give one of the networks another `interface:`",
                    address=f"{KIND}.{net.name}@{node.name}"))
                continue
            interfaces[slot] = net.name
            address = Address(KIND, net.name, node.name)
            resources[address] = Resource(address, spec, source=source, order=order)
            order += 1
    return resources, problems


def overlay_networks(docs: Sequence[RawDocument]) -> dict[str, dict[str, str]]:
    """network -> node -> overlay address (no prefix length), for every usable wireguard
    network. Addresses depend on the network and node names only, not on the scope."""
    return {net.name: {node: str(ip.ip) for node, ip in net.addresses.items()}
            for _doc, net in wireguard_networks(docs, "")[0]}


def overlay_addresses(docs: Sequence[RawDocument], project: str,
                      session: str | None) -> dict[str, str]:
    """host -> WireGuard address, for hosts whose services declare a wireguard ``network:``."""
    scope = scope_of(project, session)
    networks = {net.name: net for _doc, net in wireguard_networks(docs, scope)[0]}
    found: dict[str, str] = {}
    for doc in docs:  # only services.yaml has `network:` (compose and vendetta do not)
        services = doc.data.get("services") if doc.format == "services" and isinstance(
            doc.data, dict) else None
        for body in (services.values() if isinstance(services, dict) else []):
            network = body.get("network") if isinstance(body, dict) else None
            if not isinstance(network, str) or network not in networks:
                continue  # a `network:` that is not a name is reported by its loader
            target = body.get("target")
            host = body.get("host") or (target.get("host") if isinstance(target, dict) else None)
            net = networks[network]
            if isinstance(host, str) and host in net.addresses:
                found[host] = str(net.addresses[host].ip)
    return found
