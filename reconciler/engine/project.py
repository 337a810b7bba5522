"""The pipeline, wired: load -> validate -> build -> observe -> diff -> plan -> policy ->
apply -> state.

A :class:`Project` binds a project directory, an optional session and its state store, and
runs the stages in order. The CLI and the watcher both call it; it never prints (events go to
``Project.events``). Stages are pure functions in their own modules; this module passes values
between them, takes the lease around apply and records: every :meth:`Project.plan` is a run
whose policy decisions go to the state; :meth:`Project.execute` refuses what policy denies
(its bookkeeping: reconciler/engine/execute.py)."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import actuators
from reconciler.actuators.base import ActuatorContext
from reconciler.config import RawDocument, interpolation_env, load
from reconciler.config.discover import stamp
from reconciler.engine import importing, ownership
from reconciler.engine.loading import load_and_build
from reconciler.engine.policy_step import evaluate_plan, load_layers, plan_outcome, policy_layers
from reconciler.engine.ports import PortAllocator, readopt
from reconciler.engine.support import (
    explain_held,
    observed_hashes,
    offline_observed,
    parse_target,
    schema_check,
    upgrade_paths,
    without_held,
)
from reconciler.errors import ConfigError, Diagnostic, Severity, StalePlanError
from reconciler.events import EventBus
from reconciler.model.build import project_name, project_of
from reconciler.model.changes import Observed
from reconciler.model.paths import localize
from reconciler.model.secrets import Redactor, secret_values
from reconciler.model.types import Address, DesiredState
from reconciler.policy.evaluation import EffectivePolicy, PolicyResult
from reconciler.state import StateStore
from reconciler.transports.pool import TransportPool

if TYPE_CHECKING:
    from reconciler.engine.apply import ApplyResult
    from reconciler.engine.plan import Plan
    from reconciler.state.records import ResourceRecord


@dataclass
class PlanRun:
    """Everything one planning pass produced; apply consumes it."""

    desired: DesiredState
    observed: dict[Address, Observed]
    plan: Plan
    warnings: list[Diagnostic] = field(default_factory=list)
    policy: PolicyResult = field(default_factory=PolicyResult)
    policy_sources: tuple[tuple[str, str], ...] = ()  # (layer, file) that were evaluated
    run_id: str | None = None  # the recorded run of this evaluation
    redactor: Redactor = field(default_factory=Redactor)  # the project's: masks renderings
    imports: Mapping[Address, ResourceRecord] = field(default_factory=dict)  # from `adopt:`


@dataclass
class Project:
    """One project directory (and session) with its state store and event bus."""

    directory: Path
    session: str | None = None
    state_dir: Path | None = None
    strict: bool = False
    events: EventBus = field(default_factory=EventBus)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    name: str | None = None  # the project's name, known once the config is loaded
    remove_volumes: bool = False  # `destroy --volumes`: handed to every ActuatorContext
    stop_timeout: float | None = None  # `stop --timeout`: handed to every ActuatorContext
    policy_file: Path | None = None  # the session layer (``--policy FILE``)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    run_meta: dict[str, Any] = field(default_factory=dict)  # added to every run's meta
    state_url: str | None = None  # ``--state``: a PostgreSQL URL, or None for the SQLite file
    lock_timeout: float = 0.0  # ``--lock-timeout``: seconds apply waits for a held lease
    adopt: bool = False  # ``--adopt``: take over objects another state's id marks
    _parsed: tuple[tuple[object, ...], tuple[list[RawDocument], list[Diagnostic]]] | None = \
        field(default=None, init=False, repr=False)  # (stamp, load()) of the last parse

    @cached_property
    def store(self) -> StateStore:
        """Opened on first use, once the config is there (a sync agent's first checkout)."""
        store = StateStore.open_project(self.directory, self.session, self.state_dir,
                                        self.state_url, project=self.config_name,
                                        environ=self.environ)
        if self.run_meta.get("commit"):
            store.stamp(commit=self.run_meta["commit"])
        return store

    @cached_property
    def config_name(self) -> str:
        """The project's name as its config says (before any state is opened: it names the
        default PostgreSQL schema and the secret key file)."""
        if self.name:
            return self.name
        self._parsed = (stamp(self.directory), load(self.directory))  # the first plan takes it
        docs = self._parsed[1][0]
        return project_name(docs) if docs else self.directory.resolve().name

    transports = cached_property(lambda self: TransportPool())

    # -- 1-3: config -------------------------------------------------------------------------

    def _load(self) -> tuple[list[RawDocument], list[Diagnostic]]:
        """The config files parsed, once per command: the parse :attr:`config_name` made is
        taken (once) by the first plan if no config file changed since (:func:`stamp`);
        every later call (a watcher's re-plans) parses again."""
        parsed, self._parsed = self._parsed, None
        if parsed is not None and parsed[0] and parsed[0] == stamp(self.directory):
            return parsed[1]
        return load(self.directory)

    def documents(self) -> tuple[list[RawDocument], list[Diagnostic]]:
        docs, diagnostics = self._load()
        diagnostics += schema_check(docs, self.store.state_dir, self.store.secret_key())
        return docs, diagnostics

    def env(self, docs: Sequence[RawDocument]) -> dict[str, str]:
        return interpolation_env(docs, self.environ)

    def desired(self, *, allocate: bool = True, decrypt: bool = True
                ) -> tuple[DesiredState, list[Diagnostic]]:
        """Load, validate and build (once); raise ConfigError when any error was found.
        ``decrypt`` False checks SOPS references by key name only (a destroy needs no key)."""
        loaded = load_and_build(self.directory, environ=self.environ, session=self.session,
                                strict=self.strict, secret_key=self.store.secret_key(),
                                root=os.path.abspath(self.directory), documents=self.documents,
                                ports=self._allocator if allocate else None, decrypt=decrypt)
        state, diagnostics = loaded.desired, loaded.diagnostics
        if state is None or loaded.errors:
            raise ConfigError(diagnostics)
        self.name = state.project
        self.transports.configure(state)
        self.events.redactor.add(secret_values((r.secrets for r in state.resources.values()),
                                               loaded.env))
        for diagnostic in diagnostics:
            self.events.emit("diagnostic", diagnostic.address, diagnostic.render())
        return state, diagnostics

    def _allocator(self, docs: list[RawDocument]) -> PortAllocator:
        """Recorded ports first; an auto port with none recorded takes the one the owner
        marks of its running object carry (:func:`readopt`), else a free one."""
        def adopt(fresh: Sequence[str]) -> dict[str, int]:
            self.name, settings = project_of(docs)
            self.transports.configure_settings(settings)
            return readopt(fresh, self.context_for)

        return PortAllocator(self.store.allocations(), salt=str(self.store.state_dir),
                             adopt=adopt)

    # -- 4-6: observe, diff, plan ------------------------------------------------------------

    def context_for(self, address: Address) -> ActuatorContext:
        project = self.project_name
        scope = f"{project}_{self.session}" if self.session else project
        return ActuatorContext(project=project, scope=scope, state_dir=self.store.state_dir,
                               transport=self.transports.get(address.host),
                               events=self.events, session=self.session,
                               state_id=self.store.state_id() if self.store.backend.exists()
                               else None,  # read-only use never creates the state
                               project_dir=str(self.directory.resolve()),
                               remove_volumes=self.remove_volumes,
                               stop_timeout=self.stop_timeout)

    @property
    def project_name(self) -> str:
        return self.name or self.directory.resolve().name

    def observe(self, desired: DesiredState,
                imports: Mapping[Address, ResourceRecord] | None = None) -> dict[Address, Observed]:
        from reconciler.engine import observe

        records = {**self.store.resources(), **(imports or {})}  # planned `adopt:` imports
        return observe.snapshot(desired, records, self.context_for)

    def plan(self, *, targets: Sequence[str] = (), replace: Collection[str] = (),
             destroy: bool = False, refresh: bool = True, kind: str = "plan",
             record: bool = True, desired: DesiredState | None = None) -> PlanRun:
        """Plan and evaluate the policy; recorded as a run of ``kind`` with its decisions
        (``record=False``, for a watcher's frequent re-plans: the decisions only).
        ``desired`` skips loading the config (a watcher healing from the last good one)."""
        run_id = self.store.begin_run(kind, meta={**self.run_meta, "targets": list(targets),
                                                  "destroy": destroy, "refresh": refresh}) \
            if record else None
        try:
            run = self._plan(targets, replace, destroy, refresh, desired)
            run.run_id = run_id
            self._decide(run)
        except BaseException as exc:
            if run_id is not None:
                error = self.events.redactor(str(exc)) or type(exc).__name__
                self.store.end_run(run_id, result="error", summary={"error": error})
            raise
        if run_id is not None:
            result, counts = plan_outcome(run.policy)
            self.store.end_run(run_id, result=result, summary={
                **run.plan.summary(), "inputs_hash": run.plan.inputs_hash, **counts})
        return run

    def _plan(self, targets: Sequence[str], replace: Collection[str], destroy: bool,
              refresh: bool, given: DesiredState | None) -> PlanRun:
        from reconciler.engine import diff
        from reconciler.engine.plan import build as build_plan

        desired, diagnostics = ((given, []) if given is not None
                                else self.desired(decrypt=not destroy))
        holds = {} if destroy else self.store.holds()
        desired = without_held(desired, holds)
        records = upgrade_paths(self.store, desired)
        for resource in desired.resources.values():
            actuators.load(resource.kind)
        imports = importing.config_imports(self, desired, records) if refresh else {}
        records = {**records, **imports}
        observed = self.observe(desired, imports) if refresh else offline_observed(records)
        root = os.path.abspath(self.directory)
        last_applied = {a: localize(r.spec, root) for a, r in records.items()}
        changes = diff.compute(desired, observed, last_applied,
                               replace=[parse_target(t) for t in replace], destroy=destroy,
                               adopt=self.adopt)
        changes = explain_held(changes, holds)
        plan = build_plan(changes, desired,
                          recorded_depends={a: r.depends_on for a, r in records.items()},
                          targets=[parse_target(t) for t in targets],
                          observed_hashes=observed_hashes(observed))
        warnings = [d for d in diagnostics if d.severity is Severity.WARNING]
        return PlanRun(desired, observed, plan, warnings, redactor=self.events.redactor,
                       imports=imports)

    # -- policy ------------------------------------------------------------------------------

    def policy(self) -> EffectivePolicy:
        """The merged policy layers; ConfigError (file:line:col) when a file is invalid."""
        policy, diagnostics = load_layers(policy_layers(
            self.directory, self.store.state_dir, self.policy_file, self.environ))
        if any(d.severity is Severity.ERROR for d in diagnostics):
            raise ConfigError(diagnostics)
        return policy

    def _decide(self, run: PlanRun) -> None:
        """Evaluate the policy on ``run.plan`` and append every decision record."""
        policy = self.policy()
        result = evaluate_plan(policy, run.plan, now=self.clock(), directory=self.directory,
                               approvals=self.store.approved_hashes())
        self.store.record_decisions(run.run_id, [self.events.redactor.scrub(r.to_json())
                                                 for r in result.records])
        for decision in result.final:
            self.events.emit("policy.decision", decision.address, decision.reason,
                             outcome=decision.outcome.value, rule_id=decision.rule_id)
        run.policy = result
        run.policy_sources = policy.sources

    def enforce(self, run: PlanRun, *, plan_file: str | None = None,
                destroy: bool = False) -> None:
        """Raise PolicyDenied when the plan holds a deny or an unapproved require_approval,
        OwnedElsewhere when it would change objects another state made (without --adopt)."""
        from reconciler.engine.policy_step import refusal

        refused = refusal(run.policy, plan_file=plan_file, destroy=destroy)
        if refused is not None:
            raise refused
        ownership.refuse(run.plan, self.store.state_id(), self.directory.resolve())

    # -- 7-8: apply and record ---------------------------------------------------------------

    def locked(self) -> AbstractContextManager[Any]:
        """The project's lease: held around plan + confirm + apply, never by read-only use."""
        return self.store.lease(f"{getpass.getuser()}@{socket.gethostname()}",
                                wait=self.lock_timeout)

    def check_saved(self, run: PlanRun, saved_hash: str) -> None:
        """Refuse a saved plan whose inputs (config + observed world) changed since."""
        if run.plan.inputs_hash != saved_hash:
            raise StalePlanError(
                "the saved plan is stale: the configuration or the world changed since it "
                "was made", hint="run `reconciler plan -out FILE` again and review it")

    def execute(self, run: PlanRun, *, parallelism: int = 10, kind: str = "apply") -> ApplyResult:
        """Walk the plan and record every node. Call inside :meth:`locked`.

        Refuses (PolicyDenied, before touching anything) a plan the policy does not allow.
        Also records the ``adopt:`` imports (call it too for a plan with no changes).
        """
        from reconciler.engine.execute import execute

        return execute(self, run, parallelism=parallelism, kind=kind)
