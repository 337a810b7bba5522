"""WireGuard networks of services.yaml -> ``wireguard.<network>@<node>`` resources (pure).

Every ``networks.<name>`` entry with ``type: wireguard`` of every services document is read
with :func:`reconciler.model.wireguard.read_network`; its problems become error diagnostics at
the file:line:col of the offending key. Each node with an address gets one Resource whose
spec is :func:`reconciler.model.wireguard.node_specs`'s. :func:`overlay_addresses` gives the
overlay address of each host for services that declare ``network: <a wireguard network>``,
so ``${svc.ip}`` of such a service is its WireGuard address; :func:`overlay_networks` gives
every node's overlay address per network (the resolver's view, see ``build_resolve``).

A key from sops (a node's ``private_key:``, an external peer's ``preshared_key:``) is asked of
the build's :class:`~reconciler.model.sops_refs.SopsHost` here: the spec keeps its keyed-hash
marker (so rotating it in the encrypted file is an update of that node) and the clear key goes
into ``Resource.secrets`` under :func:`~reconciler.actuators.wireguard.spec.secret_path`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from reconciler.actuators.wireguard.spec import WireguardSpec, secret_path
from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, SourceRange, error
from reconciler.model.secrets import DEFAULT_KEY, marker
from reconciler.model.sops_refs import SopsHost, SopsProblem, SopsRef, resolve_file
from reconciler.model.types import Address, Resource
from reconciler.model.wireguard import NetworkDef, NodeDef, node_specs, read_network
from reconciler.model.wireguard_peers import is_public_key

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


def _sops_key(doc: RawDocument, ref: SopsRef, sops: SopsHost | None, where: SourceRange,
              what: str, problems: list[Diagnostic], address: str) -> str | None:
    """The clear key ``ref`` names, or None with a problem (naming file and key path only)."""
    try:
        if sops is None:
            raise SopsProblem("no sops reader in this build")
        value = sops.sops_value(resolve_file(doc, ref.file), ref.key_path).strip()
    except SopsProblem as exc:
        problems.append(error(f"{what} ({{sops: {ref}}}): {exc}", where, hint=exc.hint,
                              address=address))
        return None
    if not value.startswith("ENC[") and not is_public_key(value):  # ENC[: not decrypted
        problems.append(error(f"{what} ({{sops: {ref}}}) is not a WireGuard key (44 "
                              "characters of base64, as `wg genkey` prints)", where,
                              address=address))
        return None
    return value


def _sops_keys(doc: RawDocument, net: NetworkDef, node: NodeDef, spec: WireguardSpec,
               sops: SopsHost | None, secret_key: bytes,
               problems: list[Diagnostic]) -> dict[str, str]:
    """Put the markers of ``node``'s keys from sops into ``spec``; the clear keys by path."""
    secrets: dict[str, str] = {}
    where = ("networks", net.name, "nodes", node.index)
    address = f"{KIND}.{net.name}@{node.name}"
    ref = node.extras.private_key
    if ref is not None:
        value = _sops_key(doc, ref, sops, doc.where(*where, "private_key", "sops"),
                          f"private_key of node '{node.name}'", problems, address)
        if value is not None:
            spec["private_key"] = marker(value, secret_key)
            secrets[secret_path()] = value
    refs = dict(node.extras.preshared_keys)
    if "external_peers" in spec:  # copies: the peers are shared with the NetworkDef
        spec["external_peers"] = [peer.copy() for peer in spec["external_peers"]]
    for index, peer in enumerate(spec.get("external_peers", [])):
        ref = refs.get(peer["public_key"])
        value = None if ref is None else _sops_key(
            doc, ref, sops, doc.where(*where, "external_peers", index, "preshared_key", "sops"),
            f"preshared_key of external peer {peer['public_key'][:8]}...", problems, address)
        if value is not None:
            peer["preshared_key"] = marker(value, secret_key)
            secrets[secret_path(peer["public_key"])] = value
    return secrets


def wireguard_resources(docs: Sequence[RawDocument], project: str, session: str | None, *,
                        first_order: int = 0, sops: SopsHost | None = None,
                        secret_key: bytes = DEFAULT_KEY
                        ) -> tuple[dict[Address, Resource], list[Diagnostic]]:
    """One resource per (network, node); interface names clashing on a host are errors;
    keys from sops are decrypted through ``sops`` (see the module docstring)."""
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
            secrets = _sops_keys(doc, net, node, spec, sops, secret_key, problems)
            resources[address] = Resource(address, spec, source=source, order=order,
                                          secrets=secrets)
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
