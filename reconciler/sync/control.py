"""Building a sync agent from the CLI's values, and the commands that talk to a running one.

:func:`make_agent` wires a :class:`~reconciler.sync.agent.SyncAgent`: the mirror in
``<state_dir>/sync/``, a :class:`~reconciler.engine.project.Project` on its checkout (plus
``--path``) with the project's ordinary state directory and a commit-stamped event bus.
:func:`status_report` is ``sync status`` (the agent's status file, whether an agent runs, and
health per resource from a read-only observation). :func:`request_pin` is ``sync rollback``
and ``--unpin`` when an agent runs: a request file plus SIGHUP; the agent applies it on its
next reconcile. :func:`synced_project` is the project ``sync destroy`` tears down: the agent's
checkout, its state, stamped with the commit the checkout holds.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from reconciler.engine.project import Project
from reconciler.errors import ReconcilerError, UserError
from reconciler.state import StateStore
from reconciler.state.store import STATE_DIRNAME
from reconciler.sync import pin
from reconciler.sync.agent import SyncAgent
from reconciler.sync.git import GitMirror
from reconciler.sync.options import SyncOptions
from reconciler.sync.stamp import StampedBus
from reconciler.sync.status import AgentLock, SyncStatus


def base_state_dir(directory: Path, state_dir: Path | None) -> Path:
    """Where the project's state lives: ``--state-dir``, or ``-C DIR``/.reconciler."""
    return Path(state_dir) if state_dir is not None else Path(directory) / STATE_DIRNAME


def sync_root(directory: Path, session: str | None, state_dir: Path | None) -> Path:
    """``<state_dir>[/sessions/S]/sync``: the mirror, the checkout, status.json, the lock."""
    base = base_state_dir(directory, state_dir)
    return StateStore.open_project(base, session, base).state_dir / "sync"


def project_for(root: Path, path: str | None, *, session: str | None, state_dir: Path,
                policy_file: Path | None, state_url: str | None = None,
                lock_timeout: float = 0.0) -> Project:
    checkout = root / "checkout"
    directory = checkout / path if path else checkout
    if path and (Path(path).is_absolute() or ".." in Path(path).parts):
        raise UserError(f"--path {path!r} must be a directory inside the repository",
                        hint="e.g. --path deploy/web")
    return Project(directory, session=session, state_dir=state_dir, policy_file=policy_file,
                   events=StampedBus(), state_url=state_url, lock_timeout=lock_timeout)


def make_agent(options: SyncOptions, *, directory: Path, session: str | None,
               state_dir: Path | None, policy_file: Path | None,
               ssh: str | None, state_url: str | None = None,
               lock_timeout: float = 0.0) -> SyncAgent:
    root = sync_root(directory, session, state_dir).absolute()
    mirror = GitMirror(options.url, root, ssh=ssh)
    project = project_for(root, options.path, session=session,
                          state_dir=base_state_dir(directory, state_dir),
                          policy_file=policy_file, state_url=state_url,
                          lock_timeout=lock_timeout)
    return SyncAgent(project, mirror, options)


def synced_project(root: Path, *, session: str | None, state_dir: Path,
                   policy_file: Path | None, state_url: str | None = None,
                   lock_timeout: float = 0.0) -> Project:
    """The project the agent of ``root`` applied, from its checkout; every run and audit row
    of what is done with it names the commit the checkout holds."""
    status = SyncStatus.load(root)
    if not status.url or not (root / "checkout" / ".git").exists():
        raise UserError("this project was never synced (no sync checkout here)",
                        hint="run `reconciler -C DIR sync destroy` on the agent's directory")
    project = project_for(root, status.path, session=session, state_dir=state_dir,
                          policy_file=policy_file, state_url=state_url,
                          lock_timeout=lock_timeout)
    sha = GitMirror(status.url, root).head()
    if isinstance(project.events, StampedBus):
        project.events.commit = sha
    project.run_meta["commit"] = sha
    project.store.stamp(commit=sha)
    return project


def status_report(root: Path, *, session: str | None, state_dir: Path,
                  health: bool = True, state_url: str | None = None) -> dict[str, object]:
    root = root.absolute()
    status = SyncStatus.load(root)
    lock = AgentLock(root)
    report = status.to_json()
    report["agent_running"] = lock.busy()
    report["agent"] = lock.holder() if report["agent_running"] else None
    report["resources"] = []
    if health and status.synced is not None and (root / "checkout" / ".git").exists():
        from reconciler.workflows.status import collect

        project = project_for(root, status.path, session=session, state_dir=state_dir,
                              policy_file=None, state_url=state_url)
        try:
            report["resources"] = collect(project)
        except ReconcilerError as exc:
            report["resources_error"] = exc.render_short()
        finally:
            project.store.close()
    return report


def request_pin(root: Path, request: dict[str, object]) -> int:
    """Hand ``request`` to the running agent and wake it; returns its pid."""
    holder = AgentLock(root).holder() or {}
    pid = int(holder.get("pid") or 0)
    pin.hand_over(root, request)
    if pid <= 0:
        raise UserError("the running sync agent left no pid in its lock file",
                        hint="restart it; the request is kept for its next start")
    os.kill(pid, signal.SIGHUP)
    return pid


def wait_synced(root: Path, sha: str, timeout: float) -> SyncStatus:
    """Wait until the agent reports ``sha`` synced (or refused); the last status seen."""
    deadline = time.monotonic() + timeout
    while True:
        status = SyncStatus.load(root)
        done = (status.synced or {}).get("sha") == sha or sha in status.refused
        if done or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def seconds(text: str) -> float:
    """``60``, ``60s``, ``2m``, ``1h``, ``500ms`` -> seconds."""
    value = text.strip().lower()
    for suffix, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if value.endswith(suffix):
            value, scale = value[: -len(suffix)], factor
            break
    else:
        scale = 1.0
    try:
        result = float(value) * scale
    except ValueError:
        raise UserError(f"--interval {text!r} is not a duration", hint="e.g. 30s, 2m") \
            from None
    if result < 0.1:
        raise UserError(f"--interval {text!r} is too short", hint="use 0.1s or more")
    return result
