"""A realistic plan for the renderer snapshots: create, in-place update, replace with an env
diff and a changed secret, orphan delete, and an unchanged task (no-op)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine import diff
from reconciler.engine.plan import Plan, build
from reconciler.errors import SourceRange
from reconciler.model.changes import Observed, Status
from reconciler.model.secrets import marker
from reconciler.model.types import (
    Address,
    Condition,
    Dependency,
    DesiredState,
    HealthCheck,
    ProbeKind,
    Resource,
)

CLEAR_SECRETS = ("old-token-123", "new-token-456", "hunter2-db-pass")


def process(name: str, order: int, *, deps: tuple[str, ...] = (), kind: str = "process",
            **spec: Any) -> Resource:
    full = {"command": ["python3", "-m", name], "cwd": ".", "env": {}, "port": None,
            "shutdown_timeout": 10, **spec}
    return Resource(Address(kind, name), full,
                    depends_on=tuple(Dependency(Address.parse(d), Condition.HEALTHY
                                                if d.startswith("process") else
                                                Condition.COMPLETED) for d in deps),
                    health=HealthCheck(ProbeKind.TCP, "127.0.0.1:8000"),
                    source=SourceRange("services.yaml", 12 + 10 * order, 3), order=order)


def build_realistic_plan() -> Plan:
    setup = process("setup", 0, kind="task")
    api_old = process("api", 1, deps=("task.setup",), port=8000,
                      env={"API_TOKEN": marker("old-token-123"), "LOG_LEVEL": "debug"})
    api = process("api", 1, deps=("task.setup",), port=8000,
                  env={"API_TOKEN": marker("new-token-456"), "LOG_LEVEL": "info"})
    worker_old = process("worker", 2, deps=("process.api",))
    worker = process("worker", 2, deps=("process.api",), shutdown_timeout=30)
    web = process("web", 3, deps=("process.api",), port=8001,
                  env={"API_URL": "http://127.0.0.1:8000",
                       "DB_PASSWORD": marker("hunter2-db-pass")})
    desired = DesiredState("shop", {r.address: r for r in (web, worker, api, setup)})
    legacy = Address("process", "legacy")
    observed = {
        setup.address: Observed(setup.address, Status.COMPLETED, setup.hash()),
        api.address: Observed(api.address, Status.RUNNING, api_old.hash()),
        worker.address: Observed(worker.address, Status.RUNNING, worker_old.hash()),
        legacy: Observed(legacy, Status.RUNNING, "0" * 64),
    }
    last = {setup.address: setup.spec, api.address: api_old.spec,
            worker.address: worker_old.spec,
            legacy: {"command": ["./legacy.sh"], "cwd": ".", "env": {"MODE": "old"}}}
    changes = diff.compute(desired, observed, last)
    return build(changes, desired, recorded_depends={legacy: ["process.api"]},
                 observed_hashes={str(a): f"{o.status}:{o.spec_hash}"
                                  for a, o in observed.items()},
                 created_at=1700000000.0)


@pytest.fixture
def plan() -> Plan:
    return build_realistic_plan()
