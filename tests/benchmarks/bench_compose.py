"""Containers: reconciler against Docker Compose on the same projects (issue 4), by `just bench`.

Timings are reported, never asserted. Needs dockerd, the local image reconciler-test/busybox:1
(scripts/setup-test-env.sh) and Compose v2 (`docker compose`; v1 lacks `up --wait`).

1. A 20-service project (busybox httpd, 4 levels of 5, each service depending on two of the
   level below and waiting for them to be healthy): reconciler runs it as a compose-free
   services.yaml of `type: docker` services (http checks on published ports), Compose as an
   equivalent compose.yaml (`healthcheck` + `condition: service_healthy`, `up -d --wait`).
   Measured: cold up, no-op re-apply, one-service change (env of one leaf), down.
2. No-op cost as the container count grows (10, 50, 200 flat services): reconciler `plan`
   against Compose's no-op `up -d`.

Usage: python tests/benchmarks/bench_compose.py [--sizes 10,50,200] [--repeats 3] [--out F]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECONCILER = [sys.executable, "-m", "reconciler"]
COMPOSE = ["docker", "compose"]
IMAGE = "reconciler-test/busybox:1"
# sh as PID 1 with a TERM trap: both tools stop it at once, without an init
HTTPD = ('trap \\"exit 0\\" TERM; mkdir -p /w && echo $GEN > /w/index.html; '
         'httpd -f -p 80 -h /w & wait')
LEVELS, WIDTH = 4, 5


def run(args: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if done.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n"
                         f"{(done.stdout + done.stderr)[-3000:]}")
    return round(took, 3)


def free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def graph() -> list[tuple[str, list[str]]]:
    """The 20 services and their dependencies: level k depends on two of level k-1."""
    out: list[tuple[str, list[str]]] = []
    for level in range(LEVELS):
        for i in range(WIDTH):
            deps = [] if level == 0 else [f"s{level - 1}{i}", f"s{level - 1}{(i + 1) % WIDTH}"]
            out.append((f"s{level}{i}", deps))
    return out


def services_yaml(name: str, services: list[tuple[str, list[str]]], ports: list[int] | None,
                  gen: dict[str, str]) -> str:
    lines = [f"name: {name}", "services:"]
    for index, (svc, deps) in enumerate(services):
        lines += [f"  {svc}:", "    type: docker", f"    image: {IMAGE}",
                  f'    command: ["sh", "-c", "{HTTPD}"]', "    shutdown_timeout: 2",
                  f'    env: {{GEN: "{gen.get(svc, "one")}"}}']
        if ports is not None:
            lines += [f'    ports: ["{ports[index]}:80"]', "    health_check:",
                      f'      http: "http://127.0.0.1:{ports[index]}/"', "      interval: 0.2"]
        if deps:
            lines.append(f"    depends_on: [{', '.join(deps)}]")
    return "\n".join(lines) + "\n"


def compose_yaml(services: list[tuple[str, list[str]]], health: bool,
                 gen: dict[str, str]) -> str:
    lines = ["services:"]
    for svc, deps in services:
        command = HTTPD.replace("$GEN", "$$GEN")  # Compose would interpolate $GEN itself
        lines += [f"  {svc}:", f"    image: {IMAGE}", f'    command: ["sh", "-c", "{command}"]',
                  "    stop_grace_period: 2s", f'    environment: {{GEN: "{gen.get(svc, "one")}"}}']
        if health:
            lines += ["    healthcheck:",
                      '      test: ["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:80/"]',
                      "      interval: 200ms", "      timeout: 2s", "      retries: 50"]
        if deps:
            lines.append("    depends_on:")
            lines += [f"      {d}: {{condition: service_healthy}}" for d in deps]
    return "\n".join(lines) + "\n"


class Pair:
    """One project dir for reconciler and one for Compose, with the same services."""

    def __init__(self, root: Path, name: str, services: list[tuple[str, list[str]]],
                 health: bool) -> None:
        self.ours, self.theirs = root / "reconciler", root / "compose"
        self.ours.mkdir(parents=True)
        self.theirs.mkdir(parents=True)
        self.name, self.services, self.health = name, services, health
        self.ports = free_ports(len(services)) if health else None
        self.write({})

    def write(self, gen: dict[str, str]) -> None:
        (self.ours / "services.yaml").write_text(
            services_yaml(self.name, self.services, self.ports, gen))
        (self.theirs / "compose.yaml").write_text(compose_yaml(self.services, self.health, gen))

    def ours_cli(self, *args: str) -> float:
        return run([*RECONCILER, "-C", str(self.ours), *args])

    def compose(self, *args: str) -> float:
        return run([*COMPOSE, "-p", f"{self.name}_c", "-f", str(self.theirs / "compose.yaml"),
                    *args])

    def down(self) -> None:
        for args in ([*RECONCILER, "-C", str(self.ours), "destroy", "--auto-approve"],
                     [*COMPOSE, "-p", f"{self.name}_c", "-f",
                      str(self.theirs / "compose.yaml"), "down", "-t", "2"]):
            subprocess.run(args, capture_output=True, check=False, timeout=600)
        # whatever a failed down left: by label, then removed by id
        for label in (f"io.reconciler.scope={self.name}",
                      f"com.docker.compose.project={self.name}_c"):
            ids = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}"],
                                 capture_output=True, text=True, check=False,
                                 timeout=60).stdout.split()
            if ids:
                subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, check=False,
                               timeout=600)


def bench_twenty(root: Path) -> dict[str, dict[str, float]]:
    """One tool at a time: 20 health-checking containers load a 2-core machine enough to
    distort whatever runs beside them."""
    pair = Pair(root, "benchc20", graph(), health=True)
    up = ["up", "-d", "--wait"]
    ours: dict[str, float] = {}
    theirs: dict[str, float] = {}
    try:
        ours["cold_up_s"] = pair.ours_cli("apply", "--auto-approve")
        ours["noop_apply_s"] = pair.ours_cli("apply", "--auto-approve")
        pair.write({"s34": "two"})
        ours["one_change_s"] = pair.ours_cli("apply", "--auto-approve")
        ours["down_s"] = pair.ours_cli("destroy", "--auto-approve")
        pair.write({})
        theirs["cold_up_s"] = pair.compose(*up)
        theirs["noop_up_s"] = pair.compose(*up)
        pair.write({"s34": "two"})
        theirs["one_change_s"] = pair.compose(*up)
        theirs["down_s"] = pair.compose("down", "-t", "2")
    finally:
        pair.down()
    return {"reconciler": ours, "compose": theirs}


def bench_noop(root: Path, sizes: list[int], repeats: int) -> list[dict[str, float]]:
    rows: list[dict[str, float]] = []
    for size in sizes:
        services: list[tuple[str, list[str]]] = [(f"s{i}", []) for i in range(size)]
        pair = Pair(root / f"n{size}", f"benchn{size}", services, health=False)
        try:
            up_ours = pair.ours_cli("apply", "--auto-approve", "--parallelism", "20")
            plans = [pair.ours_cli("plan", "--detailed-exitcode") for _ in range(repeats)]
            pair.down()  # not measured; the next tool starts on an idle engine
            up_theirs = pair.compose("up", "-d")
            ups = [pair.compose("up", "-d") for _ in range(repeats)]
        finally:
            pair.down()
        ours, theirs = statistics.median(plans), statistics.median(ups)
        rows.append({"containers": size, "reconciler_apply_s": up_ours,
                     "compose_up_s": up_theirs, "reconciler_noop_plan_s": ours,
                     "compose_noop_up_s": theirs, "ratio": round(ours / theirs, 3)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50,200")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "compose.json")
    args = parser.parse_args()
    version = subprocess.run([*COMPOSE, "version", "--short"], capture_output=True, text=True,
                             check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        twenty = bench_twenty(Path(tmp) / "twenty")
        noop = bench_noop(Path(tmp), [int(s) for s in args.sizes.split(",") if s],
                          args.repeats)
    report = {"compose_version": version, "twenty_services": twenty, "noop_scaling": noop}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
