"""Policy: policy.yaml layers x planned changes -> decisions and Policy Decision Records.

Pure stage of the pipeline (between plan and apply). :func:`load_policies` reads the policy
layers (user, project, session override), validates each file against its schema and compiles
the rules, reporting every problem as a ``file:line:col`` diagnostic. :func:`evaluate` decides
each planned change: every matching rule of every layer yields a :class:`Decision`, and the
change's final outcome is the most severe of them (deny > require_approval > warn > allow;
nothing matching means allow), so an allow never overrides a deny. Approved plans turn
require_approval into allow. Each decision gets a :class:`DecisionRecord` for the state
store; this module writes nothing and prints nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reconciler.errors import Diagnostic, SourceRange, error, has_errors
from reconciler.model.changes import Action, Change
from reconciler.model.types import Address
from reconciler.policy.rules import ChangeFacts, Outcome, Rule

__all__ = ["Decision", "DecisionRecord", "EffectivePolicy", "Outcome", "PolicyResult",
           "evaluate", "load_policies"]

OPTIONAL_LAYERS = frozenset({"user", "project", "neona"})


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    """The merged rules of every layer, in layer order then file order."""

    rules: tuple[Rule, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()  # (layer, file) actually loaded

    def describe(self) -> list[dict[str, object]]:
        """One JSON-able entry per rule, with its layer and ``file:line`` origin."""
        return [rule.describe() for rule in self.rules]

    @property
    def empty(self) -> bool:
        return not self.rules


@dataclass(frozen=True, slots=True)
class Decision:
    """One rule's decision on one change, or (``final``) the change's outcome."""

    address: Address
    action: Action
    outcome: Outcome
    rule_id: str
    rule_origin: str
    layer: str
    reason: str
    final: bool = False
    approved: bool = False


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A Policy Decision Record: what was decided, by which rule, on which inputs."""

    id: str
    time: str
    rule_id: str
    rule_origin: str
    address: str
    action: str
    outcome: str
    reason: str
    inputs_hash: str
    git_commit: str | None
    final: bool = False

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "time": self.time, "rule_id": self.rule_id,
                "rule_origin": self.rule_origin, "address": self.address,
                "action": self.action, "outcome": self.outcome, "reason": self.reason,
                "inputs_hash": self.inputs_hash, "git_commit": self.git_commit,
                "final": self.final}


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """Every decision (per matching rule, then one final per change) and their records."""

    decisions: list[Decision] = field(default_factory=list)
    records: list[DecisionRecord] = field(default_factory=list)

    @property
    def final(self) -> list[Decision]:
        return [d for d in self.decisions if d.final]

    @property
    def denied(self) -> list[Decision]:
        return [d for d in self.final if d.outcome is Outcome.DENY]

    @property
    def needs_approval(self) -> list[Decision]:
        return [d for d in self.final if d.outcome is Outcome.REQUIRE_APPROVAL]

    @property
    def warnings(self) -> list[Decision]:
        """Every rule that warned, even on a change another rule denied."""
        return [d for d in self.decisions if not d.final and d.outcome is Outcome.WARN]

    @property
    def allowed(self) -> list[Decision]:
        """Changes that may go ahead (final outcome allow or warn)."""
        return [d for d in self.final if d.outcome in (Outcome.ALLOW, Outcome.WARN)]

    @property
    def exit_ok(self) -> bool:
        return not self.denied and not self.needs_approval

    def outcome_for(self, address: Address) -> Outcome:
        for decision in self.final:
            if decision.address == address:
                return decision.outcome
        return Outcome.ALLOW


