"""WireGuard parsers, renderers, drift rules and key rules on captured output (pure)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from reconciler.actuators.wireguard.drift import drift, facts
from reconciler.actuators.wireguard.keys import ensure_key_script, hidden_dump_script, is_public_key
from reconciler.actuators.wireguard.parse import parse_dump, parse_link, parse_report
from reconciler.actuators.wireguard.render import (
    PeerConfig,
    interface_commands,
    observe_script,
    peer_commands,
    wg_quick_config,
)

PUB_A = "aEx4BZx8x30vJ5febJcwODhMiMlmsdtaAlD0X1/Rp2E="
PUB_B = "VN+fj11W9Lh1J25mZ6276Onc7i3FVsPkP65BU8aNVkM="
PUB_C = "MJ9U7XvCeeqUQwCBDmEhfD3ndSLpY1svXkr7EGlpXR4="
# captured from `wg show wgexpA dump` on wireguard-go (private key blanked on the host)
DUMP = (f"(hidden)\t{PUB_A}\t51820\toff\n"
        f"{PUB_B}\t(none)\t198.18.1.12:51820\t198.19.1.2/32\t1700000000\t1200\t3400\t25\n"
        f"{PUB_C}\t(none)\t(none)\t198.19.1.3/32,198.19.9.0/24\t0\t0\t0\toff\n")
REPORT = ("@@now 1700000100\n@@if wg0\n@@impl userspace\n@@owner demo abc123\n@@key yes\n"
          f"@@dump\n{DUMP}@@addr\n"
          "5: wg0    inet 198.19.1.1/24 scope global wg0\\       valid_lft forever\n"
          "@@link\n5: wg0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1420 qdisc fq state UNKNOWN\n"
          "@@if wg9\n@@impl none\n@@owner \n@@key no\n@@dump\n@@addr\n@@link\n")


def _spec(**extra: Any) -> dict[str, Any]:
    return {"interface": "wg0", "address": "198.19.1.1/24", "listen_port": 51820,
            "mtu": None, "persistent_keepalive": 25, "endpoint": "198.18.1.11:51820",
            "allowed_ips": ["198.19.1.1/32"],
            "peers": [{"node": "b", "interface": "wg0", "endpoint": "198.18.1.12:51820",
                       "allowed_ips": ["198.19.1.2/32"]}], **extra}


def test_parse_dump_drops_the_private_key_field() -> None:
    dump = parse_dump(f"SECRETPRIVATEKEY\t{PUB_A}\t51820\toff\n")
    assert dump is not None and "SECRET" not in repr(dump)
    full = parse_dump(DUMP)
    assert full is not None and full.public_key == PUB_A and full.listen_port == 51820
    b, c = full.peers
    assert (b.endpoint, b.allowed_ips, b.latest_handshake, b.keepalive) == (
        "198.18.1.12:51820", ("198.19.1.2/32",), 1700000000, 25)
    assert c.endpoint is None and c.allowed_ips == ("198.19.1.3/32", "198.19.9.0/24")
    assert parse_dump("") is None


def test_parse_report_reads_every_interface_section() -> None:
    report = parse_report(REPORT)
    assert report.now == 1700000100
    wg0, wg9 = report.interfaces["wg0"], report.interfaces["wg9"]
    assert wg0.exists and wg0.impl == "userspace" and wg0.up and wg0.mtu == 1420
    assert (wg0.owner, wg0.spec_hash, wg0.key_present) == ("demo", "abc123", True)
    assert wg0.addresses == ("198.19.1.1/24",)
    assert not wg9.exists and wg9.dump is None
    assert parse_link("2: wg0: <POINTOPOINT,NOARP> mtu 1420 state DOWN") == (False, 1420)


def test_drift_names_each_reason() -> None:
    report = parse_report(REPORT).interfaces["wg0"]
    assert drift(_spec(peers=[]), report, 1700000100) == [
        "unexpected peer VN+fj11W... (198.19.1.2/32)",
        "unexpected peer MJ9U7XvC... (198.19.1.3/32,198.19.9.0/24)"]
    spec = _spec(peers=[*_spec()["peers"], {"node": "c", "interface": "wg0",
                                            "endpoint": "198.18.1.13:51820",
                                            "allowed_ips": ["198.19.1.3/32",
                                                            "198.19.9.0/24"]},
                        {"node": "d", "interface": "wg0", "endpoint": "198.18.1.14:51820",
                         "allowed_ips": ["198.19.1.4/32"]}])
    reasons = drift(spec, report, 1700000100 + 400)
    assert "peer d missing" in reasons
    assert "peer c endpoint none (want 198.18.1.13:51820)" in reasons
    assert "peer b handshake stale (500 s ago)" in reasons
    assert drift(_spec(listen_port=1), report, 1700000100)[0] == "listen port 51820 (want 1)"
    assert drift(_spec(), parse_report(REPORT).interfaces["wg9"], 0) == ["interface missing"]
    recorded = facts(_spec(), report, 1700000100)
    assert recorded["public_key"] == PUB_A and recorded["peers"]["b"]["rx_bytes"] == 1200


def test_peer_commands_touch_only_what_differs() -> None:
    current = parse_dump(DUMP)
    same_b = PeerConfig(PUB_B, "198.18.1.12:51820", ("198.19.1.2/32",), 25)
    moved_c = PeerConfig(PUB_C, "198.18.1.13:51820", ("198.19.1.3/32", "198.19.9.0/24"), 25)
    commands = peer_commands("wg0", [same_b, moved_c], current)
    assert commands == [["wg", "set", "wg0", "peer", PUB_C, "endpoint", "198.18.1.13:51820",
                         "persistent-keepalive", "25", "allowed-ips",
                         "198.19.1.3/32,198.19.9.0/24"]]
    assert peer_commands("wg0", [same_b], current) == [
        ["wg", "set", "wg0", "peer", PUB_C, "remove"]]


def test_interface_commands_for_a_new_and_a_converged_interface() -> None:
    fresh = interface_commands(_spec(mtu=1380), None, rotated=False)
    assert fresh[0][:5] == ["wg", "set", "wg0", "listen-port", "51820"]
    assert ["ip", "addr", "add", "198.19.1.1/24", "dev", "wg0"] in fresh
    assert fresh[-1] == ["ip", "link", "set", "dev", "wg0", "up"]
    report = parse_report(REPORT).interfaces["wg0"]
    assert interface_commands(_spec(), report, rotated=False) == []
    assert interface_commands(_spec(), report, rotated=True)[0][3] == "listen-port"


def test_wg_quick_file_loads_the_key_from_its_file() -> None:
    text = wg_quick_config(_spec(mtu=1380), [PeerConfig(PUB_B, "198.18.1.12:51820",
                                                        ("198.19.1.2/32",), 25)])
    assert "PrivateKey" not in text
    assert "PostUp = wg set %i private-key /var/lib/reconciler/wireguard/wg0/private.key" in text
    assert f"PublicKey = {PUB_B}" in text and "PersistentKeepalive = 25" in text


def test_key_rules() -> None:
    assert is_public_key(PUB_A) and not is_public_key("nope") and not is_public_key("")
    script = ensure_key_script("wg0", rotate=True)
    assert "umask 077" in script and "rm -f" in script and "wg genkey" in script
    assert "(hidden)" in observe_script(["wg0"]) and "genkey" not in observe_script(["wg0"])


def test_the_hidden_dump_blanks_the_private_key_in_a_real_shell() -> None:
    fake_wg = f"printf 'PRIVATE\\t{PUB_A}\\t51820\\toff\\n{PUB_B}\\t(none)\\n'"
    script = hidden_dump_script("wg0").replace("wg show wg0 dump 2>/dev/null", fake_wg)
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == f"(hidden)\t{PUB_A}\t51820\toff\n{PUB_B}\t(none)\n"


@pytest.mark.parametrize("text", ["", "garbage", "@@if\n@@dump\nx\ty\n"])
def test_parse_report_never_raises_on_odd_text(text: str) -> None:
    report = parse_report(text)
    assert all(not i.exists for i in report.interfaces.values())
