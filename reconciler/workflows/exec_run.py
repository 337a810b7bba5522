"""``reconciler exec SVC -- CMD``: a one-off command where a service runs, as it runs.

A process service: the command gets the service's resolved environment (its ``env`` with
secrets revealed, ``PORT``, the base PATH/HOME/USER of the user it runs as, but none of the
ownership marks, so it is never mistaken for the service), its working directory, and runs on
its host: here as a child with the terminal passed through, on an SSH host through that
host's transport. A container: ``docker exec`` in the container that carries the service's
owner labels. The command's exit code is the exit code of ``exec``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from reconciler.errors import UserError

if TYPE_CHECKING:
    from reconciler.engine.project import Project
    from reconciler.model.types import Resource


Output = Callable[[str, bool], None]  # (text, to_stderr): the CLI's echo


def run_exec(project: Project, resource: Resource, argv: Sequence[str], output: Output) -> int:
    """Run ``argv`` for ``resource``; its exit code. A local command writes to the terminal
    itself; the captured output of a remote one goes to ``output``."""
    if resource.kind in ("process", "task"):
        return _in_process_env(project, resource, argv, output)
    if resource.kind == "container":
        return _in_container(project, resource, argv)
    raise UserError(f"exec is not supported for {resource.kind} resources ({resource.address})",
                    hint="exec works for process, task and container services")


def _in_process_env(project: Project, resource: Resource, argv: Sequence[str],
                    output: Output) -> int:
    from reconciler.actuators.process.files import base_env, service_env, working_dir
    from reconciler.actuators.process.spec import ProcessSpec

    ctx = project.context_for(resource.address)
    user = resource.spec.get("user")
    env = service_env(resource, ctx, base_env(str(user) if user else None), marks=False)
    cwd = working_dir(ProcessSpec.of(resource.spec), ctx)
    if resource.address.host != "local":
        result = ctx.transport.run(list(argv), env=env, cwd=cwd)
        output(result.stdout, False)
        output(result.stderr, True)
        return result.returncode
    if cwd is not None and not os.path.isdir(cwd):
        raise UserError(f"{resource.address}: working directory {cwd} does not exist",
                        hint="apply the project first")
    try:
        done = subprocess.run(list(argv), env=env, cwd=cwd, check=False)
    except OSError as exc:
        raise UserError(f"cannot run {argv[0]!r}: {exc.strerror or exc}",
                        hint="check the command name and the service's PATH") from None
    return done.returncode


def _in_container(project: Project, resource: Resource, argv: Sequence[str]) -> int:
    from reconciler.actuators.container.parse import LABEL_ADDRESS, LABEL_SCOPE

    docker = shutil.which("docker")
    if docker is None:
        raise UserError("exec in a container needs the docker CLI", hint="install docker")
    scope = project.context_for(resource.address).scope
    found = subprocess.run(
        [docker, "ps", "-q", "--filter", f"label={LABEL_ADDRESS}={resource.address}",
         "--filter", f"label={LABEL_SCOPE}={scope}"],
        capture_output=True, text=True, check=False)
    ids = found.stdout.split()
    if found.returncode != 0 or not ids:
        detail = found.stderr.strip() or "no running container carries its labels"
        raise UserError(f"{resource.address} is not running: {detail}",
                        hint="run `reconciler apply` (or `reconciler start`) first")
    flags = ["-it"] if sys.stdin.isatty() and sys.stdout.isatty() else ["-i"]
    return subprocess.run([docker, "exec", *flags, ids[0], *argv], check=False).returncode
