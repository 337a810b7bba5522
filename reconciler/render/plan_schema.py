"""The pydantic model of the JSON plan document, and the generator of its JSON Schema.

``schemas/plan.schema.json`` is generated from :class:`PlanDocument` by :func:`write_schema`
(``python -m reconciler.render.plan_schema [PATH]``); a unit test fails when the checked-in
file drifts from the model. :mod:`reconciler.render.json` builds documents of this shape.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_ID = "https://reconciler.dev/schemas/plan.schema.json"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"

ActionName = Literal["create", "update", "replace", "delete", "no-op", "read"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reason(_Strict):
    """Why an action is planned; explains, never decides."""

    code: Literal["new", "spec_changed", "drift", "orphan", "task_pending", "dependency",
                  "requested", "owned_elsewhere", "attached"]
    message: str


class FieldChange(_Strict):
    """One changed field; secrets are "(sensitive value)"."""

    path: str = Field(description="e.g. env.LOG_LEVEL, command[2], ports[0].host")
    before: object = None
    after: object = None
    forces_replace: bool


class Summary(_Strict):
    create: int = Field(ge=0)
    update: int = Field(ge=0)
    replace: int = Field(ge=0)
    delete: int = Field(ge=0)


class PlannedChange(_Strict):
    """The decision for one address (no-ops included)."""

    address: str = Field(description="kind.name[@host]")
    kind: str
    name: str
    host: str
    action: ActionName
    reasons: list[Reason]
    field_diffs: list[FieldChange]
    before: dict[str, object] | None = Field(description="last-applied spec, secrets masked")
    after: dict[str, object] | None = Field(description="desired spec, secrets masked")
    source: str | None = Field(description="file:line:col of its definition")
    depends_on: list[str]


class PolicyDecisionEntry(_Strict):
    """One policy decision on a planned change (a rule's, or the change's final outcome)."""

    address: str
    action: Literal["create", "update", "replace", "delete"]
    outcome: Literal["allow", "warn", "require_approval", "deny"]
    rule_id: str = Field(description="the rule; `default` when no rule matched")
    origin: str = Field(description="file:line:col of the rule (empty for `default`)")
    layer: str = Field(description="user, project or session (empty for `default`)")
    reason: str
    final: bool = Field(description="true for the change's outcome, false for one rule's")
    approved: bool = Field(description="require_approval lifted by `reconciler approve`")


class PolicySource(_Strict):
    layer: str
    file: str


class PolicySection(_Strict):
    """The policy evaluation of the plan (``reconciler plan``; see docs/policy.md)."""

    result: Literal["allowed", "needs_approval", "denied"]
    sources: list[PolicySource]
    decisions: list[PolicyDecisionEntry]


class PlanDocument(_Strict):
    """The output of ``reconciler plan --json``."""

    model_config = ConfigDict(extra="forbid", title="reconciler plan")

    format_version: Literal["1"]
    project: str
    scope: str = Field(description="project, or project_session")
    summary: Summary
    has_changes: bool
    targets: list[str]
    changes: list[PlannedChange]
    order: list[str] = Field(description="addresses of planned changes in apply order")
    policy: PolicySection | None = Field(None, description="absent when policy was not run")


def generate_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of :class:`PlanDocument`."""
    schema = PlanDocument.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            **schema}


def schema_text() -> str:
    return json.dumps(generate_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(path: Path | str = DEFAULT_PATH) -> Path:
    """Write the generated schema to ``path``; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(schema_text())
    return target


if __name__ == "__main__":  # pragma: no cover - `just schemas`
    write_schema(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PATH)
