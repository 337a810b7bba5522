"""The swarm fixture itself: three Ready nodes with the test image, and a teardown that
leaves no daemon, mount, namespace or run directory behind."""

from __future__ import annotations

from pathlib import Path

from infra.components import require
from infra.docker_env import BUSYBOX_IMAGE
from infra.procs import start_time
from infra.swarm import SwarmLab


def test_three_node_swarm_comes_up_and_goes_away_completely(busybox_image: str) -> None:
    require("swarm")
    lab = SwarmLab(busybox_image)
    try:
        roles = lab.manager.docker("node", "ls", "--format", "{{.ManagerStatus}} {{.Status}}")
        assert sorted(roles.split("\n")[:3]) == [" Ready", " Ready", "Leader Ready"]
        for node in lab.nodes:
            assert node.docker("image", "ls", "-q", BUSYBOX_IMAGE).strip()
        pids = [proc.pid for proc, _ in lab._procs]
        namespaces = [node.ns for node in lab.nodes]
        run_dir = lab.network.dir
    finally:
        problems = lab.close()
    assert problems == []
    assert all(start_time(pid) is None for pid in pids)
    assert not any(Path("/run/netns", ns).exists() for ns in namespaces)
    assert not run_dir.exists()
    with open("/proc/self/mountinfo", encoding="utf-8") as info:
        assert str(run_dir) not in info.read()
