"""Sessions as a workflow: provision a project (plus ``--with`` stacks), hand out its exports,
tear it down. This is the engine side of ``reconciler run``; it never prints.

Isolation itself comes from the pipeline: a session has its own state database
(``.reconciler/sessions/<s>/state.db``) and scope ``<project>_<session>``, which marks its
processes, names its containers, networks and Compose projects. :class:`StackProject` adds
catalog stacks named on the command line as if the project's services.yaml had
``uses: [...]`` for them; :func:`exports` reads the variables every stack exports;
:func:`teardown` destroys everything the session owns and removes its files.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.config import KeyPath, RawDocument
from reconciler.engine.project import PlanRun, Project
from reconciler.errors import Diagnostic, SourceRange, UserError
from reconciler.model.build_stacks import LABEL_DATA, LABEL_EXPORTS
from reconciler.model.secrets import reveal_env
from reconciler.model.types import DesiredState

if TYPE_CHECKING:
    from reconciler.engine.apply import ApplyResult

WITH_FILE = "--with"  # how diagnostics name the command line's stacks
KEPT_FILE = "run-with.json"  # a kept session's --with stacks, in its state directory
NO_CONFIG = "no configuration found"

__all__ = ["StackProject", "exports", "failed_logs", "fresh_session", "kept_stacks", "parse_with",
           "provision", "remember_stacks", "teardown"]


def fresh_session() -> str:
    """``run-<6 hex digits>``: a new, unguessable session name."""
    return f"run-{secrets.token_hex(3)}"


def parse_with(values: Sequence[str]) -> list[tuple[str, str]]:
    """``postgres,redis`` / ``db=postgres`` items as (instance name, stack) pairs."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        for item in (p.strip() for p in value.split(",")):
            if not item:
                continue
            name, _, stack = item.rpartition("=")
            pairs.append((name or stack, stack))
    return pairs


def with_document(directory: Path, pairs: Sequence[tuple[str, str]]) -> RawDocument:
    """The ``--with`` stacks as a services.yaml document holding only ``uses:``."""
    uses = [{"stack": stack, "name": name} for name, stack in pairs]
    positions: dict[KeyPath, SourceRange] = {(): SourceRange(WITH_FILE, 1, 1)}
    positions.update({("uses", i): SourceRange(WITH_FILE, 1, i + 1) for i in range(len(uses))})
    return RawDocument(directory / WITH_FILE, "services", {"uses": uses}, "", positions)


def _used_names(docs: Sequence[RawDocument]) -> set[str]:
    names: set[str] = set()
    for doc in docs:
        data = doc.data if isinstance(doc.data, dict) else {}
        for section in ("services", "tasks"):
            names.update(str(k) for k in (data.get(section) or {}))
        for use in data.get("uses") or [] if doc.format == "services" else []:
            names.add(str(use.get("name") or use.get("stack")) if isinstance(use, dict)
                      else str(use))
    return names


@dataclass
class StackProject(Project):
    """A Project plus catalog stacks given on the command line (``--with``).

    A stack whose instance name the project already defines is not added twice. With stacks
    given, a directory without any config file is a valid (empty) project."""

    with_stacks: tuple[tuple[str, str], ...] = ()

    def documents(self) -> tuple[list[RawDocument], list[Diagnostic]]:
        docs, diagnostics = super().documents()
        if not self.with_stacks:
            return docs, diagnostics
        known = _used_names(docs)
        wanted = [(n, s) for n, s in self.with_stacks if n not in known]
        diagnostics = [d for d in diagnostics if not d.summary.startswith(NO_CONFIG)]
        return ([*docs, with_document(self.directory, wanted)] if wanted else docs), diagnostics


def provision(project: Project, *, parallelism: int = 10) -> tuple[PlanRun, ApplyResult]:
    """Plan and apply the whole project under its lease; apply waits for health gates."""
    with project.locked():
        run = project.plan()
        result = project.execute(run, parallelism=parallelism)
    return run, result


