"""The network side of the namespace test hosts: run directory, subnet claims, bridge, reaping.

Every test run gets a random id (`rcn<4 hex>`), a private directory under /run/reconciler-test
(root-owned, so sshd's StrictModes accepts the keys kept there) and one 198.18.X.0/24 subnet on a
bridge in the root namespace. X is claimed with an O_EXCL file so parallel runs never share it.
Everything the run creates (namespaces, links, pids, iptables rules, claims) is written to a
manifest as it is created; `reap_stale()` removes, by name and pid, what runs that were killed
before their teardown left behind. Nothing is ever removed by pattern.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .procs import InfraError, kill_pid, run, run_quiet, start_time, wait_until

BASE = Path(os.environ.get("RECONCILER_TEST_RUN_DIR", "/run/reconciler-test"))
SUBNET_PREFIX = "198.18"


class Manifest:
    """A JSON record of what one run created, kept next to its files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        me = os.getpid()
        self.data: dict[str, Any] = {
            "owner": [me, start_time(me)],
            "namespaces": [],
            "links": [],
            "pids": [],
            "iptables": [],
            "claims": [],
        }
        self._save()

    def add(self, key: str, value: Any) -> None:
        self.data[key].append(value)
        self._save()

    def discard(self, key: str, value: Any) -> None:
        with contextlib.suppress(ValueError):
            self.data[key].remove(value)
        self._save()

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data))
        tmp.replace(self.path)


def _subnets_in_use() -> set[int]:
    used: set[int] = set()
    for word in run(["ip", "-o", "-4", "addr", "show"]).split():
        if word.startswith(f"{SUBNET_PREFIX}."):
            used.add(int(word.split(".")[2]))
    return used


def claim_subnet(manifest: Manifest) -> int:
    """Claim a free 198.18.X.0/24 for this run; returns X. Released by `release_claims`."""
    claims = BASE / "subnets"
    claims.mkdir(mode=0o755, parents=True, exist_ok=True)
    used = _subnets_in_use()
    candidates = [x for x in range(1, 120) if x not in used]  # 120+: Docker (setup script)
    random.shuffle(candidates)
    for x in candidates:
        claim = claims / str(x)
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        os.write(fd, str(manifest.path.parent).encode())
        os.close(fd)
        manifest.add("claims", str(claim))
        return x
    raise InfraError("no free 198.18.X.0/24 subnet left to claim")


def release(data: dict[str, Any]) -> list[str]:
    """Remove everything a manifest lists; returns the problems met (never raises)."""
    problems: list[str] = []
    for pid, started in data["pids"]:
        kill_pid(pid, started)
    # Links first: deleting a veth's root side removes its peer at once, whereas a namespace's
    # interfaces vanish asynchronously after `ip netns del`.
    for link in data["links"]:
        deleted = not _link_exists(link) or run_quiet(["ip", "link", "del", link])
        if not deleted and not _gone(functools.partial(_link_absent, link)):
            problems.append(f"link {link} could not be deleted")
    for ns in data["namespaces"]:
        if not run_quiet(["ip", "netns", "del", ns]) and _netns_exists(ns):
            problems.append(f"netns {ns} could not be deleted")
    for rule in data["iptables"]:
        run_quiet(["iptables", "-D", *rule])
    for claim in data["claims"]:
        Path(claim).unlink(missing_ok=True)
    return problems


def _gone(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    try:
        wait_until(check, timeout, "removal")
    except InfraError:
        return False
    return True


def _link_absent(name: str) -> bool:
    return not _link_exists(name)


def _netns_exists(ns: str) -> bool:
    return Path("/run/netns", ns).exists()


def _link_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


def reap_stale() -> list[str]:
    """Clean up after runs whose owning process is gone; returns the run dirs removed."""
    reaped: list[str] = []
    if not BASE.is_dir():
        return reaped
    for manifest_path in BASE.glob("rcn*/manifest.json"):
        try:
            data = json.loads(manifest_path.read_text())
            pid, started = data["owner"]
        except (OSError, ValueError, KeyError):
            continue
        if start_time(pid) == started:
            continue  # that run is still going
        release(data)
        shutil.rmtree(manifest_path.parent, ignore_errors=True)
        reaped.append(str(manifest_path.parent))
    for claim in (BASE / "subnets").glob("*"):
        with contextlib.suppress(OSError):
            if not Path(claim.read_text().strip()).is_dir():
                claim.unlink()  # its run directory is gone: nobody holds this subnet
    return reaped


class Network:
    """One run's bridge (198.18.X.1/24) in the root namespace, its directory and manifest."""

    def __init__(self) -> None:
        BASE.mkdir(mode=0o755, parents=True, exist_ok=True)
        reap_stale()
        while True:
            self.run_id = f"rcn{secrets.token_hex(2)}"
            self.dir = BASE / self.run_id
            try:
                self.dir.mkdir(mode=0o700)
                break
            except FileExistsError:
                continue
        self.manifest = Manifest(self.dir / "manifest.json")
        self.octet = claim_subnet(self.manifest)
        self.bridge = f"{self.run_id}br"
        self.gateway = f"{SUBNET_PREFIX}.{self.octet}.1"
        self.manifest.add("links", self.bridge)
        run(["ip", "link", "add", self.bridge, "type", "bridge"])
        run(["ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge])
        run(["ip", "link", "set", self.bridge, "up"])
        if shutil.which("iptables"):
            # Docker sets the FORWARD policy to DROP, and br_netfilter sends bridged frames
            # through it: let host-to-host traffic on our bridge pass.
            rule = ["FORWARD", "-i", self.bridge, "-o", self.bridge, "-j", "ACCEPT"]
            self.manifest.add("iptables", rule)
            run(["iptables", "-I", *rule])

    def address(self, index: int) -> str:
        """The address of host number `index` (1-based): 198.18.X.(10+index)."""
        if not 1 <= index <= 240:
            raise InfraError(f"host index {index} out of range 1..240")
        return f"{SUBNET_PREFIX}.{self.octet}.{10 + index}"

    def add_namespace(self, ns: str, index: int) -> str:
        """Create namespace `ns` with eth0 on the bridge at `address(index)`; returns it."""
        address, veth = self.address(index), f"{self.run_id}v{index}"
        self.manifest.add("namespaces", ns)
        self.manifest.add("links", veth)
        run(["ip", "netns", "add", ns])
        root_batch = [
            f"link add {veth} type veth peer name eth0 netns {ns}",
            f"link set {veth} master {self.bridge}",
            f"link set {veth} up",
        ]
        ns_batch = [
            f"addr add {address}/24 dev eth0",
            "link set eth0 up",
            "link set lo up",
            f"route add default via {self.gateway}",
        ]
        run(["ip", "-batch", "-"], stdin="\n".join(root_batch) + "\n")
        run(["ip", "-n", ns, "-batch", "-"], stdin="\n".join(ns_batch) + "\n")
        return address

    def remove_namespace(self, ns: str, index: int) -> list[str]:
        """Delete namespace `ns` and its veth by name; returns problems (never raises)."""
        veth = f"{self.run_id}v{index}"
        problems = release(
            {"pids": [], "namespaces": [ns], "links": [veth], "iptables": [], "claims": []}
        )
        self.manifest.discard("namespaces", ns)
        self.manifest.discard("links", veth)
        return problems

    def close(self) -> list[str]:
        """Remove the bridge, rules, claims and run directory; returns problems."""
        problems = release(self.manifest.data)
        shutil.rmtree(self.dir, ignore_errors=True)
        return problems
