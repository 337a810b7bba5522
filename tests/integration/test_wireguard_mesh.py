"""The WireGuard actuator against real namespace hosts over SSH (wireguard-go, no kernel module).

One scenario, kept in one test so the hosts are made once: a 3-node mesh is created by
``reconciler apply``; every pair pings through the tunnel addresses; a long TCP connection
between h1 and h2 keeps working while a 4th node is added and then removed live; a peer
deleted by hand (``wg set <if> peer X remove``) shows as drift in the plan and is repaired;
adding and removing a peer plan as ``~ update`` (in place) on the other nodes;
key rotation with ``--replace`` keeps the mesh working; the private keys (read on the nodes)
appear nowhere in the state database or in any output. Interfaces, key directories and
wireguard-go sockets are removed by name at the end (the hosts' pid namespaces end their
wireguard-go processes).
"""

from __future__ import annotations

import functools
import json
import shutil
import sqlite3
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

ECHO_SERVER = """
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{ip}", 7070)); s.listen(1); c, _ = s.accept()
while True:
    data = c.recv(64)
    if not data:
        break
    c.sendall(data)
"""
ECHO_CLIENT = """
import select, socket, sys, time
c = socket.create_connection(("{ip}", 7070), timeout=5)
n = 0
while not select.select([sys.stdin], [], [], 0)[0]:  # until the test closes stdin
    c.sendall(b"ping%d;" % n)
    want = b"ping%d;" % n
    got = b""
    while len(got) < len(want):
        got += c.recv(64)
    assert got == want, got
    n += 1
    time.sleep(0.1)
print("echoed", n)
"""


def _config(project: Path, lab: SshHostLab, hosts: list[SshHost], subnet: str,
            keep: list[SshHost] = ()) -> None:  # type: ignore[assignment]
    """The mesh of ``hosts``; ``keep``: hosts no longer nodes but still reachable."""
    nodes = [{"host": h.address, "name": h.name, "ssh_user": "root",
              "ssh_key": str(h.key_path)} for h in hosts]
    data = {"name": "wgmesh", "settings": {"known_hosts": str(lab.known_hosts_path)},
            "networks": {"mesh": {"type": "wireguard", "subnet": subnet,
                                  "interface": "wg{node}", "persistent_keepalive": 5,
                                  "listen_port": 51820, "nodes": nodes}}}
    if keep:
        data["hosts"] = {h.name: {"address": h.address, "user": "root",
                                  "identity_file": str(h.key_path)} for h in keep}
    (project / "services.yaml").write_text(json.dumps(data, indent=2))


def _cli(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*RECONCILER, "-C", str(project), "--no-color", *args],
                          capture_output=True, text=True, timeout=120)
    if check and done.returncode not in (0, 2):
        raise AssertionError(f"reconciler {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


def _overlay(host: SshHost) -> str:
    out = host.run(f"ip -o -4 addr show dev wg{host.name}").stdout
    return out.split("inet ")[1].split("/")[0]


def _ping(src: SshHost, dst_ip: str) -> bool:
    done = src.run(f"busybox ping -c 1 -W 3 {dst_ip}", check=False, timeout=20)
    return done.returncode == 0


def _eventually(check: Callable[[], bool], what: str, seconds: float = 15) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"never true: {what}")


@pytest.fixture
def wg_cleanup(ssh_lab: SshHostLab) -> Iterator[list[SshHost]]:
    """Hosts registered here lose their interface, key dir and socket (by name) at the end."""
    hosts: list[SshHost] = []
    yield hosts
    for host in hosts:
        name = f"wg{host.name}"
        subprocess.run(["ip", "-n", host.ns, "link", "del", name], capture_output=True)
        shutil.rmtree(KEY_ROOT / name, ignore_errors=True)
        (SOCKETS / f"{name}.sock").unlink(missing_ok=True)


