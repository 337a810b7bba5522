"""The policy stage of the pipeline: which policy files apply, the git commit, refusals.

Owns where the three policy layers come from (see docs/policy.md, "Layers"):

- ``user``: ``$XDG_CONFIG_HOME/reconciler/policy.yaml`` (default ``~/.config/...``);
- ``project``: ``policy.yaml`` (or ``policy.yml``) in the project directory;
- ``neona``: a Neona ``.ai/policy.yaml`` in the project directory, when present (see
  :mod:`reconciler.policy.neona`);
- ``session``: the file given with ``--policy FILE`` (must exist), else
  ``<state dir>/policy.yaml`` when present (``.reconciler/policy.yaml``, or
  ``.reconciler/sessions/<name>/policy.yaml`` for a session).

It also runs ``git rev-parse HEAD`` for decision records (the pure policy module never runs
commands) and turns denied or unapproved decisions into one user-facing
:class:`~reconciler.errors.PolicyDenied`. Light to import: the validate fast path and the git
hook use it; pydantic and CEL load only when a policy file is actually read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import PolicyDenied

if TYPE_CHECKING:
    from reconciler.engine.plan import Plan
    from reconciler.errors import Diagnostic
    from reconciler.policy.evaluation import EffectivePolicy, PolicyResult

PROJECT_FILES = ("policy.yaml", "policy.yml")
SESSION_FILE = "policy.yaml"
NEONA_FILE = ".ai/policy.yaml"  # a Neona policy: the ``neona`` layer (policy_neona.py)


def user_policy_path(environ: Mapping[str, str]) -> Path:
    """The user layer's file, honouring ``XDG_CONFIG_HOME``."""
    base = environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base else Path(environ.get("HOME") or Path.home()) / ".config"
    return root / "reconciler" / "policy.yaml"


def project_policy_path(directory: Path) -> Path:
    for name in PROJECT_FILES:
        if (directory / name).is_file():
            return directory / name
    return directory / PROJECT_FILES[0]


def policy_layers(directory: Path, state_dir: Path, override: Path | None,
                  environ: Mapping[str, str]) -> list[tuple[Path, str]]:
    """``(path, layer)`` in evaluation order; missing optional files are skipped later."""
    layers = [(user_policy_path(environ), "user"), (project_policy_path(directory), "project"),
              (directory / NEONA_FILE, "neona")]
    if override is not None:
        layers.append((override, "session"))
    elif (state_dir / SESSION_FILE).is_file():
        layers.append((state_dir / SESSION_FILE, "session"))
    return layers


def load_layers(layers: list[tuple[Path, str]]) -> tuple[EffectivePolicy, list[Diagnostic]]:
    """Load the layers (an absent user or project file is no layer at all)."""
    from reconciler.policy.evaluation import EffectivePolicy, load_policies

    if not any_policy(layers):
        return EffectivePolicy(), []
    return load_policies(layers)


def any_policy(layers: list[tuple[Path, str]]) -> bool:
    """Whether any layer has to be read (a session override must exist: it is checked)."""
    return any(path.exists() or layer not in ("user", "project", "neona")
               for path, layer in layers)


def new_diagnostics(layers: list[tuple[Path, str]],
                    known: list[Diagnostic]) -> list[Diagnostic]:
    """The policy files' diagnostics, minus those already reported at the same position
    (the config loader parses the project's policy.yaml too and reports YAML errors)."""
    if not any_policy(layers):  # the common case costs no import of the policy engine
        return []
    seen = {str(d.source) for d in known if d.source is not None}
    return [d for d in load_layers(layers)[1] if str(d.source) not in seen]


def state_dir_for(directory: Path, session: str | None, state_dir: Path | None) -> Path:
    """Where the session layer's default file lives (the store's directory)."""
    from reconciler.errors import UserError
    from reconciler.state.store import STATE_DIRNAME, StateStore

    try:
        return StateStore.open_project(directory, session, state_dir).state_dir
    except UserError:  # a bad session name is reported by the command that uses it
        return (state_dir or directory / STATE_DIRNAME) / "sessions" / str(session)


def git_commit(directory: Path) -> str | None:
    """``git rev-parse HEAD`` of the repository holding ``directory``; None when not a repo."""
    import subprocess  # only a plan with changes looks it up

    try:
        found = subprocess.run(["git", "-C", str(directory), "rev-parse", "--verify", "-q",
                                "HEAD"], capture_output=True, text=True, timeout=10,
                               check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = found.stdout.strip()
    return commit if found.returncode == 0 and commit else None


def evaluate_plan(policy: EffectivePolicy, plan: Plan, *, now: datetime, directory: Path,
                  approvals: Collection[str]) -> PolicyResult:
    """Decide every planned change; the git commit is looked up only when there are some."""
    from reconciler.policy.evaluation import evaluate

    commit = git_commit(directory) if plan.has_changes else None
    return evaluate(policy, plan.actionable(), now=now, inputs_hash=plan.inputs_hash,
                    git_commit=commit, approvals=approvals)


def plan_outcome(result: PolicyResult) -> tuple[str, dict[str, int]]:
    """A plan run's result (``ok``, ``needs_approval`` or ``denied``) and its policy counts."""
    outcome = "denied" if result.denied else "needs_approval" if result.needs_approval \
        else "ok"
    return outcome, {"deny": len(result.denied), "require_approval": len(result.needs_approval),
                     "warn": len(result.warnings)}


def refusal(result: PolicyResult, *, plan_file: str | None = None,
            destroy: bool = False) -> PolicyDenied | None:
    """The error to raise when the plan may not be applied, or None when it may."""
    if result.denied:
        lines = [f"{d.address}: {d.action.verb} denied by rule {d.rule_id!r}"
                 f"{f' ({d.rule_origin})' if d.rule_origin else ''}: {d.reason}"
                 for d in result.denied]
        return PolicyDenied("policy denies this plan:\n  " + "\n  ".join(lines),
                            hint="change the configuration, or the policy rule named above; "
                                 "an approval never lifts a deny")
    if result.needs_approval:
        lines = [f"{d.address}: {d.action.verb} needs approval (rule {d.rule_id!r}"
                 f"{f', {d.rule_origin}' if d.rule_origin else ''}): {d.reason}"
                 for d in result.needs_approval]
        target = plan_file or "PLANFILE"
        flag = " --destroy" if destroy else ""
        how = "" if plan_file else f"save it with `reconciler plan{flag} -out PLANFILE`, then "
        return PolicyDenied("policy requires approval for this plan:\n  " + "\n  ".join(lines),
                            hint=f"{how}run `reconciler approve {target}` and "
                                 f"`reconciler apply {target}`")
    return None
