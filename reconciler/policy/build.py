"""Compile one validated policy file into :class:`~reconciler.policy.rules.Rule` values.

Turns the ``rules:`` list (with their CEL conditions) and the convenience keys
(``protect``, ``allowed_hosts``, ``allowed_registries``, ``change_windows``) of a
:class:`~reconciler.policy.schema.PolicyFile` into rules that carry their layer and their
``file:line:col`` origin. Problems the schema cannot see (duplicate rule ids, bad CEL,
unknown time zones) come back as diagnostics at the offending value.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from reconciler.config.policy_yaml import PolicyDocument
from reconciler.errors import Diagnostic, error
from reconciler.policy.rules import (
    WRITE_ACTIONS,
    ChangeFacts,
    ChangeWindow,
    Match,
    Outcome,
    Rule,
    host_allowed,
    image_registry_ok,
)

if TYPE_CHECKING:
    from reconciler.policy.schema import MatchModel, PolicyFile, RuleModel


def _match(model: MatchModel | None) -> Match:
    if model is None:
        return Match()
    return Match(
        actions=frozenset(model.actions) if model.actions is not None else None,
        kinds=frozenset(model.kinds) if model.kinds is not None else None,
        names=tuple(model.names) if model.names is not None else None,
        hosts=tuple(model.hosts) if model.hosts is not None else None,
        labels=dict(model.labels) if model.labels is not None else None,
    )


def _rule(model: RuleModel, index: int, doc: PolicyDocument,
          layer: str) -> tuple[Rule | None, list[Diagnostic]]:
    when = None
    if model.when is not None:
        from reconciler.policy.cel import compile_condition

        when, diags = compile_condition(doc, ("rules", index, "when"), model.when, model.id)
        if when is None:
            return None, diags
    return Rule(id=model.id, decision=Outcome(model.decision), message=model.message,
                layer=layer, origin=doc.where("rules", index), match=_match(model.match),
                description=model.description or "", when=when,
                on_error=model.on_error), []


def _protect_rules(model: PolicyFile, doc: PolicyDocument, layer: str) -> list[Rule]:
    return [Rule(id=f"protect:{glob}", decision=Outcome.REQUIRE_APPROVAL,
                 message="{address} is protected: deleting or replacing it needs approval",
                 layer=layer, origin=doc.where_value("protect", i),
                 match=Match(actions=frozenset({"delete", "replace"}), names=(glob,)))
            for i, glob in enumerate(model.protect)]


def _hosts_rule(hosts: list[str], doc: PolicyDocument, layer: str) -> Rule:
    allowed = tuple(hosts)

    def outside(facts: ChangeFacts, _now: datetime) -> bool:
        return not host_allowed(facts.change.address.host, allowed)

    return Rule(id="allowed_hosts", decision=Outcome.DENY,
                message="host of {address} is not in allowed_hosts",
                layer=layer, origin=doc.where("allowed_hosts"),
                match=Match(actions=WRITE_ACTIONS), check=outside,
                condition="host not in: " + ", ".join(("local", *allowed)))


def _registries_rule(registries: list[str], doc: PolicyDocument, layer: str) -> Rule:
    allowed = tuple(registries)

    def foreign(facts: ChangeFacts, _now: datetime) -> bool:
        image = facts.spec.get("image")
        return isinstance(image, str) and not image_registry_ok(image, allowed)

    return Rule(id="allowed_registries", decision=Outcome.DENY,
                message="image of {address} is not from an allowed registry",
                layer=layer, origin=doc.where("allowed_registries"),
                match=Match(actions=WRITE_ACTIONS), check=foreign,
                condition="spec.image not from: " + ", ".join(allowed))


def _windows_rule(model: PolicyFile, doc: PolicyDocument,
                  layer: str) -> tuple[Rule | None, list[Diagnostic]]:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only a policy with windows

    windows: list[ChangeWindow] = []
    diags: list[Diagnostic] = []
    for i, win in enumerate(model.change_windows or ()):
        try:
            ZoneInfo(win.tz)
        except (ZoneInfoNotFoundError, ValueError):
            diags.append(error(f"unknown time zone {win.tz!r}",
                               doc.where_value("change_windows", i, "tz"),
                               hint="use an IANA name like UTC or Europe/Paris"))
            continue
        windows.append(ChangeWindow(frozenset(win.days), time.fromisoformat(win.start),
                                    time.fromisoformat(win.end), win.tz))
    if diags:
        return None, diags
    frozen = tuple(windows)

    def outside(_facts: ChangeFacts, now: datetime) -> bool:
        return not any(w.contains(now) for w in frozen)

    return Rule(id="change_windows", decision=Outcome.DENY,
                message="{action} of {address} is outside every change window",
                layer=layer, origin=doc.where("change_windows"), check=outside,
                condition="outside: " + "; ".join(w.describe() for w in frozen)), []


def build_rules(model: PolicyFile, doc: PolicyDocument,
                layer: str) -> tuple[list[Rule], list[Diagnostic]]:
    """Every rule of one file, in file order, then the convenience rules."""
    rules: list[Rule] = []
    diagnostics: list[Diagnostic] = []
    seen: dict[str, int] = {}
    for index, rule_model in enumerate(model.rules):
        if rule_model.id in seen:
            first = doc.where_value("rules", seen[rule_model.id], "id")
            diagnostics.append(error(f"duplicate rule id {rule_model.id!r}",
                                     doc.where_value("rules", index, "id"),
                                     detail=f"first defined at {first}",
                                     hint="give every rule of a file its own id"))
            continue
        seen[rule_model.id] = index
        rule, diags = _rule(rule_model, index, doc, layer)
        diagnostics.extend(diags)
        if rule is not None:
            rules.append(rule)
    rules.extend(_protect_rules(model, doc, layer))
    if model.allowed_hosts is not None:
        rules.append(_hosts_rule(model.allowed_hosts, doc, layer))
    if model.allowed_registries is not None:
        rules.append(_registries_rule(model.allowed_registries, doc, layer))
    if model.change_windows is not None:
        rule, diags = _windows_rule(model, doc, layer)
        diagnostics.extend(diags)
        if rule is not None:
            rules.append(rule)
    return rules, diagnostics
