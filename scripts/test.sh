#!/usr/bin/env bash
# The README's test command: installs everything the tests need (Python deps and the system
# components of docs/testing.md), then runs lint, the type check, the import contract and the
# whole test suite, then installs the built wheel into a fresh venv and runs the quickstart
# from it (scripts/check-wheel.sh). Usage: scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-test-env.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff"; ruff check reconciler tests scripts
echo "== mypy --strict"; mypy
echo "== import contract"; lint-imports
echo "== pytest"; pytest -q "$@"
echo "== wheel (installed, no dev extras)"
RECONCILER_WHEEL_PYTHON="$PWD/.venv/bin/python" scripts/check-wheel.sh
