"""wg-quick import keeps every [Peer] and references keys by path, and the wireguard network
carries them: ``external_peers`` and ``private_key_file`` of a node become the node spec,
are set live (preshared keys piped from their file on the node), written into the wg-quick
file and checked by drift.

Before: `import wireguard wg0.conf` dropped the public keys, endpoints, allowed IPs and
keepalive of every [Peer] (only a network-wide keepalive and `allowed_ips`, which need
`topology: hub`, were kept) and named the private key only in a comment; the network had no
way to hold a peer that is not one of its nodes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.actuators.wireguard.drift import drift
from reconciler.actuators.wireguard.keys import hidden_dump_script, key_from_file_script
from reconciler.actuators.wireguard.parse import parse_dump, parse_report
from reconciler.actuators.wireguard.render import (
    external_peer,
    interface_commands,
    peer_commands,
    wg_quick_config,
)
from reconciler.actuators.wireguard.spec import WireguardSpec
from reconciler.config.wgquick import parse_wgquick
from reconciler.model.build_wgquick import network_entry
from reconciler.model.wireguard import node_specs, read_network

WG0 = Path(__file__).parent / "fixtures" / "wgquick" / "wg0.conf"
LAPTOP = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
OFFICE = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
PHONE = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
OWN = "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="
SECRETS = ("tPRIV", "zPSK")


def _entry() -> dict[str, Any]:
    doc, problems = parse_wgquick(WG0, WG0.read_text())
    assert problems == [] and doc is not None
    entry, _ = network_entry([doc], "wg0", ssh_user="root")
    return entry


def _spec() -> WireguardSpec:
    net, problems = read_network("wg0", _entry(), "demo")
    assert problems == [] and net is not None
    return node_specs(net, "demo")["wg0"]


def test_every_peer_is_kept_and_keys_are_referenced_by_path() -> None:
    entry = _entry()
    node, = entry["nodes"]
    path = str(WG0.resolve())
    assert node["private_key_file"] == path
    assert node["external_peers"] == [
        {"public_key": LAPTOP, "allowed_ips": ["198.19.20.2/32"], "preshared_key_file": path},
        {"public_key": OFFICE, "allowed_ips": ["198.19.20.3/32", "198.18.21.0/24"],
         "endpoint": "198.18.20.5:51820", "persistent_keepalive": 25},
        {"public_key": PHONE, "allowed_ips": ["198.19.20.4/32"],
         "endpoint": "vpn.example.test:51820"}]
    assert "allowed_ips" not in entry and entry["listen_port"] == 51821
    assert not any(s in repr(entry) for s in SECRETS)


def test_the_imported_entry_is_a_valid_network_whose_spec_carries_the_peers() -> None:
    spec = _spec()
    assert spec["private_key_file"] == str(WG0.resolve())
    assert [p["public_key"] for p in spec.get("external_peers", [])] == [LAPTOP, OFFICE, PHONE]
    assert spec["external_peers"][1]["allowed_ips"] == ["198.18.21.0/24", "198.19.20.3/32"]
    assert spec["peers"] == []


def test_import_output_validates_as_services_yaml(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1", "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    env.pop("RECONCILER_SESSION", None)
    run = [sys.executable, "-m", "reconciler"]
    done = subprocess.run([*run, "import", "wireguard", str(WG0)], capture_output=True,
                          text=True, env=env, timeout=60, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not any(s in done.stdout for s in SECRETS)
    assert YAML(typ="safe").load(done.stdout)["networks"]["wg"]["nodes"][0][
        "external_peers"][2]["public_key"] == PHONE
    (tmp_path / "services.yaml").write_text(done.stdout)
    checked = subprocess.run([*run, "validate"], capture_output=True, text=True, env=env,
                             timeout=60, check=False, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_bad_external_peers_are_reported_at_their_keys() -> None:
    entry = _entry()
    entry["nodes"][0]["external_peers"] = [{"public_key": "nope", "allowed_ips": ["x"]},
                                           {"public_key": OFFICE, "allowed_ips": ["x/1"],
                                            "preshared_key_file": "relative.key"}]
    entry["config_path"] = str(WG0.resolve())
    _, problems = read_network("wg0", entry, "demo")
    assert [p.path for p in problems] == [
        ("nodes", 0, "external_peers", 0, "public_key"),
        ("nodes", 0, "external_peers", 1, "allowed_ips", 0),
        ("nodes", 0, "external_peers", 1, "preshared_key_file"),
        ("nodes", 0, "private_key_file")]


def test_peers_are_set_live_with_the_preshared_key_piped_from_its_file() -> None:
    spec = _spec()
    wanted = [external_peer(p) for p in spec.get("external_peers", [])]
    commands = peer_commands("wg0", wanted, None)
    assert commands[0] == ["wg", "set", "wg0", "peer", LAPTOP, "persistent-keepalive", "off",
                           "allowed-ips", "198.19.20.2/32"]
    assert commands[1][:2] == ["sh", "-c"] and commands[1][2].endswith(
        f"| wg set wg0 peer {LAPTOP} preshared-key /dev/stdin")
    assert commands[2][-3:] == ["25", "allowed-ips", "198.18.21.0/24,198.19.20.3/32"]
    assert len(commands) == 4
    setup = interface_commands(spec, None, rotated=False)[0]
    assert setup[:2] == ["sh", "-c"] and "private-key /dev/stdin" in setup[2]
    text = wg_quick_config(spec, wanted)
    assert text.count("[Peer]") == 3 and f"PublicKey = {OFFICE}" in text
    assert "Endpoint = vpn.example.test:51820" in text and "PersistentKeepalive = 25" in text
    assert "PostUp = wg set %i private-key <(awk" in text
    assert f"PostUp = wg set %i peer {LAPTOP} preshared-key <(awk" in text
    assert not any(s in text or s in repr(commands) for s in SECRETS)


def test_the_key_scripts_read_the_right_key_out_of_the_wg_quick_file() -> None:
    def run(*args: str) -> str:
        return subprocess.run(["sh", "-c", key_from_file_script(*args)], capture_output=True,
                              text=True, check=True, timeout=10).stdout.strip()
    assert run(str(WG0)) == "tPRIVtPRIVtPRIVtPRIVtPRIVtPRIVtPRIVtPRIVt0E="
    assert run(str(WG0), "presharedkey", LAPTOP) == "zPSKzPSKzPSKzPSKzPSKzPSKzPSKzPSKzPSKzPSKz0E="
    missing = subprocess.run(["sh", "-c", key_from_file_script(str(WG0), "presharedkey",
                                                                OFFICE)],
                             capture_output=True, text=True, timeout=10, check=False)
    assert missing.returncode == 1 and missing.stdout == ""


def test_the_hidden_dump_blanks_preshared_keys_too() -> None:
    fake = (f"printf 'PRIV\\t{OWN}\\t51821\\toff\\n{LAPTOP}\\tPSKTEXT\\t(none)\\t198.19.20.2/32"
            f"\\t0\\t0\\t0\\toff\\n{PHONE}\\t(none)\\t(none)\\t198.19.20.4/32\\t0\\t0\\t0\\toff\\n'")
    script = hidden_dump_script("wg0").replace("wg show wg0 dump 2>/dev/null", fake)
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True,
                         timeout=10).stdout
    assert "PSKTEXT" not in out and "PRIV\t" not in out
    dump = parse_dump(out)
    assert dump is not None and [p.has_psk for p in dump.peers] == [True, False]


def _report(peers: str) -> str:
    return ("@@now 1700000000\n@@if wg0\n@@impl kernel\n@@owner demo abc\n@@key yes\n@@dump\n"
            f"(hidden)\t{OWN}\t51821\toff\n{peers}@@addr\n"
            "5: wg0    inet 198.19.20.1/24 scope global wg0\n@@link\n"
            "5: wg0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1420 state UNKNOWN\n")


def test_drift_checks_the_external_peers_by_public_key() -> None:
    spec = _spec()
    good = (f"{LAPTOP}\t(hidden)\t(none)\t198.19.20.2/32\t0\t0\t0\toff\n"
            f"{OFFICE}\t(none)\t198.18.20.5:51820\t198.19.20.3/32,198.18.21.0/24\t0\t0\t0\t25\n"
            f"{PHONE}\t(none)\t198.18.30.1:51820\t198.19.20.4/32\t0\t0\t0\toff\n")
    assert drift(spec, parse_report(_report(good)).interfaces["wg0"], 1700000000) == []
    bad = (f"{LAPTOP}\t(none)\t(none)\t198.19.20.2/32\t0\t0\t0\toff\n"
           f"{OFFICE}\t(none)\t198.18.20.9:51820\t198.19.20.3/32\t0\t0\t0\toff\n"
           f"{OWN}\t(none)\t(none)\t198.19.20.9/32\t0\t0\t0\toff\n")
    assert drift(spec, parse_report(_report(bad)).interfaces["wg0"], 1700000000) == [
        "external peer AQEBAQEB... preshared key missing",
        "external peer AgICAgIC... allowed IPs 198.19.20.3/32 (want "
        "198.18.21.0/24,198.19.20.3/32)",
        "external peer AgICAgIC... endpoint 198.18.20.9:51820 (want 198.18.20.5:51820)",
        "external peer AgICAgIC... keepalive 0 (want 25)",
        "external peer AwMDAwMD... missing",
        "unexpected peer BAQEBAQE... (198.19.20.9/32)"]
