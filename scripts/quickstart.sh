#!/usr/bin/env bash
# The README's first command: install reconciler into .venv and run the quickstart example
# (local processes only: no Docker, SSH or root needed), then show its status.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/reconciler ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e .
fi
export PATH="$PWD/.venv/bin:$PATH"
reconciler -C examples/quickstart validate
reconciler -C examples/quickstart apply --auto-approve
reconciler -C examples/quickstart status
echo
echo "Next: reconciler -C examples/quickstart plan    (no changes)"
echo "      reconciler -C examples/quickstart logs worker"
echo "      reconciler -C examples/quickstart destroy --auto-approve"
