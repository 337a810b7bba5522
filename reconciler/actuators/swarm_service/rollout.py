"""The swarm side of the swarm_service kind: the manager's client, errors, and convergence.

:func:`api` (the low-level Docker API client of a cluster's manager) and :func:`engine_errors`
(the SDK's exceptions mapped at the boundary) come from ``reconciler.transports.docker.swarm``;
:func:`wait_converged` polls ONE service inspect and ONE task list per round
until every desired task of the current spec runs, the rollout failed (paused, or rolled
back: a rollback is waited for, so the previous spec serves again when apply reports it), or
the bounded timeout passed; failures carry the tasks' own error messages.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.errors import TerminalError
from reconciler.transports.docker.swarm import api, engine_errors

__all__ = ["api", "engine_errors", "task_errors", "wait_converged"]

POLL = 0.5
FAILED_UPDATE = frozenset({"paused", "rollback_started", "rollback_paused",
                           "rollback_completed"})
FAILED_TASK = frozenset({"failed", "rejected"})


def task_errors(tasks: Sequence[Mapping[str, Any]]) -> list[str]:
    """``node: state: error`` of every failed or rejected task and of every task that should
    run and does not yet (pulling, starting, pending: their own message), newest first."""
    out: list[str] = []
    for task in sorted(tasks, key=lambda t: str(t.get("UpdatedAt", "")), reverse=True):
        status = task.get("Status") or {}
        state = status.get("State")
        stuck = task.get("DesiredState") == "running" and state != "running"
        if state in FAILED_TASK or stuck:
            line = (f"{str(task.get('NodeID') or 'no node')[:12]}: {state}: "
                    f"{status.get('Err') or status.get('Message') or 'no message'}")
            if line not in out:
                out.append(line)
    return out


def current_tasks(service: Mapping[str, Any],
                  tasks: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The tasks made from the service's current container spec and ForceUpdate counter (a
    forced redeploy keeps the container spec: its tasks differ by the counter only)."""
    template = (service.get("Spec") or {}).get("TaskTemplate") or {}
    wanted = (template.get("ContainerSpec"), template.get("ForceUpdate") or 0)
    return [t for t in tasks
            if ((t.get("Spec") or {}).get("ContainerSpec"),
                (t.get("Spec") or {}).get("ForceUpdate") or 0) == wanted]


def running(tasks: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The tasks that should run and do."""
    return [t for t in tasks if t.get("DesiredState") == "running"
            and (t.get("Status") or {}).get("State") == "running"]


def wait_converged(client: Any, url: str | None, service_id: str, name: str, replicas: int,
                   timeout: float) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
    """Wait until ``replicas`` tasks of the current spec run and no older one is meant to;
    returns the service and its tasks. TerminalError (with the task errors) when the rollout
    failed or did not converge within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with engine_errors(url, f"watching the rollout of {name}"):
            service = client.inspect_service(service_id)
            tasks = client.tasks(filters={"service": service_id})
        fresh = current_tasks(service, tasks)
        up = running(fresh)
        stale = [t for t in tasks if t.get("DesiredState") == "running" and t not in fresh]
        update = str((service.get("UpdateStatus") or {}).get("State") or "")
        if update in FAILED_UPDATE and update != "rollback_started":
            message = (service.get("UpdateStatus") or {}).get("Message") or update
            back = (" and was rolled back to the previous spec"
                    if update == "rollback_completed" else "")
            raise TerminalError(
                f"the rollout of swarm service {name} failed{back} ({update}: {message}); "
                f"task errors: {'; '.join(task_errors(tasks)) or 'none reported'}",
                hint="fix the service (image, command, constraints) and apply again")
        if len(up) == replicas and not stale and update in ("", "completed"):
            return service, tasks
        if time.monotonic() > deadline:
            rolling_back = " (still rolling back)" if update == "rollback_started" else ""
            raise TerminalError(
                f"swarm service {name}{rolling_back} did not converge within {timeout:.0f} s: "
                f"{len(up)}/{replicas} tasks running; task errors: "
                f"{'; '.join(task_errors(fresh)) or 'none reported'}",
                hint="look at `docker service ps` on the manager; raise startup_timeout "
                "for slow images")
        time.sleep(POLL)


def wait_removed(client: Any, url: str | None, service_id: str, timeout: float = 60.0) -> None:
    """Wait (bounded) until no task of a removed service is left on any node that is up (the
    manager refuses a task filter naming a removed service: its whole task list is read
    instead). A task on a node that is down stays listed until that node comes back and
    shuts it down: it is not waited for."""
    deadline = time.monotonic() + timeout
    while True:
        with engine_errors(url, "waiting for the tasks of a removed service"):
            gone = down_nodes(client)
            left = [t for t in client.tasks() if t.get("ServiceID") == service_id
                    and str(t.get("NodeID") or "") not in gone]
        if not left:
            return
        if time.monotonic() > deadline:
            raise TerminalError(f"{len(left)} task(s) of removed swarm service {service_id} "
                                f"are still there after {timeout:.0f} s",
                                hint="look at `docker service ps` on the manager")
        time.sleep(POLL)


def down_nodes(client: Any) -> dict[str, str]:
    """Node id -> ``id12 (hostname)`` of every node the manager does not see ready (down, unknown,
    disconnected): ONE node list."""
    out = {}
    for node in client.nodes():
        if (node.get("Status") or {}).get("State") != "ready":
            node_id = str(node.get("ID"))
            host = str((node.get("Description") or {}).get("Hostname") or "no hostname")
            out[node_id] = f"{node_id[:12]} ({host[:24]})"
    return out
