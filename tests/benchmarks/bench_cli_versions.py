"""Two checkouts of reconciler side by side (issue 14): CPU and wall of the CLI's short runs.

Runs, alternately per round (round 0 only warms the bytecode caches, the order flips every
round): `validate`, cold `apply`, no-op `plan` and `destroy` of 10 process services, the no-op
`plan` of 10 flat containers already applied (`--containers DIR`, a project with its state in
`--container-state`), and once per round Compose's no-op `up -d` of the same containers
(`--compose FILE`) and `python -c pass`. CPU is user + sys of the command and what it waited
for (getrusage of the children): on a loaded machine the comparable number. Reported, never
asserted.

Usage: python tests/benchmarks/bench_cli_versions.py --base DIR --new DIR [--rounds 7]
       [--containers DIR --container-state DIR --compose FILE --compose-project NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 2):
        raise SystemExit(f"{args} -> {done.returncode}\n{done.stdout[-2000:]}"
                         f"{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="a checkout (PYTHONPATH)")
    parser.add_argument("--new", type=Path, required=True, help="a checkout (PYTHONPATH)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--containers", type=Path)
    parser.add_argument("--container-state", type=Path)
    parser.add_argument("--compose", type=Path)
    parser.add_argument("--compose-project", default="benchversions")
    args = parser.parse_args()
    versions = {"base": args.base, "new": args.new}
    results: dict[str, list[tuple[float, float]]] = {}
    cli = [sys.executable, "-m", "reconciler"]
    with tempfile.TemporaryDirectory() as tmp:
        for name in versions:
            project = Path(tmp) / name
            project.mkdir()
            (project / "services.yaml").write_text(
                f'version: "1.0"\nname: benchv{name}\nservices:\n' + "".join(
                    f'  s{i}:\n    type: process\n    command: "exec sleep 600"\n'
                    for i in range(10)))
        for round_ in range(args.rounds + 1):
            order = list(versions) if round_ % 2 == 0 else list(versions)[::-1]
            for name in order:
                env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
                env.update(PYTHONPATH=str(versions[name]), NO_COLOR="1",
                           RECONCILER_STATE_DIR=str(Path(tmp) / f"state-{name}"))
                where = str(Path(tmp) / name)
                steps = [("validate, 10 process", ["validate"]),
                         ("cold apply, 10 process", ["apply", "--auto-approve"]),
                         ("no-op plan, 10 process", ["plan", "--detailed-exitcode"]),
                         ("destroy, 10 process", ["destroy", "--auto-approve"])]
                for label, argv in steps:
                    took = run([*cli, "-C", where, *argv], env)
                    if round_:
                        results.setdefault(f"{name}: {label}", []).append(took)
                if args.containers and args.container_state:
                    env["RECONCILER_STATE_DIR"] = str(args.container_state)
                    took = run([*cli, "-C", str(args.containers), "plan",
                                "--detailed-exitcode"], env)
                    if round_:
                        results.setdefault(f"{name}: no-op plan, containers", []).append(took)
            if args.compose:
                took = run(["docker", "compose", "-p", args.compose_project, "-f",
                            str(args.compose), "up", "-d"])
                if round_:
                    results.setdefault("compose: no-op up -d", []).append(took)
            took = run([sys.executable, "-c", "pass"])
            if round_:
                results.setdefault("python -c pass", []).append(took)
    report = {key: {"wall_s": round(statistics.median(w for w, _ in runs), 3),
                    "cpu_s": round(statistics.median(c for _, c in runs), 3), "n": len(runs)}
              for key, runs in results.items()}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
