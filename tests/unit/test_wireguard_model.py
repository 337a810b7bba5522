"""WireGuard model: address allocation, interface names, topology, node specs, diagnostics,
and the resources model.build makes from services.yaml (pure; no hosts)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from reconciler.config import load
from reconciler.model.build import build
from reconciler.model.types import Address
from reconciler.model.wireguard import (
    NodeDef,
    allocate,
    interface_name,
    node_specs,
    read_network,
)

SUBNET = ipaddress.IPv4Network("198.19.4.0/24")


def _net(**extra: Any) -> dict[str, Any]:
    nodes = [{"host": f"198.18.4.{10 + i}", "name": f"n{i}", "ssh_user": "root"}
             for i in range(1, 4)]
    return {"type": "wireguard", "subnet": str(SUBNET), "nodes": nodes, **extra}


def test_allocation_is_deterministic_stable_and_inside_the_subnet() -> None:
    nodes = [NodeDef(f"n{i}", "h", i) for i in range(5)]
    first, problems = allocate(SUBNET, nodes, "mesh")
    again, _ = allocate(SUBNET, list(reversed(nodes)), "mesh")
    fewer, _ = allocate(SUBNET, nodes[:3], "mesh")
    assert problems == [] and first == again
    assert all(fewer[n] == first[n] for n in fewer)  # removing nodes moves nobody
    assert len({a.ip for a in first.values()}) == 5
    assert all(a.ip in SUBNET and a.ip not in (SUBNET.network_address,
                                              SUBNET.broadcast_address) for a in first.values())


def test_explicit_addresses_are_kept_and_conflicts_are_problems() -> None:
    nodes = [NodeDef("a", "h", 0, "198.19.4.7"), NodeDef("b", "h", 1, "198.19.4.7"),
             NodeDef("c", "h", 2, "198.19.9.1"), NodeDef("d", "h", 3)]
    found, problems = allocate(SUBNET, nodes, "mesh")
    assert str(found["a"]) == "198.19.4.7/24"
    assert str(found["d"].ip) != "198.19.4.7"
    summaries = [p.summary for p in problems]
    assert any("'a' and 'b' both have address 198.19.4.7" in s for s in summaries)
    assert any("198.19.9.1 is not a host address" in s for s in summaries)
    assert {p.path for p in problems} == {("nodes", 1, "address"), ("nodes", 2, "address")}


def test_a_full_subnet_is_a_problem() -> None:
    nodes = [NodeDef(f"n{i}", "h", i) for i in range(3)]
    _, problems = allocate(ipaddress.IPv4Network("198.19.4.0/30"), nodes, "mesh")
    assert problems and "room for 2 nodes" in problems[0].summary


def test_interface_names_default_from_scope_and_network_or_template() -> None:
    net, problems = read_network("mesh", _net(), "proj")
    assert net is not None and problems == []
    name = interface_name(net, "proj", "n1")
    assert name.startswith("wg-mesh-") and len(name) <= 15
    assert name == interface_name(net, "proj", "n2")
    assert name != interface_name(net, "proj_other", "n1")
    templated, _ = read_network("mesh", _net(interface="wg{node}"), "proj")
    assert templated is not None and interface_name(templated, "proj", "n2") == "wgn2"
    _, bad = read_network("mesh", _net(interface="much-too-long-{node}"), "proj")
    assert any("not a valid Linux interface name" in p.summary for p in bad)


def test_mesh_specs_peer_with_every_other_node() -> None:
    net, _ = read_network("mesh", _net(persistent_keepalive=25, mtu=1380), "proj")
    assert net is not None
    specs = node_specs(net, "proj")
    assert sorted(specs) == ["n1", "n2", "n3"]
    one = specs["n1"]
    assert [p["node"] for p in one["peers"]] == ["n2", "n3"]
    assert one["endpoint"] == "198.18.4.11:51820" and one["mtu"] == 1380
    assert one["allowed_ips"] == [f"{specs['n1']['address'].split('/')[0]}/32"]
    assert one["peers"][0]["allowed_ips"] == specs["n2"]["allowed_ips"]
    assert one["role"] == "peer" and one["persistent_keepalive"] == 25


def test_hub_topology_routes_the_subnet_through_the_hub() -> None:
    net, problems = read_network("hub", _net(topology="hub", hub="n1",
                                             allowed_ips=["198.18.200.0/24"]), "proj")
    assert net is not None and problems == []
    specs = node_specs(net, "proj")
    assert specs["n1"]["role"] == "hub"
    assert [p["node"] for p in specs["n1"]["peers"]] == ["n2", "n3"]
    assert [p["node"] for p in specs["n2"]["peers"]] == ["n1"]
    assert specs["n2"]["peers"][0]["allowed_ips"] == [str(SUBNET), "198.18.200.0/24"]


def test_read_network_reports_every_problem_with_its_key() -> None:
    _, problems = read_network("x", {"type": "wireguard", "subnet": "nope"}, "p")
    assert problems[0].path == ("subnet",)
    _, problems = read_network("x", _net(topology="hub", hub="zz", listen_port=70000,
                                         allowed_ips=["bad"]), "p")
    paths = {p.path for p in problems}
    assert {("hub",), ("listen_port",), ("allowed_ips", 0)} <= paths
    _, problems = read_network("x", _net(allowed_ips=["198.18.9.0/24"]), "p")
    assert any("need topology: hub" in p.summary for p in problems)


def test_build_emits_one_resource_per_network_and_node(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(
        "name: demo\n"
        "networks:\n"
        "  mesh:\n"
        "    type: wireguard\n"
        "    subnet: 198.19.4.0/24\n"
        "    nodes:\n"
        "      - {host: 198.18.4.11, name: a, ssh_user: root}\n"
        "      - {host: 198.18.4.12, name: b, ssh_user: root, address: 198.19.4.200}\n")
    docs, diagnostics = load(tmp_path)
    state, more = build(docs, env={})
    assert diagnostics == [] and more == []
    wg = {a: r for a, r in state.resources.items() if a.kind == "wireguard"}
    assert set(wg) == {Address("wireguard", "mesh", "a"), Address("wireguard", "mesh", "b")}
    b = wg[Address("wireguard", "mesh", "b")]
    assert b.spec["address"] == "198.19.4.200/24"
    assert b.source is not None and b.source.line == 8


def test_build_reports_conflicts_with_file_line_col(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(
        "networks:\n"
        "  mesh:\n"
        "    type: wireguard\n"
        "    subnet: 198.19.4.0/24\n"
        "    nodes:\n"
        "      - {host: 198.18.4.11, name: a, ssh_user: root, address: 198.19.4.5}\n"
        "      - {host: 198.18.4.12, name: b, ssh_user: root, address: 198.19.4.5}\n")
    docs, _ = load(tmp_path)
    _, diagnostics = build(docs, env={})
    (problem,) = diagnostics
    assert "both have address 198.19.4.5" in problem.summary
    assert problem.source is not None and problem.source.line == 7
    assert problem.address == "wireguard.mesh"


def test_svc_ip_of_a_service_on_the_mesh_is_its_overlay_address(tmp_path: Path) -> None:
    """Same LAN or not, a service declaring ``network: mesh`` is reached on the overlay, by
    itself (to bind) and by callers on the mesh; it starts after its node's interface."""
    (tmp_path / "services.yaml").write_text(
        "name: demo\n"
        "networks:\n"
        "  mesh:\n"
        "    type: wireguard\n"
        "    subnet: 198.19.4.0/24\n"
        "    nodes:\n"
        "      - {host: 198.18.4.11, name: a, ssh_user: root}\n"
        "      - {host: 198.18.4.12, name: b, ssh_user: root}\n"
        "services:\n"
        "  srv: {type: remote, host: a, network: mesh, port: 8080,\n"
        "        command: 'serve --bind ${srv.ip}'}\n"
        "  cli: {type: remote, host: b, network: mesh, command: 'get ${srv.ip}:${srv.port}'}\n"
        "  lan: {type: remote, host: b, command: 'get ${srv.ip}'}\n"
        "  here: {type: process, command: 'get ${srv.ip}'}\n")
    docs, _ = load(tmp_path)
    state, diagnostics = build(docs, env={})
    assert [d for d in diagnostics if d.severity.value == "error"] == []
    res = state.resources
    a = str(res[Address("wireguard", "mesh", "a")].spec["address"]).split("/")[0]
    assert a.startswith("198.19.4.")

    def cmd(address: Address) -> str:
        return str(res[address].spec["command"][-1])

    srv, cli = Address("process", "srv", "a"), Address("process", "cli", "b")
    assert cmd(srv) == f"serve --bind {a}"
    assert cmd(cli) == f"get {a}:8080"
    assert cmd(Address("process", "lan", "b")) == f"get {a}"  # b is on the mesh too
    assert cmd(Address("process", "here")) == "get 198.18.4.11"  # local is not on the mesh
    deps = {d.target: d.condition.value for d in res[srv].depends_on}
    assert deps == {Address("wireguard", "mesh", "a"): "service_started"}
    assert {d.target for d in res[cli].depends_on} == {Address("wireguard", "mesh", "b")}
