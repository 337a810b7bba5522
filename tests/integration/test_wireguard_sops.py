"""WireGuard keys from a SOPS-encrypted file, applied to real namespace hosts over SSH.

Node ``a`` of a two-node mesh takes ``private_key: {sops: keys.enc.yaml#wg.a}`` and has an
external peer whose ``preshared_key`` is ``{sops: keys.enc.yaml#wg.psk}``; node ``b`` uses
reconciler's own key. The real ``sops`` encrypts to an age key made by the test. After
``apply`` the interface of ``a`` has exactly the clear private key and preshared key, the
plan shows no changes, and no clear key is in any output or under ``.reconciler/`` (nor a key
file on the node). Rotating the key in the encrypted file (``sops set``) plans as an update of
``a`` only; applying it gives ``a`` the new key and ``b`` its new public key.
``secrets show-refs`` lists both references. Interfaces, key
directories and sockets are removed by name at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from infra.agekeys import keygen, sops
from infra.components import require
from infra.netns_hosts import SshHost, SshHostLab

KEY_ROOT = Path("/var/lib/reconciler/wireguard")
SOCKETS = Path("/var/run/wireguard")


def _wg(*args: str, stdin: str | None = None) -> str:
    return subprocess.run(["wg", *args], input=stdin, capture_output=True, text=True,
                          check=True, timeout=10).stdout.strip()


@pytest.fixture
def wg_hosts(ssh_hosts: Callable[[int], list[SshHost]],
             wireguard_available: bool) -> Iterator[list[SshHost]]:
    hosts = ssh_hosts(2)
    yield hosts
    for host in hosts:
        name = f"wg{host.name}"
        subprocess.run(["ip", "-n", host.ns, "link", "del", name], capture_output=True,
                       check=False)
        shutil.rmtree(KEY_ROOT / name, ignore_errors=True)
        (SOCKETS / f"{name}.sock").unlink(missing_ok=True)


def test_keys_from_sops_are_applied_and_never_in_clear(
        wg_hosts: list[SshHost], ssh_lab: SshHostLab, tmp_path: Path) -> None:
    require("sops")
    a, b = wg_hosts
    octet = ssh_lab.network.octet
    key = tmp_path / "age.txt"
    recipient = keygen(key)
    project = tmp_path / "project"
    project.mkdir()
    private, rotated, psk = _wg("genkey"), _wg("genkey"), _wg("genpsk")
    external = _wg("pubkey", stdin=_wg("genkey"))
    (project / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: \\.enc\\.[^/]+$\n    age: {recipient}\n")
    (project / "keys.enc.yaml").write_text(f"wg:\n  a: {private}\n  psk: {psk}\n")
    sops(key, "--encrypt", "--in-place", "keys.enc.yaml", cwd=project)
    nodes: list[dict[str, object]] = [
        {"host": h.address, "name": h.name, "ssh_user": "root", "ssh_key": str(h.key_path)}
        for h in (a, b)]
    nodes[0]["private_key"] = {"sops": "keys.enc.yaml#wg.a"}
    nodes[0]["external_peers"] = [{"public_key": external,
                                   "allowed_ips": [f"198.19.{octet}.200/32"],
                                   "preshared_key": {"sops": "keys.enc.yaml#wg.psk"}}]
    (project / "services.yaml").write_text(json.dumps({
        "name": "wgsops", "settings": {"known_hosts": str(ssh_lab.known_hosts_path)},
        "networks": {"mesh": {"type": "wireguard", "subnet": f"198.19.{octet}.0/24",
                              "interface": "wg{node}", "listen_port": 51820,
                              "nodes": nodes}}}, indent=2))
    outputs: list[str] = []

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "reconciler", "-C", str(project),
                               "--no-color", *args], capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL,
                              env={**os.environ, "SOPS_AGE_KEY_FILE": str(key)})
        outputs.append(done.stdout + done.stderr)
        assert done.returncode in (0, 2), f"reconciler {args}:\n{outputs[-1]}"
        return done

    iface_a, iface_b = f"wg{a.name}", f"wg{b.name}"
    refs = cli("secrets", "show-refs").stdout
    assert f"wireguard.mesh@{a.name}: private_key <- keys.enc.yaml#wg.a" in refs, refs
    assert "external_peers.0.preshared_key <- keys.enc.yaml#wg.psk" in refs, refs
    cli("apply", "--auto-approve")
    assert a.run(f"wg show {iface_a} private-key").stdout.strip() == private
    shown = a.run(f"wg show {iface_a} preshared-keys").stdout.splitlines()
    assert dict(line.split("\t") for line in shown)[external] == psk
    assert _wg("pubkey", stdin=private) in b.run(f"wg show {iface_b} peers").stdout
    assert not (KEY_ROOT / iface_a / "private.key").exists()
    assert cli("plan", "--detailed-exitcode").returncode == 0, outputs[-1]

    sops(key, "set", "keys.enc.yaml", '["wg"]["a"]', f'"{rotated}"', cwd=project)
    changed = cli("plan", "--detailed-exitcode")
    assert changed.returncode == 2, changed.stdout
    assert f"wireguard.mesh@{a.name}" in changed.stdout, changed.stdout
    assert f"wireguard.mesh@{b.name}" not in changed.stdout, changed.stdout
    assert "~ private_key: (sensitive value) -> (sensitive value)" in changed.stdout
    assert "0 to add, 1 to change, 0 to replace, 0 to destroy" in changed.stdout, changed.stdout
    cli("apply", "--auto-approve")
    assert a.run(f"wg show {iface_a} private-key").stdout.strip() == rotated
    assert b.run(f"wg show {iface_b} peers").stdout.split() == [_wg("pubkey", stdin=rotated)]
    assert cli("plan", "--detailed-exitcode").returncode == 0, outputs[-1]
    cli("status")

    blobs = [p.read_bytes() for p in (project / ".reconciler").rglob("*") if p.is_file()]
    assert blobs
    for secret in (private, rotated, psk):
        assert all(secret not in text for text in outputs)
        assert all(secret.encode() not in blob for blob in blobs)
    cli("destroy", "--auto-approve")
