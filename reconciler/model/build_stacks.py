"""Stack Drafts (``uses:``, ``--with``, locald ``type = "postgres"``) -> the stack's own Drafts.

Readers turn a stack use into one Draft of kind ``stack`` (name, stack, version, port request).
:func:`expand_stacks` replaces each by the resources of the catalog variant that the host can
run (see :mod:`reconciler.model.stacks`; the catalog file and every fact about the machine come from
the :class:`~reconciler.model.host.BuildHost`, see :func:`choose`): the variant's first
service takes the instance name (so ``depends_on: [db]`` and ``${db.port}`` work), its other
services and tasks are named ``<name>-<key>``, and the stack's ``exports`` become env vars of
that first service (so ``${db.env.DATABASE_URL}`` works) listed in its
``io.reconciler.exports`` label; its ``io.reconciler.stack-data`` label names the data
directory (see :func:`data_dir`). Problems are Diagnostics at the use site.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.config.raw import KeyPath, RawDocument, as_dict, as_list
from reconciler.errors import Diagnostic, Severity, SourceRange, error
from reconciler.model import stacks
from reconciler.model.build_draft import Draft
from reconciler.model.build_services import services_drafts
from reconciler.model.host import BuildHost

LABEL_STACK = "io.reconciler.stack"
LABEL_VARIANT = "io.reconciler.stack-variant"
LABEL_EXPORTS = "io.reconciler.exports"
LABEL_DATA = "io.reconciler.stack-data"
STATE_DIR_VAR = "RECONCILER_STATE_DIR"

__all__ = ["LABEL_DATA", "LABEL_EXPORTS", "LABEL_STACK", "LABEL_VARIANT", "Choice", "choose",
           "data_dir", "expand_stacks"]


@dataclass(frozen=True)
class Choice:
    """The variant picked for one instance and the parameters it runs with."""

    variant: stacks.Variant
    bin_dir: str
    run_as: str
    version: str


def choose(stack: stacks.Stack, version: str | None, env: Mapping[str, str],
           host: BuildHost) -> Choice | str:
    """The variant ``host`` can run (local first, unless ``RECONCILER_STACK_VARIANT`` forces
    one), or why none can."""
    forced = env.get(stacks.VARIANT_VAR, "").strip()
    order = [forced] if forced in stacks.VARIANTS else list(stacks.VARIANTS)
    reasons: list[str] = []
    for key in order:
        variant = stack.variants.get(key)
        if variant is None:
            reasons.append(f"it has no {key} variant")
            continue
        found = [host.locate(r, version) for r in variant.requires]
        missing = [r for r, f in zip(variant.requires, found, strict=True) if f is None]
        if missing:
            reasons.append(f"{key}: not found: {', '.join(missing)}")
            continue
        run_as = variant.run_as if host.euid() == 0 else ""
        if run_as and not host.user_exists(run_as):
            reasons.append(f"{key}: user '{run_as}' does not exist")
            continue
        bin_dir = os.path.dirname(found[0]) if found and found[0] else ""
        return Choice(variant, bin_dir, run_as, version or stack.default_version)
    return "; ".join(reasons)


def data_dir(project_dir: Path, name: str, session: str | None, env: Mapping[str, str],
             run_as_home: Path | None = None) -> str:
    """Where instance ``name`` keeps its files.

    Below the state dir of its session (``<state>[/sessions/<s>]/stacks/<name>``) when the
    stack runs as the engine's user. The state dir is private (mode 0700), so a stack that
    runs as another user (``run_as``, e.g. postgres when the engine runs as root) keeps its
    files in that user's home instead (``run_as_home``, as the BuildHost reports it):
    ``~<run_as>/reconciler-stacks/<project>-<hash>/<name>`` (``<hash>`` of the state dir and
    session, so every session has its own).
    """
    base = Path(env[STATE_DIR_VAR]) if env.get(STATE_DIR_VAR) else project_dir / ".reconciler"
    if session:
        base = base / "sessions" / session
    base = Path(os.path.abspath(base))
    if run_as_home is None:
        return str(base / "stacks" / name)
    digest = hashlib.sha256(str(base).encode()).hexdigest()[:12]
    root = run_as_home / "reconciler-stacks"
    return str(root / f"{project_dir.name}-{digest}" / name)


def expand_stacks(drafts: Sequence[Draft], *, env: Mapping[str, str], session: str | None,
                  host: BuildHost) -> tuple[list[Draft], list[Diagnostic]]:
    """``drafts`` with every ``stack`` Draft replaced by its catalog resources."""
    out: list[Draft] = []
    problems: list[Diagnostic] = []
    declared = {d.name: d for d in drafts if d.kind != "stack"}
    for draft in drafts:
        if draft.kind != "stack":
            out.append(draft)
            continue
        first = declared.setdefault(draft.name, draft)
        if first is not draft:  # at the user's lines, not in the catalog file
            problems.append(error(
                f"'{draft.name}' is defined twice: at {first.source} and at {draft.source}",
                draft.source, address=f"stack.{draft.name}",
                hint="service and task names must be unique across all config files; give "
                     "the second use its own name (`- {stack: NAME, name: OTHER}`)"))
            continue
        expanded, found = _expand(draft, env, session, host)
        out += expanded
        problems += found
    for order, draft in enumerate(out):
        draft.order = order
    return out, problems


def _expand(use: Draft, env: Mapping[str, str], session: str | None,
            host: BuildHost) -> tuple[list[Draft], list[Diagnostic]]:
    name = str(use.spec.get("stack") or "")
    version = use.spec.get("version")
    path = host.find_stack(name) if stacks.valid_name(name) else None
    if path is None:
        known = host.stack_catalog()
        close = difflib.get_close_matches(name, known, 1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return [], [error(f"unknown stack '{name}'", use.source, address=f"stack.{use.name}",
                          hint=hint + f"the catalog has: {', '.join(known) or 'nothing'}")]
    stack, problems = host.load_stack(path)
    if stack is None or any(p.severity is Severity.ERROR for p in problems):
        return [], problems
    choice = choose(stack, str(version) if version else None, env, host)
    if isinstance(choice, str):
        return [], [error(f"stack '{name}' cannot run on this host: {choice}", use.source,
                          address=f"stack.{use.name}",
                          hint="install its server binaries, or make its container image "
                               "available to the Docker engine")]
    project_dir = use.doc.path.absolute().parent
    params = {"name": use.name, "port": "${" + use.name + ".port}",
              "data_dir": data_dir(project_dir, use.name, session, env,
                                   host.home_of(choice.run_as) if choice.run_as else None),
              "bin_dir": choice.bin_dir, "version": choice.version, "run_as": choice.run_as}
    doc, main = _document(stack, choice.variant, use.name, params, project_dir)
    drafts, problems = services_drafts(doc, host)
    for draft in drafts:
        if draft.name == main:
            _adopt_use(draft, use, stack, choice.variant.name, params)
    return drafts, problems


def _document(stack: stacks.Stack, variant: stacks.Variant, instance: str,
              params: Mapping[str, str], project_dir: Path) -> tuple[RawDocument, str]:
    """The variant as a services.yaml document with renamed entries, positions kept."""
    body = variant.data
    keys = [(s, str(k)) for s in ("tasks", "services") for k in as_dict(body.get(s))]
    main_key = next(iter(as_dict(body.get("services"))))
    rename = {k: (instance if (s, k) == ("services", main_key) else f"{instance}-{k}")
              for s, k in keys}
    data: dict[str, Any] = {"tasks": {}, "services": {}}
    positions: dict[KeyPath, SourceRange] = {(): stack.where()}
    prefix = (variant.name,)
    for section, key in keys:
        svc = dict(stacks.substitute(as_dict(body[section][key]), params))
        _rename_deps(svc, rename)
        target = svc["target"] if isinstance(svc.get("target"), dict) else svc
        if str(target.get("type") or "process") == "process" and not target.get("working_dir"):
            target["working_dir"] = str(project_dir)
        data[section][rename[key]] = svc
    for path, where in stack.doc.positions.items():
        if len(path) >= 3 and path[:1] == prefix and path[1] in ("tasks", "services"):
            new = rename.get(str(path[2]))
            if new is not None:
                positions[(path[1], new, *path[3:])] = where
    for section in ("tasks", "services"):
        positions[(section,)] = stack.where(variant.name, section)
    return RawDocument(stack.doc.path, "services", data, stack.doc.text, positions), instance


def _rename_deps(svc: dict[str, object], rename: Mapping[str, str]) -> None:
    deps = svc.get("depends_on")
    if isinstance(deps, list):
        svc["depends_on"] = [rename.get(str(d), str(d)) for d in deps]
    elif isinstance(deps, dict):
        svc["depends_on"] = {rename.get(str(k), str(k)): v for k, v in deps.items()}
    old = as_list(svc.get("dependencies"))
    svc["dependencies"] = [rename.get(d, d) if isinstance(d, str) else d for d in old]


def _adopt_use(draft: Draft, use: Draft, stack: stacks.Stack, variant: str,
               params: Mapping[str, str]) -> None:
    """The instance's main resource takes over what the use site said about it."""
    draft.spec["stack"] = stack.name  # ${db.url} speaks the stack's scheme
    if isinstance(use.port_request, int):
        draft.port_request = use.port_request
    for key, value in stack.exports.items():
        draft.env[key] = (stacks.substitute(value, params), False)
    draft.env.update(use.env)
    draft.deps += use.deps
    draft.protect = draft.protect or use.protect
    draft.labels.update({LABEL_STACK: stack.name, LABEL_VARIANT: variant,
                         LABEL_EXPORTS: ",".join(stack.exports),
                         LABEL_DATA: params["data_dir"]})
