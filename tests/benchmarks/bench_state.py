"""No-op plan on the SQLite state file vs the PostgreSQL backend (issue 16).

For each size, one project of ``exec sleep 3600`` process services is applied once per
backend (its own state: the SQLite file of the checkout, or a fresh schema on a throw-away
PostgreSQL cluster on a unix socket, the one the tests use: tests/integration/infra/postgres.py,
fsync off), then ``plan --detailed-exitcode`` is timed ``--repeats`` times, then the project is
destroyed. Prints one JSON document; docs/benchmarks.md records a reference run.

Usage: python tests/benchmarks/bench_state.py [--sizes 10,100,1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from bench_engine import RECONCILER, run, write_project
from infra.postgres import Cluster


def noop_plan(project: Path, state: list[str], repeats: int) -> dict[str, float]:
    cli = [*RECONCILER, "-C", str(project), *state]
    apply_s = run([*cli, "apply", "--auto-approve", "--parallelism", "50"])
    try:
        run([*cli, "plan", "--detailed-exitcode"])  # warm caches
        times = [run([*cli, "plan", "--detailed-exitcode"]) for _ in range(repeats)]
    finally:
        run([*cli, "destroy", "--auto-approve", "--parallelism", "50"], check=False)
    return {"apply_s": round(apply_s, 3), "noop_plan_median_s": round(statistics.median(times), 3),
            "noop_plan_min_s": round(min(times), 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cluster = Cluster()
    rows = []
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            row: dict[str, object] = {"services": size}
            with tempfile.TemporaryDirectory() as tmp:
                project = Path(tmp) / f"s{size}"
                write_project(project, size, "exec sleep 3600")
                row["sqlite"] = noop_plan(project, [], args.repeats)
                url = cluster.url(schema=cluster.fresh_schema())
                row["postgresql"] = noop_plan(project, ["--state", url], args.repeats)
            rows.append(row)
    finally:
        cluster.destroy()
    print(json.dumps({"bench": "state_noop_plan", "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
