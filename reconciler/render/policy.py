"""The "Policy" section of a rendered plan: text, Markdown and the JSON ``policy`` object.

Shows what a policy evaluation means for the plan: denials, changes that need approval,
approvals that were applied and warnings, each with its rule id, the rule's origin
(``file:line:col``) and its message. Allowed-by-default changes are only counted. The shape of
the JSON object is :class:`reconciler.render.plan_schema.PolicySection`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.policy.evaluation import Decision, PolicyResult

LABELS = {"deny": "denied", "require_approval": "needs approval", "warn": "warning",
          "approved": "approved"}


def policy_result(result: PolicyResult) -> str:
    if result.denied:
        return "denied"
    return "needs_approval" if result.needs_approval else "allowed"


def policy_json(result: PolicyResult, sources: tuple[tuple[str, str], ...]) -> dict[str, object]:
    """The plan JSON's ``policy`` object: every decision, rule-level and final."""
    return {"result": policy_result(result),
            "sources": [{"layer": layer, "file": file} for layer, file in sources],
            "decisions": [{"address": str(d.address), "action": d.action.verb,
                           "outcome": d.outcome.value, "rule_id": d.rule_id,
                           "origin": d.rule_origin, "layer": d.layer, "reason": d.reason,
                           "final": d.final, "approved": d.approved}
                          for d in result.decisions]}


def notable(result: PolicyResult) -> list[tuple[str, Decision]]:
    """(label, decision) worth showing: denials, approvals needed or given, warnings."""
    rows: list[tuple[str, Decision]] = []
    rows += [("deny", d) for d in result.denied]
    rows += [("require_approval", d) for d in result.needs_approval]
    rows += [("approved", d) for d in result.final if d.approved]
    rows += [("warn", d) for d in result.warnings]
    return rows


def headline(result: PolicyResult, sources: tuple[tuple[str, str], ...]) -> str:
    finals = result.final
    counts = [f"{len(result.denied)} denied", f"{len(result.needs_approval)} need approval",
              f"{len(result.warnings)} warning(s)"]
    approved = sum(1 for d in finals if d.approved)
    if approved:
        counts.append(f"{approved} approved")
    layers = ", ".join(f"{layer}: {file}" for layer, file in sources) or "no policy files"
    return f"Policy: {len(finals)} change(s) checked, {', '.join(counts)} ({layers})."


def policy_lines(result: PolicyResult, sources: tuple[tuple[str, str], ...]) -> list[str]:
    """Plain text lines of the section; empty when there is no policy and nothing to say."""
    rows = notable(result)
    if not sources and not rows:
        return []
    lines = ["Policy:"] if rows else []
    for label, decision in rows:
        origin = f" at {decision.rule_origin}" if decision.rule_origin else ""
        lines.append(f"  {LABELS[label]}: {decision.address} ({decision.action.verb}) "
                     f"rule {decision.rule_id!r}{origin}")
        lines.append(f"      {decision.reason}")
    if rows:
        lines.append("")
    lines.append(headline(result, sources))
    return lines


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def policy_markdown(result: PolicyResult, sources: tuple[tuple[str, str], ...]) -> list[str]:
    """A Markdown section (heading, verdict, table of notable decisions)."""
    rows = notable(result)
    if not sources and not rows:
        return []
    verdict = {"denied": ":no_entry: **denied**", "needs_approval":
               ":hourglass: **needs approval** (`reconciler approve PLANFILE`)",
               "allowed": ":white_check_mark: **allowed**"}[policy_result(result)]
    out = ["#### Policy", "", f"{verdict}: {headline(result, sources)[len('Policy: '):]}", ""]
    if rows:
        out += ["| decision | address | action | rule | origin | message |",
                "| --- | --- | --- | --- | --- | --- |"]
        for label, d in rows:
            out.append(f"| {LABELS[label]} | `{d.address}` | {d.action.verb} | "
                       f"`{_cell(d.rule_id)}` | {_cell(d.rule_origin)} | {_cell(d.reason)} |")
        out.append("")
    return out
