"""Benchmark of `reconciler sync` (issue 17), run by `just bench`; reported, never asserted.

push -> applied latency: a commit changing one `sleep` service's env is pushed to a bare
repository (file://) and the clock runs until the agent reports the commit synced (fetched,
verified nothing, checked out, validated, planned, replaced, health-watched). Two ways of
noticing the push:

1. `--interval 1s`: the agent polls (expected: about half an interval plus the apply);
2. the webhook: `--interval 1h --listen 127.0.0.1:PORT` and a POST right after the push (as
   a post-receive hook would send).

Reported per mode: median and max of N pushes for "noticed" (the agent's `sync.commit`
event) and "applied" (`sync.synced`).

Usage: python tests/benchmarks/bench_sync.py [--repeats 10] [--out bench-results/sync.json]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from infra.gitrepo import GitRepo, SyncAgent, kill_scope  # noqa: E402

SERVICES = 5


def project(name: str, gen: int) -> str:
    lines = [f"name: {name}", "services:"]
    for i in range(SERVICES):
        lines += [f"  svc{i}:", "    type: process", '    command: "exec sleep 100000"',
                  "    shutdown_timeout: 2", "    env:", f'      GEN: "{gen if i == 0 else 0}"']
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def arrival(agent: SyncAgent, kind: str, sha: str, after: int) -> float:
    agent.kind(kind, sha, after=after, timeout=120)
    return time.monotonic()


def measure(mode: str, repeats: int, base: Path) -> dict[str, Any]:
    name = f"bs{uuid.uuid4().hex[:8]}"
    repo = GitRepo(base / f"{mode}-git")
    first = repo.commit({"services.yaml": project(name, 0)}, "gen 0")
    directory = base / f"{mode}-agent"
    directory.mkdir()
    port = free_port()
    args = ["--interval", "1s"] if mode == "interval" else \
        ["--interval", "1h", "--listen", f"127.0.0.1:{port}"]
    agent = SyncAgent(directory, repo.url, *args, cwd=ROOT)
    noticed: list[float] = []
    applied: list[float] = []
    try:
        agent.synced(first, timeout=120)
        for gen in range(1, repeats + 1):
            time.sleep(0.3 + (gen % 3) * 0.23)  # do not line pushes up with the poll
            mark = agent.mark()
            sha = repo.commit({"services.yaml": project(name, gen)}, f"gen {gen}")
            pushed = time.monotonic()
            if mode == "webhook":
                request = urllib.request.Request(f"http://127.0.0.1:{port}/", data=b"{}",
                                                 method="POST")
                urllib.request.urlopen(request, timeout=10).close()
            agent.kind("sync.synced", sha, after=mark, timeout=120)
            done = time.monotonic()
            commit_event = agent.kind("sync.commit", sha, after=mark)
            synced_event = agent.kind("sync.synced", sha, after=mark)
            # the events' own wall-clock stamps give the split between notice and apply
            applied.append(done - pushed)
            noticed.append(done - pushed - (synced_event["time"] - commit_event["time"]))
    finally:
        agent.stop()
        kill_scope([name])
    return {"mode": mode, "args": args, "repeats": repeats, "services": SERVICES,
            "noticed_median_s": round(statistics.median(noticed), 3),
            "noticed_max_s": round(max(noticed), 3),
            "applied_median_s": round(statistics.median(applied), 3),
            "applied_max_s": round(max(applied), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "sync.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as temp:
        result = {"date": time.strftime("%Y-%m-%d"),
                  "load_average": [round(x, 2) for x in __import__("os").getloadavg()],
                  "modes": [measure(mode, args.repeats, Path(temp))
                            for mode in ("interval", "webhook")]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
