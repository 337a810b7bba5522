"""The Markdown rendering of a plan: a CI job summary or a pull-request comment.

A header with the counts, one table row per planned change (| action | address | reason |),
and the field diffs of each change in a collapsed ``<details>`` block, then the policy section
when a policy result is given. No colours; secrets masked as in every rendering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.render.plan_values import NO_CHANGES, body, summary_line

if TYPE_CHECKING:
    from reconciler.engine.plan import Plan
    from reconciler.model.changes import Change
    from reconciler.policy.evaluation import PolicyResult


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _details(change: Change) -> list[str]:
    lines = body(change)
    if not lines:
        return []
    count = len(lines)
    noun = "change" if change.field_diffs else "field"
    summary = f"<code>{change.address}</code>: {count} {noun}{'s' if count != 1 else ''}"
    text = [f"{mark} {line}" + ("  # forces replacement" if forced else "")
            for mark, line, forced in lines]
    # backticks in values cannot end the fence: use a longer fence than any run inside
    fence = "```"
    while any(fence in t for t in text):
        fence += "`"
    return ["<details>", f"<summary>{summary}</summary>", "", fence + "diff", *text, fence,
            "", "</details>", ""]


def render_plan_md(plan: Plan, *, policy: PolicyResult | None = None,
                   policy_sources: tuple[tuple[str, str], ...] = ()) -> str:
    """The plan as GitHub-flavoured Markdown (with a policy section when ``policy`` given)."""
    title = f"### reconciler plan for `{plan.scope}`"
    changes = plan.actionable()
    section: list[str] = []
    if policy is not None:
        from reconciler.render.policy import policy_markdown

        section = policy_markdown(policy, policy_sources)
    if not changes:
        return "\n".join([title, "", NO_CHANGES, "", *section]).rstrip("\n") + "\n"
    out = [title, "", f"**{summary_line(plan.summary())}**", ""]
    if plan.targets:
        out += [f"_Limited to --target {', '.join(plan.targets)} and what it needs._", ""]
    out += ["| action | address | reason |", "| --- | --- | --- |"]
    for change in changes:
        out.append(f"| {change.action.verb} | `{change.address}` | "
                   f"{_cell(change.reason_text())} |")
    out.append("")
    for change in changes:
        out += _details(change)
    out += section
    return "\n".join(out).rstrip("\n") + "\n"
