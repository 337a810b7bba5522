"""The host model (pure): both config forms, known_hosts defaults, topology answers for
${svc.ip} from the caller's point of view, facts parsing, fingerprints, and the resolver."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from reconciler.config import load
from reconciler.model.build import build
from reconciler.model.topology import (
    Topology,
    alias_host,
    fingerprint,
    hosts_from_settings,
    known_hosts_entry,
    parse_facts,
)
from reconciler.model.types import Address

SETTINGS = {
    "settings": {"known_hosts": "/etc/reconciler/known_hosts"},
    "networks": {
        "lan": {"type": "lan", "nodes": [
            {"host": "198.18.7.11", "name": "web1", "ssh_user": "deploy", "ssh_key": "~/.ssh/k"},
            {"host": "198.18.7.12", "name": "web2", "ssh_user": "deploy"}]},
        "mesh": {"type": "wireguard", "subnet": "198.19.7.0/24", "nodes": [
            {"host": "198.18.7.12", "name": "web2", "ssh_user": "deploy",
             "address": "198.19.7.2"},
            {"host": "198.18.9.20", "name": "far", "ssh_user": "root",
             "address": "198.19.7.3"}]},
    },
    "hosts": {"db": {"address": "198.18.7.30", "port": 2222, "user": "pg", "sudo": True,
                     "identity_file": "/keys/db", "labels": {"role": "db"},
                     "connect_timeout": 3, "jump": "web1"}},
}


def test_both_forms_and_the_known_hosts_default() -> None:
    hosts = hosts_from_settings(SETTINGS)
    assert sorted(hosts) == ["db", "far", "web1", "web2"]
    web1, db = hosts["web1"], hosts["db"]
    assert (web1.address, web1.user, web1.identity_file) == ("198.18.7.11", "deploy", "~/.ssh/k")
    assert web1.known_hosts_file() == "/etc/reconciler/known_hosts"
    assert hosts["web2"].networks == {"lan": "198.18.7.12", "wireguard": "198.19.7.2"}
    assert (db.port, db.user, db.sudo, db.jump, db.connect_timeout) == (2222, "pg", True,
                                                                       "web1", 3.0)
    assert db.labels == {"role": "db"} and not web1.sudo
    assert db.describe()["identity_file"] == "/keys/db"  # the path, never the key
    assert alias_host("bastion").alias and alias_host("bastion").known_hosts_file() == \
        "~/.ssh/known_hosts"


def test_topology_answers_from_the_callers_point_of_view() -> None:
    topo = Topology(hosts_from_settings(SETTINGS))
    assert topo.address_for("web1", "web1") == "127.0.0.1"
    assert topo.address_for("web1", "local") == "198.18.7.11"
    assert topo.address_for("web1", "web2") == "198.18.7.11"  # same LAN
    assert topo.address_for("far", "web2") == "198.19.7.3"    # only WireGuard in common
    assert topo.address_for("web2", "far") == "198.19.7.2"
    assert topo.address_for("local", "local") == "127.0.0.1"


def test_facts_are_parsed_from_one_script_output() -> None:
    facts = parse_facts("hostname=h1\nos=Linux\narch=x86_64\ndocker=24.0.5\nwireguard=no\n"
                        "addr=lo 127.0.0.1/8\naddr=eth0 198.18.7.11/24\naddr=wg0 198.19.7.1/24\n"
                        "garbage line\n")
    assert facts["hostname"] == "h1" and facts["docker"] == "24.0.5"
    assert facts["addresses"] == {"eth0": ["198.18.7.11/24"], "wg0": ["198.19.7.1/24"]}


def test_fingerprint_matches_openssh_and_known_hosts_entries() -> None:
    blob = b"\x00\x00\x00\x0bssh-ed25519" + bytes(range(36))
    expected = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert fingerprint(blob) == f"SHA256:{expected}"
    assert known_hosts_entry("198.18.7.30", 22) == "198.18.7.30"
    assert known_hosts_entry("198.18.7.30", 2222) == "[198.18.7.30]:2222"


def test_ip_references_resolve_for_the_caller(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(
        "name: topo\n"
        "hosts:\n  h1: {address: 198.18.7.11}\n  h2: {address: 198.18.7.12}\n"
        "services:\n"
        "  api: {type: remote, host: h1, command: serve, port: 8080}\n"
        "  sidecar: {type: remote, host: h1, command: 'proxy ${api.ip}:${api.port}'}\n"
        "  worker: {type: remote, host: h2, command: 'work ${api.url}'}\n"
        "  web: {type: process, command: 'web ${api.ip}'}\n")
    docs, _ = load(tmp_path)
    state, diagnostics = build(docs, env={})
    assert [d for d in diagnostics if d.severity.value == "error"] == []
    res = state.resources

    def cmd(address: Address) -> str:
        return str(res[address].spec["command"][-1])

    assert cmd(Address("process", "sidecar", "h1")) == "proxy 127.0.0.1:8080"
    assert cmd(Address("process", "worker", "h2")) == "work http://198.18.7.11:8080"
    assert cmd(Address("process", "web")) == "web 198.18.7.11"
