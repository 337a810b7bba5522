"""An imported wg-quick file applied to a real namespace host over SSH (wireguard-go).

`reconciler import wireguard wgX.conf` (three [Peer]s, one with a PresharedKey) gives a
network whose node uses the file's own private key (`private_key_file`, read on the node)
and keeps every peer as `external_peers`: `apply` sets them (public key, allowed IPs,
endpoint, keepalive, the preshared key piped from the file), the interface's public key is
the one of the file's private key, the plan after it shows no changes, a peer removed by hand
is drift that `apply` repairs, and no key from the file appears in any output or the state.
Then, with the state and ownership mark gone, `import wireguard.<net>@<node> IFACE` takes the
running interface over untouched and the next plan shows no changes. And `import wireguard
FILE --adopt IFACE` does both steps for an interface set up by hand (wireguard-go + `wg set`,
as wg-quick would): it writes the entry into services.yaml and records the interface.
The interface, key directory and socket are removed by name at the end.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from infra.netns_hosts import SshHost, SshHostLab
from infra.wireguard import WireguardLab
from ruamel.yaml import YAML

RECONCILER = [sys.executable, "-m", "reconciler"]
KEY_ROOT = Path("/var/lib/reconciler/wireguard")
SOCKETS = Path("/var/run/wireguard")


def _wg(*args: str, stdin: str | None = None) -> str:
    return subprocess.run(["wg", *args], input=stdin, capture_output=True, text=True,
                          check=True, timeout=10).stdout.strip()


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*RECONCILER, "-C", str(project), "--no-color", *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 2), f"reconciler {args}:\n{done.stdout}{done.stderr}"
    return done


@pytest.fixture
def wg_host(ssh_hosts: Callable[[int], list[SshHost]],
            wireguard_available: bool) -> Iterator[SshHost]:
    host, = ssh_hosts(1)
    yield host
    name = f"wg{host.name}"
    subprocess.run(["ip", "-n", host.ns, "link", "del", name], capture_output=True, check=False)
    shutil.rmtree(KEY_ROOT / name, ignore_errors=True)
    (SOCKETS / f"{name}.sock").unlink(missing_ok=True)


def test_imported_peers_and_key_file_are_applied_and_checked(
        wg_host: SshHost, ssh_lab: SshHostLab, tmp_path: Path) -> None:
    private, psk = _wg("genkey"), _wg("genpsk")
    peers = [_wg("pubkey", stdin=_wg("genkey")) for _ in range(3)]
    octet = ssh_lab.network.octet
    conf = tmp_path / f"wg{wg_host.name}.conf"
    conf.write_text(
        f"[Interface]\nAddress = 198.19.{octet}.1/24\nListenPort = 51830\n"
        f"PrivateKey = {private}\n\n"
        f"[Peer]\nPublicKey = {peers[0]}\nPresharedKey = {psk}\n"
        f"AllowedIPs = 198.19.{octet}.2/32\n\n"
        f"[Peer]\nPublicKey = {peers[1]}\nEndpoint = 198.18.{octet}.200:51820\n"
        f"AllowedIPs = 198.19.{octet}.3/32, 198.18.250.0/24\nPersistentKeepalive = 25\n\n"
        f"[Peer]\nPublicKey = {peers[2]}\nEndpoint = 198.18.{octet}.201:51820\n"
        f"AllowedIPs = 198.19.{octet}.4/32\n")
    conf.chmod(0o600)
    outputs: list[str] = []
    imported = _cli(tmp_path, "import", "wireguard", str(conf), "--name", "site")
    outputs.append(imported.stdout + imported.stderr)
    data = YAML(typ="safe").load(imported.stdout)
    node = data["networks"]["site"]["nodes"][0]
    node.update(host=wg_host.address, name=wg_host.name, ssh_key=str(wg_host.key_path))
    data.update(name="wgimport", settings={"known_hosts": str(ssh_lab.known_hosts_path)})
    (tmp_path / "services.yaml").write_text(json.dumps(data, indent=2))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = _cli(tmp_path, *args)
        outputs.append(done.stdout + done.stderr)
        return done

    cli("apply", "--auto-approve")
    iface = f"wg{wg_host.name}"
    shown = wg_host.run(f"wg show {iface} dump").stdout.splitlines()
    head, *lines = [line.split("\t") for line in shown]
    assert head[1] == _wg("pubkey", stdin=private) and head[2] == "51830"
    seen = {cols[0]: cols for cols in lines}
    assert set(seen) == set(peers)
    assert seen[peers[0]][1] == psk and seen[peers[1]][1] == "(none)"
    assert seen[peers[1]][2] == f"198.18.{octet}.200:51820" and seen[peers[1]][7] == "25"
    assert sorted(seen[peers[1]][3].split(",")) == ["198.18.250.0/24", f"198.19.{octet}.3/32"]
    assert not (KEY_ROOT / iface / "private.key").exists()
    assert cli("plan", "--detailed-exitcode").returncode == 0, outputs[-1]

    wg_host.run(f"wg set {iface} peer {peers[2]} remove")
    drifted = cli("plan", "--detailed-exitcode")
    assert drifted.returncode == 2 and f"external peer {peers[2][:8]}... missing" in \
        drifted.stdout, drifted.stdout
    cli("apply", "--auto-approve")
    assert peers[2] in wg_host.run(f"wg show {iface} peers").stdout
    assert cli("plan", "--detailed-exitcode").returncode == 0, outputs[-1]

    # a running interface the state does not know (state and ownership mark gone) is taken
    # over by `import ADDRESS IFACE` without being touched: the next plan shows no changes
    address = f"wireguard.site@{wg_host.name}"
    cli("state", "rm", address)
    (KEY_ROOT / iface / "owner").unlink()
    settings = f"wg show {iface} dump | cut -f 1-4"  # keys, endpoints, IPs: no counters
    before = sorted(wg_host.run(settings).stdout.splitlines())  # peers sorted by handshake
    unknown = cli("plan", "--detailed-exitcode")
    assert unknown.returncode == 2, unknown.stdout  # not in the state: not "no changes"
    adopted = cli("import", address, iface)
    assert f"Imported {address} (interface {iface})" in adopted.stdout, adopted.stdout
    assert cli("plan", "--detailed-exitcode").returncode == 0, outputs[-1]
    assert sorted(wg_host.run(settings).stdout.splitlines()) == before

    blobs = [p.read_bytes() for p in (tmp_path / ".reconciler").rglob("*") if p.is_file()]
    for secret in (private, psk):
        assert all(secret not in text for text in outputs)
        assert all(secret.encode() not in blob for blob in blobs)
    cli("destroy", "--auto-approve")
    assert conf.read_text().count("PrivateKey") == 1  # the user's file is left alone


def test_import_file_with_adopt_takes_over_a_running_interface(
        ssh_hosts: Callable[[int], list[SshHost]], ssh_lab: SshHostLab,
        wireguard: WireguardLab, tmp_path: Path) -> None:
    """`import wireguard FILE --adopt IFACE` on an interface set up by hand (as wg-quick
    would): the entry is written into services.yaml, the interface is recorded, the next
    plan shows no changes and the interface is left exactly as it was."""
    host, = ssh_hosts(1)
    iface = wireguard.start(host.ns).name
    private, peer = _wg("genkey"), _wg("pubkey", stdin=_wg("genkey"))
    octet = ssh_lab.network.octet
    conf = tmp_path / f"{host.name}.conf"
    conf.write_text(f"[Interface]\nAddress = 198.19.{octet}.1/24\nListenPort = 51831\n"
                    f"PrivateKey = {private}\n\n[Peer]\nPublicKey = {peer}\n"
                    f"Endpoint = 198.18.{octet}.202:51820\nAllowedIPs = 198.19.{octet}.9/32\n"
                    "PersistentKeepalive = 25\n")
    conf.chmod(0o600)
    key = tmp_path / "private.key"  # what `wg set private-key` reads (wg-quick pipes it)
    key.write_text(private + "\n")
    key.chmod(0o600)
    try:
        host.run(f"wg set {iface} listen-port 51831 private-key {key} peer {peer} "
                 f"endpoint 198.18.{octet}.202:51820 allowed-ips 198.19.{octet}.9/32 "
                 f"persistent-keepalive 25 && ip addr add 198.19.{octet}.1/24 dev {iface} && "
                 f"ip link set {iface} up")
        settings = f"wg show {iface} dump | cut -f 1-4,8"
        before = sorted(host.run(settings).stdout.splitlines())
        (tmp_path / "services.yaml").write_text(
            "# the project's own comment stays\nname: wgadopt\n"
            f"settings:\n  known_hosts: {ssh_lab.known_hosts_path}\n")
        outputs: list[str] = []

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            done = _cli(tmp_path, *args)
            outputs.append(done.stdout + done.stderr)
            return done

        adopted = cli("import", "wireguard", str(conf), "--name", "site", "--adopt", iface,
                      "--host", host.address, "--ssh-key", str(host.key_path))
        address = f"wireguard.site@{host.name}"
        assert "Wrote networks.site to services.yaml" in adopted.stdout, adopted.stdout
        assert f"Imported {address} (interface {iface})" in adopted.stdout, adopted.stdout
        written = (tmp_path / "services.yaml").read_text()
        assert written.startswith("# the project's own comment stays")
        assert YAML(typ="safe").load(written)["networks"]["site"]["interface"] == iface
        plan = cli("plan", "--detailed-exitcode")
        assert plan.returncode == 0, plan.stdout
        assert sorted(host.run(settings).stdout.splitlines()) == before

        again = subprocess.run([*RECONCILER, "-C", str(tmp_path), "--no-color", "import",
                                "wireguard", str(conf), "--name", "site", "--adopt", iface],
                               capture_output=True, text=True, timeout=120, check=False)
        assert again.returncode == 1 and "networks.site exists already" in again.stderr
        assert (tmp_path / "services.yaml").read_text() == written  # refused: untouched
        assert all(private not in text for text in outputs)
    finally:
        shutil.rmtree(KEY_ROOT / iface, ignore_errors=True)