def load_policies(paths: Sequence[tuple[Path, str]]
                  ) -> tuple[EffectivePolicy, list[Diagnostic]]:
    """Load the policy layers ``(path, layer)`` in order (user, project, session).

    A missing file of the ``user`` or ``project`` layer is simply absent; a missing file of
    any other layer (an explicit override) is an error. A file with any error contributes no
    rules; callers must refuse to go on when the diagnostics hold an error.
    """
    from reconciler.config.policy_yaml import parse_policy_file
    from reconciler.policy.build import build_rules
    from reconciler.policy.schema import validate_policy_data

    rules: list[Rule] = []
    sources: list[tuple[str, str]] = []
    diagnostics: list[Diagnostic] = []
    for path, layer in paths:
        if not path.exists():
            if layer not in OPTIONAL_LAYERS:
                diagnostics.append(error(f"policy file for layer {layer!r} does not exist",
                                         SourceRange(str(path)),
                                         hint="check the path given for the override"))
            continue
        if layer == "neona":  # a Neona .ai/policy.yaml, read by its own module
            from reconciler.policy.neona import neona_rules

            neona, diags = neona_rules(path)
            diagnostics.extend(diags)
            if not has_errors(diags):
                rules.extend(neona)
                sources.append((layer, str(path)))
            continue
        doc, diags = parse_policy_file(path)
        diagnostics.extend(diags)
        if doc is None:
            continue
        model, diags = validate_policy_data(doc)
        diagnostics.extend(diags)
        if model is None:
            continue
        built, diags = build_rules(model, doc, layer)
        diagnostics.extend(diags)
        if has_errors(diags):
            continue  # a file with errors contributes no rules at all
        rules.extend(built)
        sources.append((layer, str(path)))
    return EffectivePolicy(tuple(rules), tuple(sources)), diagnostics


def _rule_decision(rule: Rule, facts: ChangeFacts, now: datetime) -> Decision | None:
    """The decision of ``rule`` on ``facts``, or None when it does not apply."""
    if not rule.match.matches(facts):
        return None
    if rule.check is not None and not rule.check(facts, now):
        return None
    reason = rule.reason(facts)
    outcome = rule.decision
    if rule.when is not None:
        from reconciler.policy.cel import CelEvalError

        try:
            if not rule.when.evaluate(facts.activation(now)):
                return None
        except CelEvalError as exc:
            if rule.on_error == "skip":
                outcome = Outcome.WARN
                reason = f"rule skipped: its condition could not be evaluated ({exc})"
            else:
                reason = f"{reason} (condition could not be evaluated: {exc})"
    change = facts.change
    return Decision(change.address, change.action, outcome, rule.id, str(rule.origin),
                    rule.layer, reason)


def _final(change: Change, matched: list[Decision], inputs_hash: str,
           approvals: Collection[str]) -> Decision:
    if not matched:
        return Decision(change.address, change.action, Outcome.ALLOW, "default", "", "",
                        "no policy rule matched: allowed by default", final=True)
    top = max(matched, key=lambda d: d.outcome.severity)  # first of the most severe
    if top.outcome is Outcome.REQUIRE_APPROVAL and (
            inputs_hash in approvals or str(change.address) in approvals):
        return Decision(change.address, change.action, Outcome.ALLOW, top.rule_id,
                        top.rule_origin, top.layer, f"approved: {top.reason}", final=True,
                        approved=True)
    return Decision(change.address, change.action, top.outcome, top.rule_id, top.rule_origin,
                    top.layer, top.reason, final=True)


def _record(decision: Decision, when: str, inputs_hash: str,
            git_commit: str | None) -> DecisionRecord:
    return DecisionRecord(uuid.uuid4().hex, when, decision.rule_id, decision.rule_origin,
                          str(decision.address), decision.action.verb, decision.outcome.value,
                          decision.reason, inputs_hash, git_commit, decision.final)


def evaluate(policy: EffectivePolicy, changes: Sequence[Change], *, now: datetime,
             inputs_hash: str, git_commit: str | None,
             approvals: Collection[str] = ()) -> PolicyResult:
    """Decide every non-noop change of a plan; one record per decision.

    ``approvals`` holds approved plan hashes (or addresses): a change whose outcome is
    require_approval is allowed when ``inputs_hash`` (or its address) is in it.
    """
    if now.tzinfo is None:
        raise ValueError("evaluate() needs a timezone-aware `now`")
    when = now.astimezone(UTC).isoformat()
    decisions: list[Decision] = []
    for change in changes:
        if change.is_noop:
            continue
        facts = ChangeFacts.of(change)
        matched = [d for rule in policy.rules
                   if (d := _rule_decision(rule, facts, now)) is not None]
        decisions.extend(matched)
        decisions.append(_final(change, matched, inputs_hash, approvals))
    records = [_record(d, when, inputs_hash, git_commit) for d in decisions]
    return PolicyResult(decisions, records)
