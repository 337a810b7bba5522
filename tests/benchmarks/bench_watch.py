"""Benchmarks of `reconciler watch` (issue 7), run by `just bench`; reported, never asserted.

1. save -> applied: an env edit of one service in services.yaml until the watcher reports the
   replace applied (median of N saves; the settle window is included, --debounce 0.03
   default). Also split by the watcher's own event times: save -> the node's start (the
   watcher's reaction) and save -> applied without the node's own stop + start.
2. kill -> restarted: SIGKILL of a managed process until the watcher reports it healed
   (median of N kills; exits come through pidfds, the --poll 0.5 s is the fallback), split
   the same way (kill -> the restart begins; kill -> applied without the start itself).
3. idle cost: CPU seconds and RSS of a watcher on a 50-service project after everything is
   up, sampled from /proc/<pid>/stat and /proc/<pid>/status over --idle seconds (default 60).

Usage: python tests/benchmarks/bench_watch.py [--repeats 5] [--idle 60] [--services 50]
                                              [--out bench-results/watch.json]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from reconciler.state import StateStore  # noqa: E402
from reconciler.transports import procfs as proc_scan  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def write_project(directory: Path, name: str, count: int, gen: int) -> None:
    lines = [f"name: {name}", "services:"]
    for i in range(count):
        lines += [f"  svc{i}:", "    type: process", '    command: "exec sleep 100000"',
                  "    shutdown_timeout: 2", "    env:", f'      GEN: "{gen if i == 0 else 0}"']
    (directory / "services.yaml").write_text("\n".join(lines) + "\n")


class Watch:
    def __init__(self, project: Path):
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "-C", str(project), "watch", "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                continue

    def until(self, kind: str, timeout: float = 120.0,
              seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if seen is not None:
                seen.append(event)
            if event["kind"] == kind:
                return event

    def drain(self) -> None:
        while not self.events.empty():
            self.events.get_nowait()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pid_of(project: Path, address: str) -> int:
    store = StateStore.open_project(project)
    try:
        return int(next(r.facts["pid"] for a, r in store.resources().items()
                        if str(a) == address))
    finally:
        store.close()


def cleanup(scope: str) -> None:
    for info in proc_scan.scan(scope):
        if proc_scan.is_same_process(info.pid, info.stat.starttime):
            os.kill(info.pid, signal.SIGKILL)


def split(started: float, address: str, seen: list[dict[str, Any]]) -> tuple[float, float]:
    """(event -> the node's start, event -> applied without the node's own apply), from the
    watcher's event times (wall clock of the same machine)."""
    begin = next(e["time"] for e in seen if e["kind"] == "node.start" and e["address"] == address)
    end = next(e["time"] for e in seen if e["kind"] in ("node.done", "node.failed")
               and e["address"] == address)
    applied = next(e["time"] for e in seen if e["kind"] == "watch.applied")
    return begin - started, applied - started - (end - begin)


def med(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def bench(repeats: int, idle: float, services: int) -> dict[str, Any]:
    name = f"benchwatch{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        write_project(project, name, services, 0)
        watch = Watch(project)
        try:
            watch.until("watch.applied", timeout=300)
            saves, kills = [], []
            save_react, save_net, kill_react, kill_net = [], [], [], []
            for gen in range(1, repeats + 1):
                watch.until("watch.done", timeout=30)
                watch.drain()
                seen: list[dict[str, Any]] = []
                wall, started = time.time(), time.perf_counter()
                write_project(project, name, services, gen)
                watch.until("watch.applied", seen=seen)
                saves.append(time.perf_counter() - started)
                react, net = split(wall, "process.svc0", seen)
                save_react.append(react)
                save_net.append(net)
            for victim in range(1, repeats + 1):  # a different service each time: no backoff
                watch.until("watch.done", timeout=30)
                watch.drain()
                address = f"process.svc{victim % services}"
                pid = pid_of(project, address)
                seen = []
                time.sleep(random.uniform(0, 0.5))  # no phase lock with a periodic pid poll
                wall, started = time.time(), time.perf_counter()
                os.kill(pid, signal.SIGKILL)
                watch.until("watch.applied", seen=seen)
                kills.append(time.perf_counter() - started)
                react, net = split(wall, address, seen)
                kill_react.append(react)
                kill_net.append(net)
            time.sleep(2)
            cpu0, rss0 = cpu_seconds(watch.proc.pid), rss_mib(watch.proc.pid)
            time.sleep(idle)
            cpu1, rss1 = cpu_seconds(watch.proc.pid), rss_mib(watch.proc.pid)
        finally:
            watch.stop()
            cleanup(name)
    return {"services": services, "repeats": repeats, "idle_seconds": idle,
            "save_to_applied_median_s": med(saves),
            "save_to_applied_all_s": [round(s, 3) for s in saves],
            "save_to_node_start_median_s": med(save_react),
            "save_to_applied_without_node_median_s": med(save_net),
            "kill_to_restarted_median_s": med(kills),
            "kill_to_restarted_all_s": [round(k, 3) for k in kills],
            "kill_to_node_start_median_s": med(kill_react),
            "kill_to_applied_without_node_median_s": med(kill_net),
            "idle_cpu_percent": round(100 * (cpu1 - cpu0) / idle, 2),
            "idle_rss_mib_start": round(rss0, 1), "idle_rss_mib_end": round(rss1, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--idle", type=float, default=60.0, help="idle sampling seconds")
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "watch.json")
    args = parser.parse_args()
    result = bench(args.repeats, args.idle, args.services)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
