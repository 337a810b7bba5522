"""A real three-node Docker Swarm for tests: three dockerd instances, one per namespace host.

Each node is a network namespace on the run's own bridge (`Network`, 198.18.X.0/24) running a
dockerd of its own (`nsenter --net=...`: `ip netns exec` would remount /sys and hide the
cgroups), with its own data-root, exec-root, pidfile, socket, config file (own `bip` and
address pools inside 198.18.0.0/15) and containerd namespaces. Node 1 runs `swarm init` (its
overlay address pool also in 198.18.0.0/15), nodes 2 and 3 join as workers, and the test image
is loaded into every engine with `docker save | docker load`.

Teardown goes by id and pid: services of the swarm are removed, every node leaves (`swarm
leave -f`), each dockerd is stopped through its pid file (SIGKILL after a grace period), then
what it left in its namespace (containerd, shims) and every process below those (the task
containers, e.g. `docker-init -- sleep 600`) by pid and start time; what is still mounted
under a node's directory is unmounted deepest first (`umount -l`), and the `Network` deletes
the namespaces, veths, bridge and iptables rules it recorded.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .netns_net import Network
from .procs import (
    InfraError,
    descendants,
    kill_pid,
    run,
    run_quiet,
    running,
    start_time,
    wait_until,
)

NODES = 3
# Inside each node's namespace: the docker0 bridge and local networks (docker_gwbridge).
NODE_BIP = "198.18.200.1/24"
NODE_POOL = "198.18.208.0/20"
# Swarm-scoped (overlay, ingress) networks; the host's own engine uses 198.18.120-191.
SWARM_POOL = "198.18.224.0/20"


@dataclass(frozen=True)
class SwarmNode:
    """One engine of the swarm."""

    name: str
    address: str
    ns: str
    dir: Path
    socket: Path

    @property
    def docker_host(self) -> str:
        """The DOCKER_HOST URL of this node's engine (reachable from the root namespace)."""
        return f"unix://{self.socket}"

    def docker(self, *args: str, timeout: float = 60.0) -> str:
        """Run the docker CLI against this node; raises InfraError on failure."""
        return run(["docker", "-H", self.docker_host, *args], timeout=timeout)


