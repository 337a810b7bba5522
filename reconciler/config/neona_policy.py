"""Neona ``.ai/policy.yaml``: parse it and read its boolean rule groups (pure).

Neona (a control plane for coding agents) keeps its rules in groups of booleans:
``task_execution``, ``safety``, ``completion`` and ``agents``. A reconciler gives a meaning to
few of them; this module says which, so the file can be a policy layer (see
:mod:`reconciler.policy.neona`) instead of a wall of "unknown key" errors:

- :data:`MEANINGS` maps ``(group, key)`` and the value that asks for something to what it
  asks of a plan (``approve-destructive``: deletes and replaces need an approved plan) or
  to why reconciler already behaves that way (``built-in``);
- every other key, and every group none of whose keys apply, is listed in ONE warning at the
  top of the file, group by group;
- a value that is not ``true``/``false`` is a warning at its file:line:col (the key is then
  read as absent).
"""

from __future__ import annotations

from pathlib import Path

from reconciler.config.raw import RawDocument, as_dict
from reconciler.errors import Diagnostic, SourceRange, error, warning

FORMAT = "neona"
FILE = Path(".ai") / "policy.yaml"
GROUPS = ("task_execution", "safety", "completion", "agents")

# (group, key) -> (the value that asks for it, what it means here)
MEANINGS: dict[tuple[str, str], tuple[bool, str]] = {
    ("task_execution", "direct_main_write"): (False, "approve-destructive"),
    ("safety", "secrets_access"): (False, "built-in: secrets are masked in every plan, log, "
                                          "state and event"),
    ("agents", "enforce_policy"): (True, "built-in: every plan is checked against the policy"),
}


def parse_neona(path: Path, text: str) -> tuple[RawDocument | None, list[Diagnostic]]:
    """Parse ``.ai/policy.yaml`` (an empty file is an empty mapping)."""
    from reconciler.config.services_yaml import parse_yaml

    doc, diagnostics = parse_yaml(path, text, FORMAT)
    if doc is not None and doc.data is None:
        doc = RawDocument(doc.path, doc.format, {}, doc.text, doc.positions)
    if doc is not None and not isinstance(doc.data, dict):
        return None, [error("Neona policy: expected a mapping of rule groups",
                            SourceRange(str(path), 1, 1))]
    return doc, diagnostics


def read_groups(doc: RawDocument) -> tuple[dict[tuple[str, str], bool], list[Diagnostic]]:
    """The boolean settings of ``doc`` that mean something here, and its diagnostics."""
    found: dict[tuple[str, str], bool] = {}
    problems: list[Diagnostic] = []
    unused: dict[str, list[str]] = {}
    for group, body in as_dict(doc.data).items():
        if not isinstance(body, dict):
            problems.append(warning(f"Neona group '{group}' is not a mapping and is ignored",
                                    doc.where(group), hint="a group maps names to true/false"))
            continue
        for key, value in body.items():
            if not isinstance(value, bool):
                problems.append(warning(f"Neona rule {group}.{key} is not true/false and is "
                                        "ignored", doc.where(group, key)))
            elif (group, key) in MEANINGS:
                found[(group, key)] = value
                continue
            unused.setdefault(str(group), []).append(str(key))
    if unused:
        listed = "; ".join(f"{g} ({', '.join(keys)})" for g, keys in unused.items())
        problems.append(warning(
            "Neona rules that do not apply to a reconciler (they govern agents' work, not "
            f"plans), ignored: {listed}", doc.where(),
            hint="what applies: task_execution.direct_main_write: false (deletes and "
                 "replaces need an approved plan); see docs/configuration.md"))
    return found, problems


def load_neona(path: Path) -> tuple[RawDocument | None, list[Diagnostic]]:
    """Read and parse ``path``; an unreadable file is a diagnostic."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [error(f"cannot read Neona policy: {reason}", SourceRange(str(path)))]
    return parse_neona(path, text)


def describe(value: object) -> str:
    """``true`` / ``false`` as the file writes them."""
    return "true" if value is True else "false"
