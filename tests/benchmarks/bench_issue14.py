"""Issue 14's table in ONE run (`just bench-issue14`): every case beside its peer, reported.

Each case calls the existing benchmark functions (nothing is re-implemented here) one after the
other on the same machine, so the ratios come from one sitting:

1. ten_http: ten `python3 -m http.server` to all answering, started directly, under honcho and
   under reconciler (bench_engine.bench_ten_servers).
2. cold_apply: a cold apply of 1000 process services at the default parallelism
   (bench_engine.bench_cold_apply).
3. watch: save -> applied without the node's own stop + start, and kill -9 -> restarted, on a
   50-service project (bench_watch.bench; its idle sampling is cut to --watch-idle seconds).
4. containers: a cold apply of 200 flat containers against Compose v2's `up -d`, and a no-op
   plan of 10 flat containers against Compose's no-op `up -d` (bench_compose.bench_noop).
5. ssh: the no-op job on 5 namespace hosts against pyinfra, and reconciler's own no-op growth
   from 1 to 5 hosts (bench_ssh.bench_size; pyinfra from --peers, as scripts/bench.sh installs).

Timings are reported, never asserted. `--quick` shrinks every size (a smoke run that every
case still works: 100 processes, 10 watched services, 20 containers, 1 -> 2 hosts; its ratios
are not the issue's). Writes bench-results/issue14.json and a markdown table
(bench-results/issue14.md) with the load average before and after.

Usage: python tests/benchmarks/bench_issue14.py [--only ten_http,cold_apply,watch,containers,ssh]
       [--quick] [--repeats 5] [--honcho PATH] [--peers .bench-venv/bin] [--out F]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

Row = dict[str, Any]


def ratio(ours: float, theirs: float) -> float:
    return round(ours / theirs, 3) if theirs else float("nan")


def row(case: str, peer: str, ours: float, theirs: float | None, target: str, met: bool,
        *, filed: str, unit: str = "s") -> Row:
    return {"case": case, "peer": peer, "reconciler": round(ours, 3), "unit": unit,
            "peer_value": None if theirs is None else round(theirs, 3),
            "ratio": None if theirs is None else ratio(ours, theirs), "target": target,
            "met": met, "at_filing": filed}


def case_ten_http(args: argparse.Namespace) -> tuple[dict[str, Any], list[Row]]:
    import bench_engine
    raw = bench_engine.bench_ten_servers(args.honcho)
    ours, direct = raw["reconciler_s"], raw["direct_s"]
    rows = [row("10 HTTP servers to all answering", "direct start", ours, direct, "<= 1.15x",
                ours / direct <= 1.15, filed="2.6x")]
    if "honcho_s" in raw:
        rows.append(row("10 HTTP servers to all answering", "honcho", ours, raw["honcho_s"],
                        "< 1.0x", ours < raw["honcho_s"], filed="1.9x"))
    return raw, rows


def case_cold_apply(args: argparse.Namespace) -> tuple[dict[str, Any], list[Row]]:
    import bench_engine
    size = 100 if args.quick else 1000
    raw = bench_engine.bench_cold_apply([size])[0]
    took = raw["cold_apply_s"]
    return raw, [row(f"cold apply, {size} process services", "-", took, None, "<= 3 s",
                     took <= 3.0, filed="21 s")]


def case_watch(args: argparse.Namespace) -> tuple[dict[str, Any], list[Row]]:
    import bench_watch
    services = 10 if args.quick else 50
    raw = bench_watch.bench(2 if args.quick else args.repeats, args.watch_idle, services)
    save = raw["save_to_applied_without_node_median_s"]
    kill, react = raw["kill_to_restarted_median_s"], raw["kill_to_node_start_median_s"]
    return raw, [
        row(f"watch: save -> applied ({services} services, excl. the node's start)", "-",
            save, None, "<= 0.25 s", save <= 0.25, filed="0.76 s"),
        row(f"watch: kill -9 -> restarted ({services} services)", "-", kill, None,
            "<= 0.1 s", kill <= 0.1, filed="0.52 s"),
        row("watch: kill -9 -> the restart begins (the watcher's reaction)", "-", react, None,
            "<= 0.1 s", react <= 0.1, filed="-")]


def case_containers(args: argparse.Namespace) -> tuple[dict[str, Any], list[Row]]:
    import bench_compose
    cold, noop = (20, 10) if args.quick else (200, 10)
    with tempfile.TemporaryDirectory(prefix="bench-issue14-") as tmp:
        # the cold row's no-op plans are not a target: one is enough
        big = bench_compose.bench_noop(Path(tmp) / "cold", [cold], 1)[0]
        small = bench_compose.bench_noop(Path(tmp) / "noop", [noop],
                                         2 if args.quick else args.repeats)[0]
    ours, theirs = big["reconciler_apply_s"], big["compose_up_s"]
    plan, up = small["reconciler_noop_plan_s"], small["compose_noop_up_s"]
    return {"cold": big, "noop": small}, [
        row(f"cold apply, {cold} containers", "Compose v2 `up -d`", ours, theirs, "<= 0.8x",
            ours / theirs <= 0.8, filed="1.26x"),
        row(f"no-op plan, {noop} flat containers", "Compose v2 no-op `up -d`", plan, up,
            "<= 1.0x", plan / up <= 1.0, filed="2.0x")]


def case_ssh(args: argparse.Namespace) -> tuple[dict[str, Any], list[Row]]:
    import bench_ssh
    from infra.netns_hosts import SshHostLab
    from infra.netns_net import Network
    small, large = (1, 2) if args.quick else (1, 5)
    repeats = 1 if args.quick else 3
    network = Network()
    try:
        lab = SshHostLab(network)
        try:
            one = bench_ssh.bench_size(lab, small, args.peers, repeats, ["reconciler"])
            many = bench_ssh.bench_size(lab, large, args.peers, repeats,
                                        ["reconciler", "pyinfra"])
        finally:
            lab.close()
    finally:
        network.close()
    for result in (one, many):
        for tool in ("reconciler", "pyinfra"):
            if "error" in result.get(tool, {}):  # type: ignore[operator]
                raise SystemExit(f"ssh {tool}: {result[tool]}")
    ours, theirs = many["reconciler"]["noop_s"], many["pyinfra"]["noop_s"]  # type: ignore[index]
    base = one["reconciler"]["noop_s"]  # type: ignore[index]
    return {"small": one, "large": many}, [
        row(f"SSH no-op, {large} hosts", "pyinfra", ours, theirs, "<= 0.25x",
            ours / theirs <= 0.25, filed="0.42x"),
        row(f"SSH no-op growth, {small} -> {large} hosts", f"itself at {small} host",
            ours, base, "<= 1.5x", ours / base <= 1.5, filed="2.8x")]


CASES: dict[str, Callable[[argparse.Namespace], tuple[dict[str, Any], list[Row]]]] = {
    "ten_http": case_ten_http, "cold_apply": case_cold_apply, "watch": case_watch,
    "containers": case_containers, "ssh": case_ssh}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def markdown(report: dict[str, Any]) -> str:
    lines = [f"Issue 14 in one run: {report['started']}, {report['cpus']} CPUs, "
             f"{report['python']}, commit {report['commit']}"
             f"{' (--quick: not the issue sizes)' if report['quick'] else ''}; "
             f"load average before {report['load_before']}, after {report['load_after']}.", "",
             "| case | peer | reconciler | peer's | ratio | target | at filing | met |",
             "| --- | --- | ---: | ---: | ---: | --- | --- | --- |"]
    for r in report["rows"]:
        peer = "-" if r["peer_value"] is None else f"{r['peer_value']:.3f} s"
        rat = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        lines.append(f"| {r['case']} | {r['peer']} | {r['reconciler']:.3f} s | {peer} | {rat} "
                     f"| {r['target']} | {r['at_filing']} | {'yes' if r['met'] else 'no'} |")
    for name, error in report["errors"].items():
        lines.append(f"| {name} | failed: {error[-200:]!r} | | | | | | |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help=f"comma-separated subset of {list(CASES)}")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--watch-idle", type=float, default=1.0,
                        help="bench_watch's idle sampling (not a target of the issue)")
    parser.add_argument("--honcho", default=str(ROOT / ".bench-venv" / "bin" / "honcho"))
    parser.add_argument("--peers", type=Path, default=ROOT / ".bench-venv" / "bin")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "issue14.json")
    args = parser.parse_args()
    args.peers = args.peers.resolve()
    if not Path(args.honcho).exists():
        args.honcho = shutil.which("honcho")
    only = [s for s in args.only.split(",") if s] or list(CASES)
    unknown = set(only) - set(CASES)
    if unknown:
        raise SystemExit(f"unknown --only case(s): {sorted(unknown)}; known: {list(CASES)}")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "commit": commit,
        "cpus": os.cpu_count(), "python": platform.python_version(), "quick": args.quick,
        "load_before": load(), "raw": {}, "rows": [], "seconds": {}, "errors": {}}
    for name in only:
        began = time.perf_counter()
        print(f"issue14: {name} (load {load()})", file=sys.stderr, flush=True)
        try:
            raw, rows = CASES[name](args)
        except SystemExit as exc:  # one case failing must not hide the others
            report["errors"][name] = str(exc)[-1500:]
        else:
            report["raw"][name], report["rows"] = raw, [*report["rows"], *rows]
        report["seconds"][name] = round(time.perf_counter() - began, 1)
    report["load_after"] = load()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    args.out.with_suffix(".md").write_text(table)
    print(table)
    if report["errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