class SwarmLab:
    """Starts a 1-manager + 2-worker swarm on its own `Network`; `close()` removes it all."""

    def __init__(self, image: str) -> None:
        self.network = Network()
        self.nodes: list[SwarmNode] = []
        self._procs: list[tuple[subprocess.Popen[bytes], int | None]] = []
        try:
            self._allow_bridge()
            for index in range(1, NODES + 1):
                self.nodes.append(self._start(index))
            for node in self.nodes:
                wait_until(lambda node=node: self._answers(node), 60, f"dockerd of {node.name}")
            self._form()
            self._load(image)
        except BaseException:
            self.close()
            raise

    @property
    def manager(self) -> SwarmNode:
        return self.nodes[0]

    def _allow_bridge(self) -> None:
        # br_netfilter sends bridged frames through the host's FORWARD chain (policy DROP under
        # Docker); DOCKER-USER is evaluated first, so accept node-to-node traffic there too.
        if run_quiet(["iptables", "-n", "-L", "DOCKER-USER"]):
            bridge = self.network.bridge
            rule = ["DOCKER-USER", "-i", bridge, "-o", bridge, "-j", "ACCEPT"]
            self.network.manifest.add("iptables", rule)
            run(["iptables", "-I", *rule])

    def _start(self, index: int) -> SwarmNode:
        name = f"{self.network.run_id}s{index}"
        ndir = self.network.dir / f"s{index}"
        ndir.mkdir(mode=0o700)
        address = self.network.add_namespace(name, index)
        # No way out but the bridge: the image pull a swarm task tries first fails at once
        # ("network is unreachable") instead of waiting for a registry that never answers.
        run(["ip", "-n", name, "route", "del", "default"])
        config = ndir / "daemon.json"
        config.write_text(json.dumps({
            "bip": NODE_BIP,
            "default-address-pools": [{"base": NODE_POOL, "size": 24}],
        }))  # fmt: skip
        node = SwarmNode(name, address, name, ndir, ndir / "docker.sock")
        argv = [
            "nsenter", f"--net=/var/run/netns/{name}", "dockerd",
            "--config-file", str(config), "--data-root", str(ndir / "data"),
            "--exec-root", str(ndir / "exec"), "--pidfile", str(ndir / "docker.pid"),
            "-H", node.docker_host, "--containerd-namespace", name,
            "--containerd-plugins-namespace", f"{name}p",
        ]  # fmt: skip
        with (ndir / "dockerd.log").open("wb") as log:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        started = start_time(proc.pid)
        self.network.manifest.add("pids", [proc.pid, started])
        self._procs.append((proc, started))
        return node

    def _answers(self, node: SwarmNode) -> bool:
        proc = self._procs[self.nodes.index(node)][0]
        if proc.poll() is not None:
            log = (node.dir / "dockerd.log").read_text(errors="replace")[-2000:]
            raise InfraError(f"dockerd of {node.name} exited: {log}")
        return node.socket.exists() and run_quiet(
            ["docker", "-H", node.docker_host, "info", "--format", "{{.ID}}"], timeout=10
        )

    def _form(self) -> None:
        manager = self.manager
        manager.docker(
            "swarm", "init", "--advertise-addr", manager.address,
            "--listen-addr", f"{manager.address}:2377",
            "--default-addr-pool", SWARM_POOL, "--default-addr-pool-mask-length", "24",
        )  # fmt: skip
        token = manager.docker("swarm", "join-token", "-q", "worker").strip()
        for worker in self.nodes[1:]:
            worker.docker(
                "swarm", "join", "--token", token, "--advertise-addr", worker.address,
                "--listen-addr", f"{worker.address}:2377", f"{manager.address}:2377",
            )  # fmt: skip

        def all_ready() -> bool:
            out = manager.docker("node", "ls", "--format", "{{.Status}} {{.Availability}}")
            return out.split("\n").count("Ready Active") == NODES

        wait_until(all_ready, 60, "three Ready swarm nodes", interval=0.5)

    def _load(self, image: str) -> None:
        archive = self.network.dir / "image.tar"
        run(["docker", "save", "-o", str(archive), image], timeout=120)
        for node in self.nodes:
            node.docker("load", "-i", str(archive), timeout=120)
        archive.unlink()

    def kill(self, node: SwarmNode) -> None:
        """Crash a node: SIGKILL its dockerd by pid (what it started stays until close())."""
        proc, started = self._procs[self.nodes.index(node)]
        kill_pid(proc.pid, started)
        proc.wait(30)

    def node_id(self, node: SwarmNode) -> str:
        """The swarm's id of a node."""
        return node.docker("info", "--format", "{{.Swarm.NodeID}}").strip()

    def close(self) -> list[str]:
        """Tear the swarm down by pid and name; returns the problems met (never raises)."""
        problems: list[str] = []
        if self.nodes and self._alive(0):
            services = self._quiet(self.manager, "service", "ls", "-q").split()
            if services:
                self._quiet(self.manager, "service", "rm", *services)
        for index in reversed(range(len(self.nodes))):
            if self._alive(index):
                self._quiet(self.nodes[index], "swarm", "leave", "-f")
        for index, node in enumerate(self.nodes):
            problems += self._stop(index, node)
        for node in self.nodes:
            problems += _unmount_under(node.dir)
        problems += self.network.close()
        return problems

    def _alive(self, index: int) -> bool:
        return index < len(self._procs) and self._procs[index][0].poll() is None

    @staticmethod
    def _quiet(node: SwarmNode, *args: str) -> str:
        done = subprocess.run(["docker", "-H", node.docker_host, *args], capture_output=True,
                              text=True, timeout=60, check=False)
        return done.stdout

    def _stop(self, index: int, node: SwarmNode) -> list[str]:
        proc, started = self._procs[index]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                kill_pid(proc.pid, started)
                proc.wait(10)
        self.network.manifest.discard("pids", [proc.pid, started])
        # What dockerd left running in its namespace (containerd, shims) and below them the
        # task containers (in namespaces of their own, so not listed by `ip netns pids`; a
        # killed shim would leave them running): all by pid and start time.
        found = [int(pid) for pid in subprocess.run(
            ["ip", "netns", "pids", node.ns], capture_output=True, text=True, timeout=10,
            check=False).stdout.split()]
        leftover = [(pid, start_time(pid)) for pid in [*found, *descendants(found)]]
        for pid, began in leftover:
            if began is not None:
                kill_pid(pid, began)
        deadline = time.monotonic() + 10
        while any(running(pid, began) for pid, began in leftover):
            if time.monotonic() > deadline:
                return [f"processes {[p for p, _ in leftover]} of {node.name} did not end"]
            time.sleep(0.1)
        return []


def _unmount_under(directory: Path) -> list[str]:
    """Lazily unmount every mount point under `directory`, deepest first."""
    prefix = str(directory) + "/"
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as info:
        for line in info:
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix):
                points.append(point)
    problems = []
    for point in sorted(set(points), key=lambda p: p.count("/"), reverse=True):
        if not run_quiet(["umount", "-l", point]):
            problems.append(f"could not unmount {point}")
    shutil.rmtree(directory, ignore_errors=True)
    return problems
