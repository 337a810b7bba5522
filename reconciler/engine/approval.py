"""Deciding on a plan that policy held for approval: the one path behind ``reconciler approve
PLANFILE`` and the dashboard's Approve / Reject buttons.

An approval is recorded by the plan's inputs hash (the ``approvals`` table and a
``plan.approved`` audit event, both naming who decided); ``apply`` of exactly that plan then
lets its ``require_approval`` changes through. A rejection records a ``plan.rejected`` event
and changes nothing. Neither ever lifts a ``deny``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.errors import UserError

if TYPE_CHECKING:
    from reconciler.state import StateStore


@dataclass(frozen=True)
class Verdict:
    who: str
    inputs_hash: str
    addresses: tuple[str, ...]  # the changes that waited for the decision


def operator() -> str:
    """``user@host`` of whoever runs this process (the CLI user, the dashboard's owner)."""
    from reconciler.state.journal import current_user

    return f"{os.environ.get('USER') or current_user()}@{socket.gethostname()}"


def held(decisions: Iterable[tuple[str, str]], what: str) -> tuple[str, ...]:
    """The addresses whose final outcome is ``require_approval``; UserError when a final
    outcome is ``deny`` (``decisions`` are ``(address, outcome)`` pairs of final decisions;
    ``what`` names the plan in the message)."""
    pairs = list(decisions)
    if any(outcome == "deny" for _, outcome in pairs):
        raise UserError(f"{what} is denied by policy: an approval cannot lift a deny",
                        hint="see `reconciler plan` for the rule; change the config instead")
    return tuple(sorted({address for address, outcome in pairs
                         if outcome == "require_approval"}))


def approve(store: StateStore, decisions: Iterable[tuple[str, str]], *, inputs_hash: str,
            who: str, plan_file: str = "", what: str = "the plan") -> Verdict:
    """Record ``who``'s approval of the plan ``inputs_hash`` (audited)."""
    waiting = held(decisions, what)
    row = store.approve(who=who, inputs_hash=inputs_hash, plan_file=plan_file,
                        addresses=waiting)
    return Verdict(str(row["who"]), inputs_hash, waiting)


def reject(store: StateStore, decisions: Iterable[tuple[str, str]], *, inputs_hash: str,
           who: str, reason: str = "") -> Verdict:
    """Record ``who``'s rejection of the plan ``inputs_hash`` (audited; nothing else)."""
    waiting = tuple(sorted({address for address, outcome in decisions
                            if outcome == "require_approval"}))
    if not waiting:
        raise UserError("nothing in this plan waits for approval",
                        hint="only a plan that policy held (require_approval) is rejected")
    store.append_event(None, "plan.rejected", None,
                       f"{who} rejected plan {inputs_hash[:12]}" + (f": {reason}" if reason
                                                                     else ""),
                       {"inputs_hash": inputs_hash, "addresses": list(waiting), "who": who,
                        "reason": reason})
    return Verdict(who, inputs_hash, waiting)
