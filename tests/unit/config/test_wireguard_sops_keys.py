"""WireGuard keys from sops (``private_key:`` / ``preshared_key: {sops: FILE#key}``): the
build keeps only their markers in the spec (clear keys in ``Resource.secrets``), problems are
reported at their keys, and the live commands take the keys from shell variables only.
Before: both keys were unknown to the network reader (only ``*_file`` paths existed)."""

from __future__ import annotations

from pathlib import Path

from testing import FakeHost

from reconciler.actuators.wireguard.render import (
    PRIVATE_KEY_VAR,
    PeerConfig,
    interface_commands,
    peer_commands,
    shell,
)
from reconciler.actuators.wireguard.spec import secret_path
from reconciler.config import parse_file
from reconciler.model.build import build
from reconciler.model.secrets import marker
from reconciler.model.sops_refs import references
from reconciler.model.types import Address
from reconciler.model.wireguard import read_network

PRIVATE = "oK56DE9Ue9zK76rAc8pBl6opph+1v36lm7cXXsQKrQM="
ROTATED = "8Gj0pE8yEcnFWm2TlztzHlSZ6DMxFjnyM3GvUy0ZrWE="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
PHONE = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
SERVICES = """\
networks:
  mesh:
    type: wireguard
    subnet: 198.19.7.0/24
    nodes:
      - host: 198.18.7.11
        name: a
        ssh_user: root
        private_key: {sops: keys.enc.yaml#wg.a}
        external_peers:
          - public_key: AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=
            allowed_ips: [198.19.7.200/32]
            preshared_key: {sops: keys.enc.yaml#wg.psk}
      - host: 198.18.7.12
        name: b
        ssh_user: root
"""


def _build(tmp: Path, keys: dict[str, str], text: str = SERVICES):  # type: ignore[no-untyped-def]
    doc, problems = parse_file(tmp / "services.yaml", text, "services")
    assert doc is not None and not problems
    return build([doc], env={}, host=FakeHost(sops={tmp / "keys.enc.yaml": keys}))


def test_keys_are_markers_in_the_spec_and_clear_only_in_secrets(tmp_path: Path) -> None:
    desired, problems = _build(tmp_path, {"wg.a": PRIVATE, "wg.psk": PSK})
    assert [p for p in problems if p.severity == "error"] == []
    a = desired.resources[Address("wireguard", "mesh", "a")]
    b = desired.resources[Address("wireguard", "mesh", "b")]
    assert a.spec["private_key"] == marker(PRIVATE)
    assert a.spec["external_peers"][0]["preshared_key"] == marker(PSK)  # type: ignore[index]
    assert a.secrets == {secret_path(): PRIVATE, secret_path(PHONE): PSK}
    assert "private_key" not in b.spec and b.secrets == {}
    assert PRIVATE not in repr(a.spec) and PSK not in repr(a.spec)
    rotated, _ = _build(tmp_path, {"wg.a": ROTATED, "wg.psk": PSK})
    after = rotated.resources
    assert after[a.address].hash() != a.hash() and after[b.address].hash() == b.hash()


def test_a_value_that_is_not_a_key_is_an_error_without_the_value(tmp_path: Path) -> None:
    _, problems = _build(tmp_path, {"wg.a": "hunter2-not-a-key", "wg.psk": PSK})
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1 and "is not a WireGuard key" in errors[0].summary
    assert "hunter2" not in errors[0].summary
    assert errors[0].source is not None and errors[0].source.line == 9


def test_bad_key_sources_are_reported_at_their_keys() -> None:
    entry = {"type": "wireguard", "subnet": "198.19.7.0/24", "config_path": "/etc/wg.conf",
             "nodes": [{"host": "198.18.7.11", "ssh_user": "root", "private_key": PRIVATE},
                       {"host": "198.18.7.12", "ssh_user": "root",
                        "private_key": {"sops": "k.enc.yaml#a"},
                        "private_key_file": "/etc/wg.key",
                        "external_peers": [{"public_key": PHONE, "allowed_ips": ["1.2.3.4"],
                                            "preshared_key": {"sops": "nohash"}}]}]}
    _, problems = read_network("mesh", entry, "demo")
    found = {(p.path, p.summary.split(" (")[0]) for p in problems}
    assert found == {
        (("nodes", 0, "private_key"), "private_key must be {sops: FILE#key.path}"),
        (("nodes", 1, "private_key"), "give either private_key_file or private_key, not both"),
        (("nodes", 1, "external_peers", 0, "preshared_key"),
         "preshared_key must be {sops: FILE#key.path}"),
        (("config_path",), "node '198.18.7.12': config_path cannot be used with a key from sops"),
    }


def test_live_commands_read_the_keys_from_shell_variables_only() -> None:
    spec = {"interface": "wg0", "listen_port": 51820, "address": "198.19.7.1/24",
            "private_key": marker(PRIVATE)}
    setup = interface_commands(spec, None, rotated=False)[0]  # type: ignore[arg-type]
    assert setup == (f"printf '%s\\n' \"${PRIVATE_KEY_VAR}\" | wg set wg0 listen-port 51820 "
                     "private-key /dev/stdin")
    peer = PeerConfig(PHONE, None, ("198.19.7.200/32",), preshared_key_var="wg_psk_0")
    commands = peer_commands("wg0", [peer], None)
    assert commands[0] == (f"printf '%s\\n' \"$wg_psk_0\" | wg set wg0 peer {PHONE} "
                           "preshared-key /dev/stdin")
    assert commands[1][:4] == ["wg", "set", "wg0", "peer"]
    assert PSK not in shell(commands) and PRIVATE not in shell([setup])


def test_wireguard_keys_are_listed_as_references(tmp_path: Path) -> None:
    """show-refs and the pre-commit hook (which exports the files referenced) see them.
    Before: only env values and env_file were references, so the hook left keys.enc.yaml out."""
    doc, problems = parse_file(tmp_path / "services.yaml", SERVICES, "services")
    assert doc is not None and not problems
    found = [(r.service, f"{r.prefix}{r.variable}", r.file, r.key_path, r.where.line)
             for r in references([doc])]
    assert found == [
        ("wireguard.mesh@a", "private_key", tmp_path / "keys.enc.yaml", "wg.a", 9),
        ("wireguard.mesh@a", "external_peers.0.preshared_key", tmp_path / "keys.enc.yaml",
         "wg.psk", 13)]
