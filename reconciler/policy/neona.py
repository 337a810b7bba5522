"""A Neona ``.ai/policy.yaml`` as a policy layer (layer name ``neona``).

:func:`neona_rules` reads the file with :mod:`reconciler.config.neona_policy` and turns the
settings that have a meaning for plans into rules: ``task_execution.direct_main_write:
false`` ("every change goes through review") becomes ``require_approval`` on deletes and
replaces, the changes that destroy something (``reconciler approve PLANFILE`` is the
review). Settings reconciler already honours by design (``safety.secrets_access: false``,
``agents.enforce_policy: true``) add no rule; the rest is named once in a warning.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import Diagnostic
from reconciler.policy.rules import Match, Outcome, Rule

LAYER = "neona"


def neona_rules(path: Path) -> tuple[list[Rule], list[Diagnostic]]:
    """The rules of the Neona policy at ``path`` and its diagnostics (warnings, or errors
    when the file cannot be read or parsed)."""
    from reconciler.config.neona_policy import MEANINGS, load_neona, read_groups

    doc, diagnostics = load_neona(path)
    if doc is None:
        return [], diagnostics
    found, problems = read_groups(doc)
    diagnostics += problems
    rules: list[Rule] = []
    for (group, key), value in found.items():
        wanted, meaning = MEANINGS[(group, key)]
        if value != wanted or meaning != "approve-destructive":
            continue
        rules.append(Rule(
            id=f"neona:{group}.{key}", decision=Outcome.REQUIRE_APPROVAL,
            message="{action} of {address} needs an approved plan (Neona " + f"{group}.{key}: "
                    "false: changes go through review)",
            layer=LAYER, origin=doc.where(group, key),
            match=Match(actions=frozenset({"delete", "replace"})),
            description="Neona: destructive changes need review"))
    return rules, diagnostics