def exports(desired: DesiredState) -> dict[str, str]:
    """Every stack's exported variables, with clear values (first instance wins a name)."""
    found: dict[str, str] = {}
    for resource in desired.ordered():
        names = [n for n in resource.labels.get(LABEL_EXPORTS, "").split(",") if n]
        spec_env = resource.spec.get("env")
        env = reveal_env(dict(spec_env) if isinstance(spec_env, Mapping) else {},
                         resource.secrets)
        for name in names:
            if name in env:
                found.setdefault(name, env[name])
    return found


def failed_logs(project: Project, result: ApplyResult, lines: int = 20) -> dict[str, str]:
    """The last ``lines`` log lines of every failed resource, by address."""
    from reconciler.actuators.local_run.files import log_tail

    tails: dict[str, str] = {}
    for node in result.root_causes():
        kind, _, name = node.address.partition(".")
        if kind in ("process", "task"):
            path = project.store.state_dir / "logs" / f"{name.split('@')[0]}.log"
            tails[node.address] = log_tail(path, lines)
        elif kind == "container":
            scope = f"{project.project_name}_{project.session}" if project.session \
                else project.project_name
            tails[node.address] = _docker_logs(f"{scope}-{name}", lines)
    return tails


def _docker_logs(container: str, lines: int) -> str:
    try:
        done = subprocess.run(["docker", "logs", "--tail", str(lines), container],
                              capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"(no log: {exc})"
    return (done.stdout + done.stderr).rstrip() or "(the log is empty)"


def data_dirs(desired: DesiredState | None) -> list[str]:
    if desired is None:
        return []
    return [r.labels[LABEL_DATA] for r in desired.ordered() if r.labels.get(LABEL_DATA)]


def teardown(project: Project, *, parallelism: int = 10,
             desired: DesiredState | None = None) -> ApplyResult | None:
    """Destroy everything the session owns, then delete its state dir and stack data.

    ``desired`` (the provisioned state) names the stack data directories to remove. Files
    stay when the destroy fails, so that a later ``destroy`` can finish the job."""
    if project.session is None:
        raise UserError("refusing to tear down a project without a session",
                        hint="teardown is for sessions; use `reconciler destroy` otherwise")
    project.remove_volumes = True
    result = None
    if project.store.resources():
        with project.locked():
            run = project.plan(destroy=True)
            result = project.execute(run, parallelism=parallelism, kind="destroy")
        if not result.ok:
            return result
        desired = desired or run.desired
    state_dir = project.store.state_dir
    project.store.close()
    for path in [*data_dirs(desired), str(state_dir)]:
        shutil.rmtree(path, ignore_errors=True)
    parent = Path(data_dirs(desired)[0]).parent if data_dirs(desired) else None
    if parent is not None and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
    return result


def remember_stacks(project: StackProject) -> None:
    """Write a session's ``--with`` stacks beside its state, so that every other command of
    that session (``status`` inside CMD, ``--session S destroy`` of a kept one) sees the same
    project. Teardown removes the file with the session's directory."""
    if not project.with_stacks:
        return
    path = project.store.state_dir / KEPT_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([list(p) for p in project.with_stacks]) + "\n",
                        encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


def kept_stacks(state_dir: Path) -> tuple[tuple[str, str], ...]:
    """The ``--with`` stacks a kept session was provisioned with (none when not kept)."""
    try:
        pairs = json.loads((state_dir / KEPT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    return tuple((str(p[0]), str(p[1])) for p in pairs
                 if isinstance(p, list) and len(p) == 2) if isinstance(pairs, list) else ()


def command_env(values: Mapping[str, str], session: str) -> dict[str, str]:
    """The environment CMD runs with: ours, the exports, and the session's name."""
    return {**os.environ, **values, "RECONCILER_SESSION": session}
