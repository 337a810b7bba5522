"""Engine benchmarks (issues 2 and 3), run by `just bench`; timings are reported, never asserted.

1. `reconciler validate` wall time on a generated 50-service project (median of N runs).
2. No-op `plan` wall time and peak RSS on 10 / 100 / 1000 running process services.
3. Time until 10 `python3 -m http.server` services all answer: reconciler apply, honcho on the
   same Procfile, and starting the 10 commands directly (the floor).
4. `apply` (parallelism 20) then `destroy` (default parallelism) of 300 `sleep` processes: every
   stop must make sure nothing marked survives, which used to cost two /proc passes each.
5. Cold `apply` of 1000 `sleep` processes at the default parallelism (issue 14): what a user
   waits for on a fresh machine; each start used to be watched for a fixed 0.4 s.

Usage: python tests/benchmarks/bench_engine.py [--honcho PATH] [--sizes 10,100,1000]
       [--destroy-sizes 300] [--cold-sizes 1000] [--only NAME,...] [--out F]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECONCILER = [sys.executable, "-m", "reconciler"]
# Measure what users get: bytecode caches on (some shells export PYTHONDONTWRITEBYTECODE).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(args: list[str], cwd: Path | None = None, check: bool = True) -> float:
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=ENV)
    took = time.perf_counter() - start
    if check and proc.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return took


def peak_rss_of(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    took = run(args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, max(after, before) / 1024


def write_project(directory: Path, count: int, command: str, health: bool = False) -> None:
    lines = ['version: "1.0"', f"name: bench{count}", "services:"]
    for i in range(count):
        lines += [f"  svc{i}:", "    type: process", f'    command: "{command}"']
        if health:
            lines += ["    port: auto", "    health_check:", "      tcp:",
                      f"        port: ${{svc{i}.port}}", "      interval: 0.1"]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "services.yaml").write_text("\n".join(lines) + "\n")


def bench_validate(repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "p50"
        write_project(project, 50, "sleep 3600")
        run([*RECONCILER, "-C", str(project), "validate"])  # warm the bytecode caches
        times = [run([*RECONCILER, "-C", str(project), "validate"]) for _ in range(repeats)]
    return {"services": 50, "median_s": statistics.median(times), "min_s": min(times)}


def bench_noop_plan(sizes: list[int], repeats: int) -> list[dict[str, float]]:
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp) / f"p{size}"
            write_project(project, size, "exec sleep 3600")
            cli = [*RECONCILER, "-C", str(project)]
            apply_s = run([*cli, "apply", "--auto-approve", "--parallelism", "20"])
            try:
                samples = [peak_rss_of([*cli, "plan", "--detailed-exitcode"])
                           for _ in range(repeats)]
            finally:
                run([*cli, "destroy", "--auto-approve", "--parallelism", "50"], check=False)
        rows.append({"services": size, "apply_s": apply_s,
                     "noop_plan_median_s": statistics.median(s[0] for s in samples),
                     "peak_rss_mib": max(s[1] for s in samples)})
    return rows


def bench_destroy(sizes: list[int], repeats: int) -> list[dict[str, float]]:
    """Cold apply and full destroy of N processes, `repeats` times each (medians)."""
    rows = []
    for size in sizes:
        applies, destroys = [], []
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp) / f"d{size}"
            write_project(project, size, "exec sleep 3600")
            cli = [*RECONCILER, "-C", str(project)]
            for _ in range(repeats):
                applies.append(run([*cli, "apply", "--auto-approve", "--parallelism", "20"]))
                destroys.append(run([*cli, "destroy", "--auto-approve"]))
        rows.append({"services": size, "apply_median_s": statistics.median(applies),
                     "destroy_median_s": statistics.median(destroys),
                     "destroy_max_s": max(destroys)})
    return rows


def bench_cold_apply(sizes: list[int]) -> list[dict[str, float]]:
    """One cold apply of N processes with the CLI's default parallelism, then destroy."""
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp) / f"c{size}"
            write_project(project, size, "exec sleep 3600")
            cli = [*RECONCILER, "-C", str(project)]
            try:
                apply_s = run([*cli, "apply", "--auto-approve"])
            finally:
                run([*cli, "destroy", "--auto-approve"], check=False)
        rows.append({"services": size, "cold_apply_s": apply_s})
    return rows


def free_ports(count: int) -> list[int]:
    socks, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def wait_all(ports: list[int], deadline: float) -> None:
    pending = set(ports)
    while pending and time.perf_counter() < deadline:
        for port in list(pending):
            with socket.socket() as s:
                s.settimeout(0.05)
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    pending.discard(port)
        time.sleep(0.005)
    if pending:
        raise SystemExit(f"ports never answered: {sorted(pending)}")


def http_commands(ports: list[int]) -> list[str]:
    return [f"{sys.executable} -m http.server {p} --bind 127.0.0.1" for p in ports]


def bench_ten_servers(honcho: str | None) -> dict[str, float]:
    results: dict[str, float] = {}
    ports = free_ports(10)
    commands = http_commands(ports)
    # the floor: start the 10 commands directly
    start = time.perf_counter()
    procs = [subprocess.Popen(c.split(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True) for c in commands]
    wait_all(ports, start + 60)
    results["direct_s"] = time.perf_counter() - start
    for p in procs:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "Procfile").write_text(
            "".join(f"s{i}: {c}\n" for i, c in enumerate(commands)))
        if honcho:
            start = time.perf_counter()
            proc = subprocess.Popen([honcho, "start"], cwd=project, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            wait_all(ports, start + 60)
            results["honcho_s"] = time.perf_counter() - start
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
        cli = [*RECONCILER, "-C", str(project)]
        start = time.perf_counter()
        run([*cli, "apply", "--auto-approve"])
        wait_all(ports, start + 60)
        results["reconciler_s"] = time.perf_counter() - start
        run([*cli, "destroy", "--auto-approve"], check=False)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--honcho", default=shutil.which("honcho"))
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--destroy-sizes", default="300")
    parser.add_argument("--cold-sizes", default="1000")
    parser.add_argument("--only", default="", help="comma-separated subset of the report keys")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "engine.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    honcho = str(Path(args.honcho).resolve()) if args.honcho else None
    cases = {"validate": lambda: bench_validate(args.repeats * 2),
             "noop_plan": lambda: bench_noop_plan(sizes, args.repeats),
             "ten_http_servers": lambda: bench_ten_servers(honcho),
             "apply_destroy": lambda: bench_destroy(
                 [int(s) for s in args.destroy_sizes.split(",") if s], args.repeats),
             "cold_apply": lambda: bench_cold_apply(
                 [int(s) for s in args.cold_sizes.split(",") if s])}
    only = {s for s in args.only.split(",") if s}
    unknown = only - set(cases)
    if unknown:
        raise SystemExit(f"unknown --only case(s): {sorted(unknown)}; known: {sorted(cases)}")
    report = {name: case() for name, case in cases.items() if not only or name in only}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
