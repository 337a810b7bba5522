"""Stage 7: walk a Plan's DAG and carry out each change through its actuator.

Owns the scheduling rules of ARCHITECTURE.md "Apply rules": bounded parallelism; a node starts
only when every predecessor has finished and every dependency satisfies its ``condition``
(started / healthy / completed); a failed node skips everything downstream while independent
branches go on; transient errors retry with backoff; state is written after every node
(committed in batches while the apply runs: a crash loses at most the last batch, whose
processes the next observe finds by their marks). Health waiting and dependency
gates live in :mod:`reconciler.engine.gates`. A process start is up once exec'd; the apply's
:class:`~reconciler.transports.pidwatch.ExitWatch` fails a node whose process exits before the
apply ends (even after the node was done), and the apply ends only when every process it
started has lived ``grace`` seconds (``CRASH_GRACE``; 0 under ``reconciler watch``, whose own
pidfd watch sees a later exit as another exit to heal, counted by its restart backoff).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from reconciler.actuators.base import Actuator, ActuatorContext
from reconciler.engine.gates import NodeState, Tracker, wait_dependencies, wait_ready
from reconciler.engine.plan import Plan
from reconciler.errors import ActuatorError, ReconcilerError, TransientError
from reconciler.events import EventBus
from reconciler.model.changes import Action, Change, Observed
from reconciler.model.types import Address, DesiredState, Resource
from reconciler.state import StateStore
from reconciler.transports.pidwatch import ExitWatch

MAX_ATTEMPTS = 3
# At its end an apply waits until every process it started has run this long (or ended):
# a process that dies at once (bad flag, missing file) fails the apply that started it.
CRASH_GRACE = 0.15


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
    grace: float = CRASH_GRACE  # how long each started process must live before the end
    _crashes: dict[str, BaseException] = field(default_factory=dict, init=False)
    _watch: ExitWatch | None = field(default=None, init=False)
    _contexts: dict[str, ActuatorContext] = field(default_factory=dict, init=False)

    def run(self) -> ApplyResult:
        graph = self.plan.graph
        tracker = Tracker(list(graph.nodes))
        result = ApplyResult()
        lock = threading.Lock()
        pending = set(graph.nodes)
        self.events.emit("apply.start", None, f"applying {len(pending)} change(s)",
                         total=len(pending), run_id=self.run_id)
        self._watch = ExitWatch(lambda node, error: self._crashed(node, error, tracker,
                                                                   result, lock))
        try:
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
            self._watch.settle(self.grace)
        finally:
            self._watch.close()
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

    def _crashed(self, node: str, error: BaseException, tracker: Tracker, result: ApplyResult,
                 lock: threading.Lock) -> None:
        """A process this apply started ended while it ran: fail its node (now, or when its
        worker finishes); dependants not yet started are skipped."""
        with lock:
            self._crashes[node] = error
            done = result.results.get(node)
            if done is None or done.outcome not in ("applied", "unchanged"):
                return  # still in its worker (which sees the crash) or failed already
            outcome = NodeResult(node, "failed", _describe(error), done.action)
            result.results[node] = outcome
            tracker.set(node, NodeState.FAILED)
        self._report(node, outcome)

    def _finish(self, result: ApplyResult, lock: threading.Lock, tracker: Tracker, node: str,
                state: NodeState, outcome: NodeResult) -> None:
        with lock:
            crash = self._crashes.get(node)
            if crash is not None and outcome.outcome in ("applied", "unchanged"):
                state = NodeState.FAILED
                outcome = NodeResult(node, "failed", _describe(crash), outcome.action)
            result.results[node] = outcome
            tracker.set(node, state)
        self._report(node, outcome)

    def _report(self, node: str, outcome: NodeResult) -> None:
        outcome.message = self.events.redactor(outcome.message)  # a crash's tail may hold one
        kind = {"applied": "node.done", "unchanged": "node.done", "failed": "node.failed",
                "skipped": "node.skipped"}[outcome.outcome]
        self.events.emit(kind, node, outcome.message, action=outcome.action,
                         outcome=outcome.outcome)
        self.store.append_event(self.run_id, kind, node, outcome.message,
                                {"outcome": outcome.outcome, "action": outcome.action})

    # -- one node ----------------------------------------------------------------------------

    def _node_worker(self, node: str, tracker: Tracker, result: ApplyResult,
                     lock: threading.Lock) -> None:
        change: Change = self.plan.graph.nodes[node]["change"]
        try:
            outcome = self._apply_node(change, tracker)
        except ReconcilerError as exc:
            self._finish(result, lock, tracker, node, NodeState.FAILED,
                         NodeResult(node, "failed", _describe(exc), change.action.verb))
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
        ctx = self._context(address)
        if resource is not None and planned.action is not Action.DELETE:
            wait_dependencies(resource, self.desired, self.plan.graph.nodes, self.actuators,
                              self._context, self.store, self.events, sleep=self.sleep)
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
            watch = self._watch
            wait_ready(resource, observed, actuator, ctx, self.events, sleep=self.sleep,
                       crashed=None if watch is None else lambda: watch.crash(node))
        verb = {"create": "created", "replace": "replaced", "update": "updated"}
        return NodeResult(node, "applied", verb.get(change.action.verb, "applied"),
                          change.action.verb)

    def _context(self, address: Address) -> ActuatorContext:
        """The node's context, carrying this apply's exit watch for the processes it starts
        (one per host: a context depends on the host only, and making one stats the state)."""
        ctx = self._contexts.get(address.host)
        if ctx is None:
            ctx = self._contexts[address.host] = replace(self.context_for(address),
                                                         exit_watch=self._watch)
        return ctx

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
        facts: dict[str, object] = dict(observed.facts) if observed is not None else {}
        status = observed.status.value if observed is not None else "unknown"
        self.store.record(resource.address, spec=resource.portable_spec(),
                          spec_hash=resource.hash(),
                          depends_on=tuple(str(d.target) for d in resource.depends_on),
                          facts=facts, status=status, run_id=self.run_id)


def _describe(error: BaseException) -> str:
    if isinstance(error, ReconcilerError):
        return error.render_short()
    return f"internal error: {error!r}"
