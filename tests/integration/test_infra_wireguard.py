"""Smoke test of the WireGuard fixture: wireguard-go brings an interface up inside a namespace
host, `wg` configures it through the shared control socket, and stopping it removes both."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from infra.netns_hosts import SshHost, SshHostLab
from infra.procs import start_time
from infra.wireguard import WireguardLab


def _wg(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["wg", *args], input=stdin, capture_output=True, text=True, timeout=15, check=True
    )
    return done.stdout.strip()


def test_wireguard_go_interface_in_a_namespace_host(
    ssh_hosts: Callable[[int], list[SshHost]],
    ssh_lab: SshHostLab,
    wireguard: WireguardLab,
    tmp_path: Path,
) -> None:
    (host,) = ssh_hosts(1)
    iface = wireguard.start(host.ns)
    assert iface.name.startswith("wgrcn") and len(iface.name) <= 15
    assert iface.exists()
    assert [iface.pid, start_time(iface.pid)] in ssh_lab.network.manifest.data["pids"]

    private = _wg("genkey")
    key_file = tmp_path / "wg.key"
    key_file.write_text(private + "\n")
    key_file.chmod(0o600)
    _wg("set", iface.name, "private-key", str(key_file), "listen-port", "0")
    overlay = f"198.19.{ssh_lab.network.octet}.1/24"
    subprocess.run(["ip", "-n", host.ns, "addr", "add", overlay, "dev", iface.name], check=True)
    subprocess.run(["ip", "-n", host.ns, "link", "set", iface.name, "up"], check=True)
    assert _wg("show", iface.name, "public-key") == _wg("pubkey", stdin=private + "\n")
    assert overlay.split("/")[0] in host.run("ip -4 addr show").stdout

    wireguard.stop(iface)
    assert not iface.exists()
    assert not iface.socket_path.exists()
