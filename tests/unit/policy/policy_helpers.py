"""Hand-built Change fixtures and small helpers shared by the policy tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from textwrap import dedent
from typing import Any

from reconciler.errors import Diagnostic
from reconciler.model.changes import Action, ActionReason, Change, FieldDiff, ReasonCode
from reconciler.model.types import Address
from reconciler.policy.evaluation import EffectivePolicy, PolicyResult, evaluate, load_policies

# Tuesday 2024-01-02, 10:00 UTC (11:00 in Paris): inside office hours.
TUESDAY_10 = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
HASH = "f" * 64


def container(name: str = "web", *, action: Action = Action.CREATE, host: str = "local",
              before: Mapping[str, Any] | None = None, **spec: Any) -> Change:
    after: dict[str, Any] = {"image": "registry.example/app:1", "privileged": False,
                             "ports": [], **spec}
    if action is Action.DELETE:
        return Change(Address("container", name, host), action, before or after, None)
    diffs = tuple(FieldDiff(k, (before or {}).get(k), v) for k, v in after.items()
                  if before is not None and before.get(k) != v)
    return Change(Address("container", name, host), action, before, after, diffs,
                  (ActionReason(ReasonCode.NEW, "new"),))


def process(name: str = "api", *, action: Action = Action.CREATE, host: str = "local",
            **spec: Any) -> Change:
    after = {"command": ["./api"], "env": {}, **spec}
    before = after if action is not Action.CREATE else None
    return Change(Address("process", name, host), action, before,
                  None if action is Action.DELETE else after)


def write(dir_: Path, text: str, name: str = "policy.yaml") -> Path:
    path = dir_ / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load_one(dir_: Path, text: str, layer: str = "project",
             name: str = "policy.yaml") -> tuple[EffectivePolicy, list[Diagnostic]]:
    return load_policies([(write(dir_, text, name), layer)])


def load_ok(dir_: Path, text: str) -> EffectivePolicy:
    policy, diagnostics = load_one(dir_, text)
    assert diagnostics == [], [d.render() for d in diagnostics]
    return policy


def decide(policy: EffectivePolicy, changes: Sequence[Change], *,
           now: datetime = TUESDAY_10, approvals: Sequence[str] = ()) -> PolicyResult:
    return evaluate(policy, changes, now=now, inputs_hash=HASH, git_commit="abc123",
                    approvals=approvals)


def outcome(policy: EffectivePolicy, change: Change, now: datetime = TUESDAY_10) -> str:
    return decide(policy, [change], now=now).final[0].outcome.value
