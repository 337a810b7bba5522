"""Smoke tests of the namespace plumbing: subnet claims are exclusive, and what a killed run
left behind (its manifest names it) is removed by name on the next run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from infra import netns_net
from infra.netns_hosts import SshHostLab


def test_subnet_claims_are_exclusive(ssh_lab: SshHostLab) -> None:
    claim = netns_net.BASE / "subnets" / str(ssh_lab.network.octet)
    assert claim.read_text() == str(ssh_lab.network.dir)
    assert ssh_lab.network.gateway == f"198.18.{ssh_lab.network.octet}.1"
    assert ssh_lab.network.address(1) == f"198.18.{ssh_lab.network.octet}.11"


def test_reap_stale_removes_what_a_dead_run_left(ssh_lab: SshHostLab) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid whose process is gone: the owner of the stale run
    run_dir = netns_net.BASE / "rcnstale0"
    run_dir.mkdir(mode=0o700)
    ns = "rcnstale0h1"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    manifest = {
        "owner": [dead.pid, 1],
        "namespaces": [ns],
        "links": [],
        "pids": [],
        "iptables": [],
        "claims": [],
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    try:
        assert str(run_dir) in netns_net.reap_stale()
        assert not Path("/run/netns", ns).exists()
        assert not run_dir.exists()
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        subprocess.run(["rm", "-rf", "--", str(run_dir)], check=False)
