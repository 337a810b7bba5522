"""WireGuard benchmark (issue 6), run by `just bench`: converge a mesh, then plan it again.

On 3 and 5 namespace hosts (tests/integration/infra: own network, PID and mount namespaces and
sshd per host; wireguard-go, as this machine has no WireGuard kernel module) it measures:

* ``converge_s``: ``reconciler apply --auto-approve`` of a fresh full mesh (keys made on the
  nodes, interfaces created, every pair configured), then checks that ``plan
  --detailed-exitcode`` exits 0 (converged in one apply) and that every node pings every other
  through the tunnel;
* ``noop_plan_s``: ``reconciler plan --detailed-exitcode`` on the converged mesh (one observe
  round trip per host), the median of ``--repeats`` runs;
* ``destroy_s``: ``reconciler destroy --auto-approve``.

Wall times are reported, never asserted. Interfaces, key directories and sockets are removed by
name; the hosts (and their wireguard-go processes) by pid.

Usage: python tests/benchmarks/bench_wireguard.py [--sizes 3,5] [--repeats 3]
       [--out bench-results/wireguard.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from infra.netns_hosts import SshHost, SshHostLab  # noqa: E402
from infra.netns_net import Network  # noqa: E402

RECONCILER = [sys.executable, "-m", "reconciler"]
KEY_ROOT = Path("/var/lib/reconciler/wireguard")


def timed(argv: list[str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    took = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n"
                         f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return took


def write_project(work: Path, lab: SshHostLab, hosts: list[SshHost], octet: int) -> None:
    nodes = [{"host": h.address, "name": h.name, "ssh_user": "root",
              "ssh_key": str(h.key_path)} for h in hosts]
    data = {"name": f"wgbench{len(hosts)}",
            "settings": {"known_hosts": str(lab.known_hosts_path)},
            "networks": {"mesh": {"type": "wireguard", "subnet": f"198.19.{octet}.0/24",
                                  "interface": "wg{node}", "persistent_keepalive": 10,
                                  "nodes": nodes}}}
    (work / "services.yaml").write_text(json.dumps(data, indent=2))


def pings(hosts: list[SshHost]) -> bool:
    ips = {}
    for host in hosts:
        out = host.run(f"ip -o -4 addr show dev wg{host.name}").stdout
        ips[host.name] = out.split("inet ")[1].split("/")[0]
    return all(src.run(f"busybox ping -c 1 -W 3 {ips[dst.name]}", check=False).returncode == 0
               for src in hosts for dst in hosts if src is not dst)


def bench_size(lab: SshHostLab, size: int, repeats: int, octet: int) -> dict[str, object]:
    hosts = lab.make_hosts(size)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-wg-") as tmp:
            work = Path(tmp)
            write_project(work, lab, hosts, octet)
            cli = [*RECONCILER, "-C", str(work), "--no-color"]
            converge = timed([*cli, "apply", "--auto-approve"])
            converged = subprocess.run([*cli, "plan", "--detailed-exitcode"],
                                       capture_output=True).returncode == 0
            connected = pings(hosts)
            noop = [timed([*cli, "plan", "--detailed-exitcode"]) for _ in range(repeats)]
            destroy = timed([*cli, "destroy", "--auto-approve"])
    finally:
        for host in hosts:
            subprocess.run(["ip", "-n", host.ns, "link", "del", f"wg{host.name}"],
                           capture_output=True)
            shutil.rmtree(KEY_ROOT / f"wg{host.name}", ignore_errors=True)
            Path(f"/var/run/wireguard/wg{host.name}.sock").unlink(missing_ok=True)
            lab.remove(host)
    return {"nodes": size, "converge_s": round(converge, 3),
            "converged_in_one_apply": converged, "all_pairs_ping": connected,
            "noop_plan_median_s": round(statistics.median(noop), 3),
            "noop_plan_min_s": round(min(noop), 3), "destroy_s": round(destroy, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3,5")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "wireguard.json")
    args = parser.parse_args()
    network = Network()
    try:
        lab = SshHostLab(network)
        try:
            rows = []
            for n in args.sizes.split(","):
                rows.append(bench_size(lab, int(n), args.repeats, network.octet))
                print(f"{n} nodes: {rows[-1]}", file=sys.stderr)
        finally:
            lab.close()
    finally:
        network.close()
    report = {"benchmark": "wireguard", "implementation": "wireguard-go over SSH",
              "repeats": args.repeats, "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
