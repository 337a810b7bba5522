"""wg-quick .conf -> networks: entry: what maps, the notes with file:line, parse errors with
positions, and no private or preshared key anywhere in the output."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from reconciler.cli.app import app, load_commands
from reconciler.config.wgquick import IN_FILE, parse_wgquick
from reconciler.model.build_wgquick import network_entry

FIXTURE = Path(__file__).parent / "fixtures" / "wgquick" / "edge.conf"
SECRETS = ("kFAKEkey", "sFAKEpsk")


def test_fixture_maps_to_a_network_entry_with_notes() -> None:
    doc, problems = parse_wgquick(FIXTURE, FIXTURE.read_text())
    assert problems == [] and doc is not None
    assert doc.data["sections"][0]["keys"]["privatekey"] == [IN_FILE]
    entry, notes = network_entry([doc], "lab", ssh_user="deploy")
    where = str(FIXTURE.resolve())
    assert entry == {"type": "wireguard", "listen_port": 51820, "mtu": 1380,
                     "subnet": "198.19.7.0/24", "interface": "edge",
                     "nodes": [{"host": "edge", "name": "edge", "ssh_user": "deploy",
                                "address": "198.19.7.1", "private_key_file": where,
                                "external_peers": [{
                                    "public_key": "pFAKEpubFAKEpubFAKEpubFAKEpubFAKEpubFAKEpu0=",
                                    "allowed_ips": ["198.19.7.2/32", "198.19.8.0/24"],
                                    "endpoint": "relay.example.test:51820",
                                    "persistent_keepalive": 25,
                                    "preshared_key_file": where}]}]}
    text = "\n".join(notes)
    assert f"{FIXTURE}:3:1: IPv6 address fd00:7::1/64" in text
    assert f"{FIXTURE}:8:1: postup hook" in text and f"{FIXTURE}:7:1: table = off" in text
    assert "relay.example.test:51820 is a host name" in text
    assert not any(s in text or s in repr(entry) or s in repr(doc) for s in SECRETS)


def test_cli_prints_yaml_without_keys(tmp_path: Path) -> None:
    load_commands()
    result = CliRunner().invoke(app, ["import", "wireguard", str(FIXTURE), "--name", "lab"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("networks:\n  lab:\n    type: wireguard\n")
    assert "# note:" in result.output and not any(s in result.output for s in SECRETS)


def test_parse_errors_have_positions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.conf"
    text = "[Interface]\nAddress = 198.19.1.1/24\nListenPrt = 1\n[Route]\n"
    doc, problems = parse_wgquick(bad, text)
    assert doc is None
    assert [p.render().splitlines()[0] for p in problems] == [
        f"{bad}:3:1: error: unknown key 'ListenPrt' in [Interface]",
        f"{bad}:4:1: error: unknown section [Route]"]