def test_mesh_lifecycle_over_ssh(ssh_hosts: Callable[[int], list[SshHost]], ssh_lab: SshHostLab,
                                 wireguard_available: bool, wg_cleanup: list[SshHost],
                                 tmp_path: Path) -> None:
    hosts = ssh_hosts(4)
    wg_cleanup.extend(hosts)
    h1, h2, h3, h4 = hosts
    subnet = f"198.19.{ssh_lab.network.octet}.0/24"
    outputs: list[str] = []

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = _cli(tmp_path, *args)
        outputs.append(done.stdout + done.stderr)
        return done

    # 1. a mesh of three, converged in one apply, then a no-op plan
    _config(tmp_path, ssh_lab, [h1, h2, h3], subnet)
    created = cli("apply", "--auto-approve")
    assert "wireguard.mesh@" in created.stdout
    assert cli("plan", "--detailed-exitcode").returncode == 0, outputs[-1]
    ips = {h.name: _overlay(h) for h in (h1, h2, h3)}
    for src in (h1, h2, h3):
        for dst in (h1, h2, h3):
            if src is not dst:
                _eventually(functools.partial(_ping, src, ips[dst.name]),
                            f"{src.name} -> {dst.name} through the tunnel")

    # 2. a long TCP connection h1 -> h2 over the overlay stays up while h4 joins and leaves
    server = subprocess.Popen(h2.ssh_argv("python3", "-c",
                                          repr_shell(ECHO_SERVER.format(ip=ips[h2.name]))))
    time.sleep(1.0)
    client = subprocess.Popen(h1.ssh_argv("python3", "-c", repr_shell(
        ECHO_CLIENT.format(ip=ips[h2.name]))), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        _config(tmp_path, ssh_lab, [h1, h2, h3, h4], subnet)
        added = cli("apply", "--auto-approve")
        assert f"wireguard.mesh@{h4.name}" in added.stdout
        # the other nodes get their new peer live: planned as updates in place, not replaces
        assert "1 to add, 3 to change, 0 to replace, 0 to destroy" in added.stdout, added.stdout
        assert f"# wireguard.mesh@{h1.name} will be updated in-place (spec changed" \
            in added.stdout
        ips[h4.name] = _overlay(h4)
        for other in (h1, h2, h3):
            _eventually(functools.partial(_ping, h4, ips[other.name]), f"h4 -> {other.name}")
        assert cli("plan", "--detailed-exitcode").returncode == 0, outputs[-1]
        _config(tmp_path, ssh_lab, [h1, h2, h3], subnet, keep=[h4])
        removed = cli("apply", "--auto-approve")
        assert "0 to add, 3 to change, 0 to replace, 1 to destroy" in removed.stdout
        assert subprocess.run(["ip", "-n", h4.ns, "link", "show", f"wg{h4.name}"],
                              capture_output=True).returncode != 0
        for other in (h1, h2, h3):
            dump = other.run(f"wg show wg{other.name} allowed-ips").stdout
            assert f"{ips[h4.name]}/32" not in dump
        out, err = client.communicate("stop\n", timeout=60)
        assert client.returncode == 0, err
        assert out.startswith("echoed")
    finally:
        for proc in (client, server):
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    # 3. drift: a peer deleted by hand is shown with its reason and repaired
    h3_key = h3.run(f"wg show wg{h3.name} public-key").stdout.strip()
    h1.run(f"wg set wg{h1.name} peer {h3_key} remove")
    drifted = cli("plan", "--detailed-exitcode")
    assert drifted.returncode == 2
    assert f"peer {h3.name} missing" in drifted.stdout
    cli("apply", "--auto-approve")
    _eventually(lambda: _ping(h1, ips[h3.name]), "h1 -> h3 after the repair")
    assert cli("plan", "--detailed-exitcode").returncode == 0, outputs[-1]

    # 4. key rotation is an explicit replace; the mesh keeps working with the new key
    rotated = cli("apply", "--auto-approve", "--replace", f"wireguard.mesh@{h2.name}")
    assert f"# wireguard.mesh@{h2.name} will be replaced (replacement requested)" \
        in rotated.stdout
    assert h2.run(f"wg show wg{h2.name} public-key").stdout.strip() != ""
    _eventually(lambda: _ping(h1, ips[h2.name]) and _ping(h3, ips[h2.name]),
                "h1, h3 -> h2 after key rotation")
    assert cli("plan", "--detailed-exitcode").returncode == 0, outputs[-1]
    status = cli("net", "status")
    assert h1.name in status.stdout and "(userspace)" in status.stdout
    assert "drift" not in status.stdout

    # 5. private keys never leave the nodes
    private = [h.run(f"cat {KEY_ROOT}/wg{h.name}/private.key").stdout.strip()
               for h in (h1, h2, h3)]
    mode = h1.run(f"stat -c %a {KEY_ROOT}/wg{h1.name}/private.key").stdout.strip()
    assert mode == "600"
    blobs = [p.read_bytes() for p in (tmp_path / ".reconciler").rglob("*") if p.is_file()]
    for key in private:
        assert len(key) == 44
        assert all(key not in text for text in outputs)
        assert all(key.encode() not in blob for blob in blobs)
    db = next((tmp_path / ".reconciler").rglob("*.db"), None)
    if db is not None:
        dump = "\n".join(sqlite3.connect(db).iterdump())
        assert all(key not in dump for key in private)

    # 6. destroy removes every interface
    cli("destroy", "--auto-approve")
    for host in (h1, h2, h3):
        assert subprocess.run(["ip", "-n", host.ns, "link", "show", f"wg{host.name}"],
                              capture_output=True).returncode != 0


def repr_shell(code: str) -> str:
    """Python source as one shell word for ssh's remote command line."""
    return "'" + code.replace("'", "'\"'\"'") + "'"
