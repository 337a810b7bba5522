# reconciler developer tasks. `just --list` shows them.
set shell := ["bash", "-euo", "pipefail", "-c"]

venv := ".venv"
py := venv + "/bin/python"

# Install Python deps and the system components the tests need (idempotent).
setup:
    scripts/setup-test-env.sh

# ruff + import-linter contract
lint:
    {{venv}}/bin/ruff check reconciler tests scripts
    {{venv}}/bin/lint-imports

# mypy --strict on the package
typecheck:
    {{venv}}/bin/mypy

# The whole suite: setup, lint, typecheck, unit + integration tests (the README's command).
test:
    scripts/test.sh

# Only the pure stages (no Docker, SSH or root needed).
test-unit:
    {{venv}}/bin/pytest tests/unit tests/actuators -q

# Only the integration tests against real components.
test-integration:
    {{venv}}/bin/pytest tests/integration -q

# Benchmarks side by side with peers (installs the peers in their own virtualenv).
bench:
    scripts/bench.sh

# Issue 14's table in one run: each target case beside its peer (scripts/bench.sh installs
# the peers); `just bench-issue14 --quick` is a smoke run, `--only watch,ssh` a subset.
bench-issue14 *ARGS:
    scripts/bench.sh --peers-only
    {{py}} tests/benchmarks/bench_issue14.py {{ARGS}}

# Only the swarm benchmark: reconciler vs `docker stack deploy` on a three-node swarm of its own.
bench-swarm:
    {{py}} tests/benchmarks/bench_swarm.py

# The swarm walkthrough of docs/clusters.md, run for real on a three-node swarm of its own.
swarm-walkthrough:
    {{py}} scripts/swarm_walkthrough.py

# Regenerate the JSON Schemas in schemas/ from the pydantic models.
schemas:
    {{py}} scripts/gen_schemas.py

# Check that docs/ reference every CLI command (and regenerate the CLI reference).
docs:
    {{py}} scripts/gen_cli_docs.py
