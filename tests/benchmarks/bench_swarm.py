"""Docker Swarm: reconciler against `docker stack deploy` on the same 20 services (issue 15).

Timings are reported, never asserted. Needs root, dockerd, iproute2 and the local image
reconciler-test/busybox:1 (scripts/setup-test-env.sh): the swarm is the tests' own three-node
one (tests/integration/infra/swarm.py: three dockerd instances in namespace hosts, 1 manager +
2 workers), started here and removed at the end; the shared engine never joins a swarm.

The project: 20 services of busybox httpd, `replicas` each (2 by default), update order
start-first, parallelism 1. reconciler deploys a services.yaml with `clusters:` (its apply
waits until every task runs), `docker stack deploy` an equivalent compose.yaml (it returns
at once: the time is until every task of the stack runs, polled on the manager every 0.2 s).
Measured: cold deploy until all tasks run, a no-op re-deploy, one service's env changed
until its rolling update completed, and removal until no task is left.

Usage: python tests/benchmarks/bench_swarm.py [--replicas 2] [--out F] [--profile F]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from infra.swarm import SwarmLab  # noqa: E402

IMAGE = "reconciler-test/busybox:1"
COUNT = 20
POLL = 0.2
LIMIT = 600.0
PROFILE: Path | None = None
NAMES = [f"s{i:02d}" for i in range(1, COUNT + 1)]
UPDATE = ["parallelism: 1", "delay: 0", "order: start-first"]


def services_yaml(name: str, host: str, replicas: int, gen: dict[str, str]) -> str:
    lines = [f"name: {name}", "clusters:", f'  lab: {{type: swarm, docker_host: "{host}"}}',
             "services:"]
    for svc in NAMES:
        lines += [f"  {svc}:", "    type: docker", "    cluster: lab", f"    image: {IMAGE}",
                  '    command: ["httpd", "-f", "-p", "80", "-h", "/"]', "    init: true",
                  f"    replicas: {replicas}", f"    env: {{GEN: '{gen.get(svc, '1')}'}}",
                  f"    update: {{{', '.join(UPDATE)}}}", "    startup_timeout: 300"]
    return "\n".join(lines) + "\n"


def compose_yaml(replicas: int, gen: dict[str, str]) -> str:
    lines = ['version: "3.8"', "services:"]
    for svc in NAMES:
        lines += [f"  {svc}:", f"    image: {IMAGE}",
                  '    command: ["httpd", "-f", "-p", "80", "-h", "/"]', "    init: true",
                  f"    environment: {{GEN: '{gen.get(svc, '1')}'}}", "    deploy:",
                  f"      replicas: {replicas}", "      update_config:",
                  "        parallelism: 1", "        delay: 0s", "        order: start-first"]
    return "\n".join(lines) + "\n"


def run(args: list[str], cwd: Path | None = None) -> None:
    # as an installed package runs: bytecode cached (a PYTHONDONTWRITEBYTECODE=1 environment
    # would compile every module from source on every CLI call)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False,
                          env=env, timeout=LIMIT)
    if done.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n"
                         f"{(done.stdout + done.stderr)[-3000:]}")


def timed(action: Callable[[], None], until: Callable[[], bool] | None = None) -> float:
    start = time.perf_counter()
    action()
    deadline = start + LIMIT
    while until is not None and not until():
        if time.perf_counter() > deadline:
            raise SystemExit("the swarm did not converge within the bound")
        time.sleep(POLL)
    return round(time.perf_counter() - start, 3)


class Manager:
    """The manager's API, for the convergence checks (one service + one task list a round)."""

    def __init__(self, lab: SwarmLab) -> None:
        import docker

        self.api = docker.APIClient(base_url=lab.manager.docker_host, timeout=60)

    def converged(self, prefix: str, replicas: int, count: int = COUNT) -> bool:
        services = [s for s in self.api.services() if s["Spec"]["Name"].startswith(prefix)]
        if len(services) != count:
            return False
        tasks = self.api.tasks(filters={"desired-state": "running"})
        for service in services:
            if (service.get("UpdateStatus") or {}).get("State") not in (None, "completed"):
                return False
            spec = service["Spec"]["TaskTemplate"]["ContainerSpec"]
            up = [t for t in tasks if t["ServiceID"] == service["ID"]
                  and t["Status"]["State"] == "running" and t["Spec"]["ContainerSpec"] == spec]
            if len(up) != replicas:
                return False
        return True

    def ids(self, prefix: str) -> set[str]:
        return {s["ID"] for s in self.api.services() if s["Spec"]["Name"].startswith(prefix)}

    def gone(self, ids: set[str]) -> Callable[[], bool]:
        """True once no service of `ids` and no task of theirs is left on any node."""
        return lambda: (not ids & {s["ID"] for s in self.api.services()}
                        and not [t for t in self.api.tasks() if t["ServiceID"] in ids])


