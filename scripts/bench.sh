#!/usr/bin/env bash
# `just bench`: installs the peers (honcho, ...) into their own virtualenv so anyone can rerun
# the benchmarks, then runs every benchmark script under tests/benchmarks/. Results land in
# bench-results/*.json (git-ignored); docs/benchmarks.md records a reference run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || scripts/setup-test-env.sh
peers=.bench-venv
if [ ! -x "$peers/bin/honcho" ]; then
  python3 -m venv "$peers"
  "$peers/bin/pip" install -q honcho
fi
# the SSH benchmark's peers (bench_ssh.py): pyinfra and Ansible, same virtualenv
for peer in pyinfra:pyinfra ansible-playbook:ansible-core; do
  [ -x "$peers/bin/${peer%%:*}" ] || "$peers/bin/pip" install -q "${peer#*:}"
done
# `scripts/bench.sh --peers-only`: install the peers and stop (`just bench-issue14` uses them)
[ "${1:-}" = "--peers-only" ] && exit 0
.venv/bin/python tests/benchmarks/bench_engine.py --honcho "$peers/bin/honcho" "$@"
.venv/bin/python tests/benchmarks/bench_ssh.py --peers "$peers/bin"
.venv/bin/python tests/benchmarks/bench_watch.py --idle "${WATCH_IDLE_SECONDS:-60}"
# the state backends: no-op plan on SQLite vs PostgreSQL (a throw-away cluster, as in tests)
.venv/bin/python tests/benchmarks/bench_state.py
# `reconciler sync`: push -> applied, polling (--interval 1s) and through the webhook
.venv/bin/python tests/benchmarks/bench_sync.py
# containers against Compose itself (bench_compose.py): only where a Docker engine answers
if docker info >/dev/null 2>&1; then
  .venv/bin/python tests/benchmarks/bench_compose.py
else
  echo "bench_compose: skipped, no Docker engine answers (scripts/setup-test-env.sh starts one)"
fi
# the WireGuard mesh on namespace hosts (wireguard-go, sshd, root: see docs/testing.md)
.venv/bin/python tests/benchmarks/bench_wireguard.py
# Docker Swarm against `docker stack deploy` (bench_swarm.py): its own three-node swarm of
# dockerd instances in namespace hosts (root), never the shared engine
if docker info >/dev/null 2>&1; then
  .venv/bin/python tests/benchmarks/bench_swarm.py
else
  echo "bench_swarm: skipped, no Docker engine answers (scripts/setup-test-env.sh starts one)"
fi
