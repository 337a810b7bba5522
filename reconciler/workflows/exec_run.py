"""``reconciler exec SVC -- CMD``: a one-off command where a service runs, as it runs.

A process service: the command gets the service's resolved environment (its ``env`` with
secrets revealed, ``PORT``, the base PATH/HOME/USER of the user it runs as, but none of the
ownership marks, so it is never mistaken for the service), its working directory, and runs on
its host: here as a child with the terminal passed through, on an SSH host through that
host's transport. A container: ``docker exec`` in the container that carries the service's
owner labels (an imported one: by the id recorded at import); on an SSH host ``docker ps``
and ``docker exec`` run there, through the host's transport. A Compose service: ``docker
exec`` in its running container (by Compose's project and service labels), where Compose put
the service's environment. The command's exit code is the exit code of ``exec``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from reconciler.actuators.compose.spec import ComposeSpec
from reconciler.actuators.container.parse import LABEL_ADDRESS, LABEL_SCOPE
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
    if resource.kind == "container" and resource.address.host != "local":
        return _in_remote_container(project, resource, argv, output)
    if resource.kind in ("container", "compose"):
        return _in_container(project, resource, argv)
    raise UserError(f"exec is not supported for {resource.kind} resources ({resource.address})",
                    hint="exec works for process, task, container and Compose services")


def _in_process_env(project: Project, resource: Resource, argv: Sequence[str],
                    output: Output) -> int:
    from reconciler.actuators.local_run.files import base_env, service_env, working_dir
    from reconciler.actuators.local_run.spec import ProcessSpec

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


def _filters(project: Project, resource: Resource) -> list[str]:
    """``docker ps`` filters that select the service's running container."""
    if resource.kind == "compose":
        spec = ComposeSpec.of(resource.spec)
        return [f"label=com.docker.compose.project={spec.project}",
                f"label=com.docker.compose.service={spec.service}"]
    record = project.store.resources().get(resource.address)
    if record is not None and record.facts.get("imported") and record.facts.get("id"):
        return [f"id={record.facts['id']}"]  # imported: none of our labels
    scope = project.context_for(resource.address).scope
    return [f"label={LABEL_ADDRESS}={resource.address}", f"label={LABEL_SCOPE}={scope}"]


def _not_running(resource: Resource, detail: str) -> UserError:
    return UserError(f"{resource.address} is not running: "
                     f"{detail or 'no running container carries its labels'}",
                     hint="run `reconciler apply` (or `reconciler start`) first")


def _in_remote_container(project: Project, resource: Resource, argv: Sequence[str],
                         output: Output) -> int:
    """``docker ps`` then ``docker exec`` on the host, through its transport (the pooled SSH
    connection, ``sudo -n`` when the host says so); the output is captured, stdin not
    passed, as for a remote process."""
    ctx = project.context_for(resource.address)
    filters = [arg for f in _filters(project, resource) for arg in ("--filter", f)]
    found = ctx.transport.run(["docker", "ps", "-q", *filters], timeout=60.0)
    ids = found.stdout.split()
    if found.returncode != 0 or not ids:
        raise _not_running(resource, found.stderr.strip())
    done = ctx.transport.run(["docker", "exec", ids[0], *argv])
    output(done.stdout, False)
    output(done.stderr, True)
    return done.returncode


def _in_container(project: Project, resource: Resource, argv: Sequence[str]) -> int:
    docker = shutil.which("docker")
    if docker is None:
        raise UserError("exec in a container needs the docker CLI", hint="install docker")
    filters = [arg for f in _filters(project, resource) for arg in ("--filter", f)]
    found = subprocess.run([docker, "ps", "-q", *filters],
                           capture_output=True, text=True, check=False)
    ids = found.stdout.split()
    if found.returncode != 0 or not ids:
        raise _not_running(resource, found.stderr.strip())
    flags = ["-it"] if sys.stdin.isatty() and sys.stdout.isatty() else ["-i"]
    return subprocess.run([docker, "exec", *flags, ids[0], *argv], check=False).returncode