def bench_reconciler(lab: SwarmLab, root: Path, replicas: int, manager: Manager
                     ) -> dict[str, float]:
    project = root / "rcn"
    project.mkdir()
    cli = [sys.executable, "-m", "reconciler", "-C", str(project), "--no-color"]

    def write(gen: dict[str, str]) -> None:
        (project / "services.yaml").write_text(
            services_yaml("rcn", lab.manager.docker_host, replicas, gen))

    write({})
    out = {"cold": timed(lambda: run([*cli, "apply", "--auto-approve"]))}
    assert manager.converged("rcn_", replicas), "reconciler apply returned unconverged"
    out["validate"] = timed(lambda: run([*cli, "validate"]))  # the CLI without observe
    out["noop_plan"] = timed(lambda: run([*cli, "plan"]))
    if PROFILE is not None:  # where a no-op plan's time goes (python -m pstats FILE)
        run([sys.executable, "-m", "cProfile", "-o", str(PROFILE), "-m", "reconciler",
             "-C", str(project), "--no-color", "plan"])
    out["noop"] = timed(lambda: run([*cli, "apply", "--auto-approve"]))
    write({"s01": "2"})
    out["update_one"] = timed(lambda: run([*cli, "apply", "--auto-approve"]))
    assert manager.converged("rcn_", replicas)
    out["remove"] = timed(lambda: run([*cli, "destroy", "--auto-approve"]),
                          manager.gone(manager.ids("rcn_")))
    return out


def bench_stack(lab: SwarmLab, root: Path, replicas: int, manager: Manager) -> dict[str, float]:
    project = root / "stk"
    project.mkdir()
    compose = project / "compose.yaml"
    docker = ["docker", "-H", lab.manager.docker_host]
    deploy = [*docker, "stack", "deploy", "--resolve-image", "never", "-c", str(compose), "stk"]

    def converged() -> bool:
        return manager.converged("stk_", replicas)

    compose.write_text(compose_yaml(replicas, {}))
    out = {"cold": timed(lambda: run(deploy), converged)}
    out["noop"] = timed(lambda: run(deploy), converged)
    compose.write_text(compose_yaml(replicas, {"s01": "2"}))
    out["update_one"] = timed(lambda: run(deploy), converged)
    out["remove"] = timed(lambda: run([*docker, "stack", "rm", "stk"]),
                          manager.gone(manager.ids("stk_")))
    return out


def machine(lab: SwarmLab) -> dict[str, Any]:
    version = lab.manager.docker("version", "--format", "{{.Server.Version}}").strip()
    memory = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    return {"cpus": os.cpu_count(), "memory_gib": round(int(memory) / 2**20, 1),
            "kernel": platform.release(), "dockerd": version, "nodes": len(lab.nodes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "swarm.json")
    parser.add_argument("--profile", type=Path, help="also write a cProfile of a no-op plan")
    args = parser.parse_args()
    global PROFILE
    PROFILE = args.profile
    lab = SwarmLab(IMAGE)
    try:
        manager = Manager(lab)
        with tempfile.TemporaryDirectory(prefix="bench-swarm-") as tmp:
            report = {"machine": machine(lab), "services": COUNT, "replicas": args.replicas,
                      "reconciler": bench_reconciler(lab, Path(tmp), args.replicas, manager),
                      "docker_stack": bench_stack(lab, Path(tmp), args.replicas, manager)}
        manager.api.close()
    finally:
        problems = lab.close()
        if problems:
            print("teardown problems:", problems, file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
