"""Stage 7: walk a Plan's DAG and carry out each change through its actuator.

Owns the scheduling rules of ARCHITECTURE.md "Apply rules": bounded parallelism; a node starts
only when every predecessor has finished and every dependency satisfies its ``condition``
(started / healthy / completed); a failed node skips everything downstream while independent
branches go on; transient errors retry with backoff; state is written after every node (one
transaction each), so a crash loses at most the node in flight. Health waiting and dependency
gates live in :mod:`reconciler.engine.gates`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from reconciler.actuators.base import Actuator, ActuatorContext
from reconciler.engine.gates import NodeState, Tracker, wait_dependencies, wait_ready
from reconciler.engine.plan import Plan
from reconciler.errors import ActuatorError, ReconcilerError, TransientError
from reconciler.events import EventBus
from reconciler.model.changes import Action, Change, Observed
from reconciler.model.types import Address, DesiredState, Resource
from reconciler.state import StateStore

MAX_ATTEMPTS = 3


@dataclass
class NodeResult:
    address: str
    outcome: str  # applied | failed | skipped | unchanged
    message: str = ""
    action: str = ""
    error: BaseException | None = field(default=None, compare=False, repr=False)  # a bug's


@dataclass
class ApplyResult:
    results: dict[str, NodeResult] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.outcome in ("applied", "unchanged") for r in self.results.values())

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results.values() if r.outcome == outcome)

    def root_causes(self) -> list[NodeResult]:
        return [r for r in self.results.values() if r.outcome == "failed"]


@dataclass
class Applier:
    """One apply run over one plan; call :meth:`run` once."""

    plan: Plan
    desired: DesiredState
    actuators: Mapping[str, Actuator]
    context_for: Callable[[Address], ActuatorContext]
    store: StateStore
    run_id: str
    events: EventBus
    parallelism: int = 10
    sleep: Callable[[float], None] = time.sleep

    def run(self) -> ApplyResult:
        graph = self.plan.graph
        tracker = Tracker(list(graph.nodes))
        result = ApplyResult()
        lock = threading.Lock()
        pending = set(graph.nodes)
        self.events.emit("apply.start", None, f"applying {len(pending)} change(s)",
                         total=len(pending), run_id=self.run_id)
        with ThreadPoolExecutor(max_workers=max(1, self.parallelism)) as pool:
            while pending:
                for node in self._ready(pending, tracker):
                    pending.discard(node)
                    tracker.set(node, NodeState.RUNNING)
                    pool.submit(self._node_worker, node, tracker, result, lock)
                for node in self._doomed(pending, tracker):
                    pending.discard(node)
                    failed = tracker.first_failed(list(graph.predecessors(node)))
                    self._finish(result, lock, tracker, node, NodeState.SKIPPED,
                                 NodeResult(node, "skipped", f"upstream failed: {failed}"))
                if pending:
                    tracker.wait_change(timeout=0.5)
        self.events.emit("apply.done", None, "apply finished", ok=result.ok,
                         applied=result.count("applied"), failed=result.count("failed"),
                         skipped=result.count("skipped"))
        return result

    # -- scheduling --------------------------------------------------------------------------

    def _ready(self, pending: set[str], tracker: Tracker) -> list[str]:
        graph = self.plan.graph
        ready = [n for n in pending
                 if all(tracker.satisfied(p, self._condition(p, n))
                        for p in graph.predecessors(n))]
        order = {addr: i for i, addr in enumerate(self.plan.order())}
        return sorted(ready, key=lambda n: order.get(n, 0))

    def _doomed(self, pending: set[str], tracker: Tracker) -> list[str]:
        graph = self.plan.graph
        return [n for n in pending
                if any(tracker.get(p) in (NodeState.FAILED, NodeState.SKIPPED)
                       and not tracker.satisfied(p, self._condition(p, n))
                       for p in graph.predecessors(n))]

    def _condition(self, dependency: str, dependant: str) -> str:
        """The gate a dependant waits for: "started", "healthy" or "done" (delete order)."""
        resource = self.desired.resources.get(Address.parse(dependant))
        if resource is not None:
            for dep in resource.depends_on:
                if str(dep.target) == dependency:
                    return "started" if dep.condition.value == "service_started" else "healthy"
        return "done"

    def _finish(self, result: ApplyResult, lock: threading.Lock, tracker: Tracker, node: str,
                state: NodeState, outcome: NodeResult) -> None:
        outcome.message = self.events.redactor(outcome.message)  # a log tail may hold one
        with lock:
            result.results[node] = outcome
        kind = {"applied": "node.done", "unchanged": "node.done", "failed": "node.failed",
                "skipped": "node.skipped"}[outcome.outcome]
        self.events.emit(kind, node, outcome.message, action=outcome.action,
                         outcome=outcome.outcome)
        self.store.append_event(self.run_id, kind, node, outcome.message,
                                {"outcome": outcome.outcome, "action": outcome.action})
        tracker.set(node, state)

    # -- one node ----------------------------------------------------------------------------

    def _node_worker(self, node: str, tracker: Tracker, result: ApplyResult,
                     lock: threading.Lock) -> None:
        change: Change = self.plan.graph.nodes[node]["change"]
        try:
            outcome = self._apply_node(change, tracker)
        except ReconcilerError as exc:
            self._finish(result, lock, tracker, node, NodeState.FAILED,
                         NodeResult(node, "failed", exc.render_short(), change.action.verb))
            return
        except Exception as exc:  # a bug or an unmapped library error: fail this node only
            self._finish(result, lock, tracker, node, NodeState.FAILED,
                         NodeResult(node, "failed", f"internal error: {exc!r}",
                                    change.action.verb, error=exc))
            return
        self._finish(result, lock, tracker, node, NodeState.DONE, outcome)

    def _apply_node(self, planned: Change, tracker: Tracker) -> NodeResult:
        address = planned.address
        node = str(address)
        resource = self.desired.resources.get(address)
        actuator = self.actuators[address.kind]
        ctx = self.context_for(address)
        if resource is not None and planned.action is not Action.DELETE:
            wait_dependencies(resource, self.desired, self.plan.graph.nodes, self.actuators,
                              self.context_for, self.store, self.events, sleep=self.sleep)
        change = planned
        self.events.emit("node.start", node, f"{change.action.verb} {node}",
                         action=change.action.verb, reason=change.reason_text())
        observed = self._attempt(actuator, change, resource, ctx)
        if change.action is Action.DELETE or resource is None:
            self.store.forget(address, run_id=self.run_id)
            return NodeResult(node, "applied", "deleted", change.action.verb)
        self._record(resource, observed)
        tracker.set(node, NodeState.STARTED)
        if resource.health is not None and observed is not None:
            wait_ready(resource, observed, actuator, ctx, self.events, sleep=self.sleep)
        verb = {"create": "created", "replace": "replaced", "update": "updated"}
        return NodeResult(node, "applied", verb.get(change.action.verb, "applied"),
                          change.action.verb)

    def _attempt(self, actuator: Actuator, change: Change, resource: Resource | None,
                 ctx: ActuatorContext) -> Observed | None:
        delay = 0.5
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return actuator.apply(change, resource, ctx)
            except TransientError as exc:
                if attempt == MAX_ATTEMPTS:
                    raise
                self.events.emit("node.retry", change.address, exc.message, attempt=attempt)
                self.sleep(max(delay, exc.retry_after))
                delay *= 2
        raise ActuatorError("unreachable")  # pragma: no cover

    def _record(self, resource: Resource, observed: Observed | None) -> None:
        facts: dict[str, Any] = dict(observed.facts) if observed is not None else {}
        status = observed.status.value if observed is not None else "unknown"
        self.store.record(resource.address, spec=resource.portable_spec(),
                          spec_hash=resource.hash(),
                          depends_on=tuple(str(d.target) for d in resource.depends_on),
                          facts=facts, status=status, run_id=self.run_id)
