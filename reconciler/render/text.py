"""The Terraform-style text rendering of a plan (``reconciler plan``, ``apply``, ``destroy``).

Plain text when ``color`` is False; with ``color`` the same lines go through rich markup on a
forced terminal (green ``+``, yellow ``~``, magenta ``-/+``, red ``-``). Secrets show as
``(sensitive value)``. The output depends only on the plan (and the policy result, when one
is given: a "Policy" section after the summary line), so it is byte-identical for the same
inputs. A change to an object another state owns gets a ``! ADDRESS is owned by another
state (id ..., dir ...)`` line above it (apply refuses it without ``--adopt``). Attached
resources (observed, never managed) get one ``# ADDRESS: attached, not managed`` line each
before the summary.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from reconciler.model.changes import Action, ReasonCode
from reconciler.render.plan_values import NO_CHANGES, body, headline, summary_line

if TYPE_CHECKING:
    from reconciler.engine.plan import Plan
    from reconciler.policy.evaluation import PolicyResult

STYLE = {"+": "green", "~": "yellow", "-/+": "magenta", "-": "red", " ": "dim", "<=": "cyan"}
INTRO = "reconciler will perform the following actions:"


class _Painter:
    """Wraps text in rich markup (escaped) when colour is on, else leaves it alone."""

    def __init__(self, color: bool):
        self.color = color

    def __call__(self, text: str, style: str = "") -> str:
        if not self.color:
            return text
        from rich.markup import escape

        return f"[{style}]{escape(text)}[/]" if style else escape(text)


def render_plan(plan: Plan, *, color: bool = False, show_noop: bool = False,
                policy: PolicyResult | None = None,
                policy_sources: tuple[tuple[str, str], ...] = ()) -> str:
    """The plan as Terraform-style text, ending with the summary line (then the policy)."""
    paint = _Painter(color)
    planned = {str(c.address) for c in plan.actionable()}
    lines: list[str] = []
    for change in plan.changes:
        address = str(change.address)
        if address not in planned and not (show_noop and change.is_noop):
            continue
        symbol = change.action.value
        style = STYLE.get(symbol, "")
        lines.append("  " + paint(f"# {headline(change)}", "bold"))
        if change.is_noop:
            lines.append("")
            continue
        lines += ["  " + paint(f"! {address} is {reason.message}", "red")
                  for reason in change.reasons if reason.code is ReasonCode.OWNED_ELSEWHERE]
        lines.append("  " + paint(symbol, style) + " " + paint(address, "bold"))
        for mark, text, forced in body(change):
            line = "      " + paint(mark, STYLE[mark]) + " " + paint(text)
            if forced:
                line += paint("   # forces replacement", "red")
            lines.append(line)
        lines.append("")
    attached = [paint(f"  # {c.address}: {r.message}", "dim") for c in plan.changes
                for r in c.reasons if c.is_noop and r.code is ReasonCode.ATTACHED]
    notes = [*attached, ""] if attached else []
    if planned:
        out = [paint(INTRO), "", *lines, *notes, paint(summary_line(plan.summary()), "bold")]
    else:
        out = [*lines, *notes, paint(NO_CHANGES, "green" if color else "")]
    if plan.targets:
        out += ["", paint("Note: planned only for --target " + ", ".join(plan.targets)
                          + " and what it needs.", "yellow")]
    if policy is not None:
        out += _policy_lines(policy, policy_sources, paint)
    return _emit(out, color)


def _policy_lines(policy: PolicyResult, sources: tuple[tuple[str, str], ...],
                  paint: _Painter) -> list[str]:
    from reconciler.render.policy import policy_lines

    lines = policy_lines(policy, sources)
    if not lines:
        return []
    style = "red" if policy.denied else "yellow" if policy.needs_approval else ""
    return ["", *(paint(line, style if i == len(lines) - 1 else "")
                  for i, line in enumerate(lines))]


def _emit(lines: list[str], color: bool) -> str:
    if not color:
        return "\n".join(lines)
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", width=400,
                      highlight=False, emoji=False, soft_wrap=True)
    for line in lines:
        console.print(line)
    return buffer.getvalue().rstrip("\n")


def action_style(action: Action) -> str:
    """The rich style of an action's symbol (shared with the progress printer)."""
    return STYLE.get(action.value, "")
