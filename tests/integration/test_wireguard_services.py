"""A service on one host reaches a service on another through ``${svc.ip}``, which resolves to
the WireGuard overlay address (real namespace hosts over SSH, wireguard-go).

h1 and h2 form a WireGuard mesh. ``srv`` runs on h1 in network ``mesh`` and serves HTTP bound
to ``${srv.ip}`` only (so only the overlay address answers); ``cli`` runs on h2 in the same
network and fetches ``http://${srv.ip}:${srv.port}/hello.txt`` once, writing the answer and the
address it used to h2's private /srv. The test reads both back through h2's SSH transport.
Then a peer deleted by hand is planned as an in-place ``~ update`` (not a replace) and
repaired live. Everything is destroyed by the engine at the end; interfaces, key directories
and wireguard-go sockets are also removed by name.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from infra.netns_hosts import SshHost, SshHostLab

RECONCILER = [sys.executable, "-m", "reconciler"]
KEY_ROOT = Path("/var/lib/reconciler/wireguard")
SOCKETS = Path("/var/run/wireguard")
PORT = 18391
FETCH = """
import time, urllib.request
while True:
    try:
        body = urllib.request.urlopen("http://${srv.ip}:${srv.port}/hello.txt", timeout=2).read()
        break
    except OSError:
        time.sleep(0.3)
open("/srv/got.txt", "wb").write(body)
open("/srv/ip.txt", "w").write("${srv.ip}")
time.sleep(600)
"""


def _write(project: Path, lab: SshHostLab, h1: SshHost, h2: SshHost, subnet: str) -> None:
    nodes = [{"host": h.address, "name": h.name, "ssh_user": "root",
              "ssh_key": str(h.key_path)} for h in (h1, h2)]
    data = {
        "name": "wgsvc", "settings": {"known_hosts": str(lab.known_hosts_path)},
        "networks": {"mesh": {"type": "wireguard", "subnet": subnet, "interface": "wg{node}",
                              "persistent_keepalive": 5, "nodes": nodes}},
        "services": {
            "srv": {"type": "remote", "host": h1.name, "network": "mesh", "port": PORT,
                    "command": "python3 -m http.server ${srv.port} --bind ${srv.ip} "
                               "--directory /srv/www"},
            "cli": {"type": "remote", "host": h2.name, "network": "mesh",
                    "binary": "python3", "args": ["-c", FETCH]},
        },
    }
    (project / "services.yaml").write_text(json.dumps(data, indent=2))


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*RECONCILER, "-C", str(project), "--no-color", *args],
                          capture_output=True, text=True, timeout=120)
    if done.returncode not in (0, 2):
        raise AssertionError(f"reconciler {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


def _read(host: SshHost, path: str, seconds: float = 20) -> str:
    """The file's content once it is non-empty (the client writes it when it got an answer)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        done = host.run(f"cat {path}", check=False)
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
        time.sleep(0.3)
    raise AssertionError(f"{host.name}:{path} never written")


@pytest.fixture
def wg_cleanup() -> Iterator[list[SshHost]]:
    """Hosts registered here lose their interface, key dir and socket (by name) at the end."""
    hosts: list[SshHost] = []
    yield hosts
    for host in hosts:
        name = f"wg{host.name}"
        subprocess.run(["ip", "-n", host.ns, "link", "del", name], capture_output=True)
        shutil.rmtree(KEY_ROOT / name, ignore_errors=True)
        (SOCKETS / f"{name}.sock").unlink(missing_ok=True)


def test_service_reaches_another_host_through_svc_ip_on_the_overlay(
        ssh_hosts: Callable[[int], list[SshHost]], ssh_lab: SshHostLab,
        wireguard_available: bool, wg_cleanup: list[SshHost], tmp_path: Path) -> None:
    h1, h2 = ssh_hosts(2)
    wg_cleanup.extend([h1, h2])
    subnet = f"198.19.{ssh_lab.network.octet}.0/24"
    h1.run(f"mkdir -p /srv/www && echo 'hello from {h1.name}' > /srv/www/hello.txt")
    _write(tmp_path, ssh_lab, h1, h2, subnet)
    try:
        applied = _cli(tmp_path, "apply", "--auto-approve")
        assert "process.srv@" in applied.stdout and "process.cli@" in applied.stdout
        overlay = h1.run(f"ip -o -4 addr show dev wg{h1.name}").stdout
        srv_ip = overlay.split("inet ")[1].split("/")[0]
        assert srv_ip.startswith(f"198.19.{ssh_lab.network.octet}.")

        # h2 got h1's answer, over the tunnel: the server listens on the overlay address only
        assert _read(h2, "/srv/got.txt") == f"hello from {h1.name}"
        assert _read(h2, "/srv/ip.txt") == srv_ip
        listening = [ln.split()[3] for ln in
                     h1.run(f"ss -Htln sport = :{PORT}").stdout.splitlines()]
        assert listening == [f"{srv_ip}:{PORT}"]
        received = h2.run(f"wg show wg{h2.name} transfer").stdout.split()
        assert received and int(received[1]) > 0
        assert _cli(tmp_path, "plan", "--detailed-exitcode").returncode == 0

        # a peer deleted by hand is drift repaired in place: `~ update`, not a replace
        h1_key = h1.run(f"wg show wg{h1.name} public-key").stdout.strip()
        h2.run(f"wg set wg{h2.name} peer {h1_key} remove")
        drifted = _cli(tmp_path, "plan", "--detailed-exitcode")
        assert drifted.returncode == 2
        assert f"# wireguard.mesh@{h2.name} will be updated in-place (drift: peer {h1.name} " \
            "missing)" in drifted.stdout, drifted.stdout
        assert f"~ wireguard.mesh@{h2.name}" in drifted.stdout
        assert "0 to add, 1 to change, 0 to replace, 0 to destroy" in drifted.stdout
        _cli(tmp_path, "apply", "--auto-approve")
        assert _cli(tmp_path, "plan", "--detailed-exitcode").returncode == 0
        assert h1_key in h2.run(f"wg show wg{h2.name} peers").stdout
    finally:
        _cli(tmp_path, "destroy", "--auto-approve")
