"""The policy.yaml format as pydantic models, and the JSON Schema generated from them.

``schemas/policy.schema.json`` is generated from :class:`PolicyFile` by
:func:`write_policy_schema` (``just schemas`` / ``python -m reconciler.policy.schema``); a test
fails when the checked-in file drifts. :func:`validate_policy_data` checks one parsed policy
document and turns every pydantic error into a :class:`~reconciler.errors.Diagnostic` at the
offending key or value. This module imports pydantic at import time: import it lazily.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.config.policy_yaml import PolicyDocument
from reconciler.errors import Diagnostic, error

SCHEMA_ID = "https://reconciler.dev/schemas/policy.schema.json"
_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"

ActionName = Literal["create", "update", "replace", "delete"]
DecisionName = Literal["deny", "require_approval", "warn", "allow"]
DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class MatchModel(_Strict):
    """Which changes a rule applies to; an omitted field matches everything."""

    actions: list[ActionName] | None = Field(None, description="Change actions to match.")
    kinds: list[str] | None = Field(None, description="Resource kinds (process, container...).")
    names: list[str] | None = Field(
        None, description="Globs matched against the name or the address (kind.name[@host]).")
    hosts: list[str] | None = Field(None, description="Globs matched against the host.")
    labels: dict[str, str] | None = Field(
        None, description="Every label must be present; values are globs.")


class RuleModel(_Strict):
    """One policy rule."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:/-]+$",
                    description="Unique id within the file; shown in decision records.")
    description: str | None = None
    match: MatchModel | None = None
    when: str | None = Field(None, min_length=1,
                             description="CEL expression; the rule applies when it is true.")
    decision: DecisionName
    message: str = Field(min_length=1, description="Reason shown to people; may use "
                         "{address}, {kind}, {name}, {host} and {action}.")
    on_error: Literal["apply", "skip"] = Field(
        "apply", description="When `when` cannot be evaluated: apply the decision (fail "
        "closed) or skip the rule.")


class ChangeWindowModel(_Strict):
    """A period in which changes are allowed; outside every window changes are denied."""

    days: list[DayName] = Field(min_length=1)
    start: str = Field(pattern=_HHMM, description="HH:MM (24-hour clock), inclusive.")
    end: str = Field(pattern=_HHMM, description="HH:MM, exclusive; earlier than start wraps "
                     "past midnight into the next day.")
    tz: str = Field("UTC", description="IANA time zone name.")


class SecretsModel(_Strict):
    """How secrets may be written in the repository."""

    require_encrypted: bool = Field(False, description="Clear `{secret: ...}` values in "
                                    "services files are an error: use `{sops: FILE#key}`.")


class PolicyFile(_Strict):
    """A policy.yaml file."""

    model_config = ConfigDict(extra="forbid", strict=True, title="reconciler policy.yaml",
                              json_schema_extra={"$id": SCHEMA_ID})

    version: Literal[1]
    rules: list[RuleModel] = Field(default_factory=list)
    protect: list[str] = Field(default_factory=list, description="Address globs that need "
                               "approval to be deleted or replaced.")
    allowed_hosts: list[str] | None = Field(None, description="Host globs changes may target "
                                            "(local is always allowed).")
    allowed_registries: list[str] | None = Field(None, description="Image registry prefixes "
                                                 "that images must come from.")
    change_windows: list[ChangeWindowModel] | None = Field(
        None, description="When set, changes outside every window are denied.")
    secrets: SecretsModel | None = Field(None, description="Rules for secrets in the "
                                         "repository.")


def policy_json_schema() -> dict[str, object]:
    """The JSON Schema of policy.yaml (draft 2020-12)."""
    schema = PolicyFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render_policy_schema() -> str:
    """The schema as the exact text checked in under ``schemas/``."""
    return json.dumps(policy_json_schema(), indent=2, sort_keys=True) + "\n"


def write_policy_schema(path: Path) -> None:
    path.write_text(render_policy_schema(), encoding="utf-8")


def _hint(kind: str, loc: tuple[str | int, ...]) -> str:
    if kind == "extra_forbidden":
        allowed = {"match": sorted(MatchModel.model_fields),
                   "rules": sorted(RuleModel.model_fields),
                   "change_windows": sorted(ChangeWindowModel.model_fields)}
        parent = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
        keys = allowed.get(parent, sorted(PolicyFile.model_fields))
        close = difflib.get_close_matches(str(loc[-1]), keys, n=1, cutoff=0.6) if loc else []
        if close:
            return f"did you mean {close[0]!r}? allowed keys: " + ", ".join(keys)
        return "allowed keys: " + ", ".join(keys)
    if kind == "literal_error" and loc and loc[-1] == "version":
        return "write `version: 1`"
    if kind == "string_pattern_mismatch" and loc and loc[-1] in ("start", "end"):
        return 'write times as "HH:MM" on a 24-hour clock, for example "09:00"'
    if kind in ("string_type", "int_type"):
        return "check the value's type; quote times like \"09:00\""
    return ""


def validate_policy_data(doc: PolicyDocument) -> tuple[PolicyFile | None, list[Diagnostic]]:
    """Validate a parsed document against :class:`PolicyFile`; all errors at once."""
    if not isinstance(doc.data, dict):
        return None, [error("a policy file must be a mapping with `version` and `rules`",
                            doc.where(), hint="start the file with `version: 1`")]
    try:
        return PolicyFile.model_validate(doc.data), []
    except ValidationError as exc:
        diags: list[Diagnostic] = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            path = _document_path(doc.data, loc)
            dotted = ".".join(str(p) for p in path) or "(root)"
            if err["type"] == "extra_forbidden":
                source = doc.where(*path)
                summary = f"unknown key {path[-1]!r} in {_parent(path)}"
            elif err["type"] == "missing":
                source = doc.where(*path[:-1])
                summary = f"missing required key {path[-1]!r} in {_parent(path)}"
            else:
                source = doc.where_value(*path)
                summary = f"{dotted}: {err['msg']}"
            diags.append(error(summary, source, hint=_hint(err["type"], path)))
        return None, sorted(diags, key=Diagnostic.sort_key)


def _document_path(data: object, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Keep the part of a pydantic ``loc`` that names nodes of the document."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            path.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        else:
            break
    return tuple(path)


def _parent(path: tuple[str | int, ...]) -> str:
    if len(path) <= 1:
        return "the policy file"
    return ".".join(str(p) for p in path[:-1])


if __name__ == "__main__":  # pragma: no cover - `just schemas`
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas/policy.schema.json")
    write_policy_schema(target)
