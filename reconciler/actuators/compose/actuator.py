"""The Compose actuator: every Compose service is one resource, driven by the real Compose CLI.

Observe costs two commands per Compose project, whatever its size: ONE ``docker ps -a``
filtered by the project label and ONE ``config --hash='*'``. A running container whose
``com.docker.compose.config-hash`` label equals the hash Compose computes for the desired
file (and whose recorded ``image_build`` is the spec's: a rebuilt ``type: image``) is in sync
(``Observed.spec_hash == resource.hash()``); otherwise its spec hash is
``compose:<running hash>``, so the generic diff plans a replace with "spec changed".
A container made from another checkout's files gets the ``owned_by`` fact (compose/owner.py).
Apply runs ``up -d --no-deps <service>`` (``--force-recreate`` on replace; the plan orders
dependencies), deletes with ``rm -s -f`` (v1: ``stop`` + ``rm -f``) or, for a service gone
from the file, by container id, and runs ``down`` once a project has no container left.
"""

from __future__ import annotations

import json
import os
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.compose.cli import (
    ComposeCLI,
    PsRow,
    detect_compose,
    list_containers,
    parse_config_hashes,
)
from reconciler.actuators.compose.owner import entry_dir, foreign_origin, origin, recorded_dirs
from reconciler.actuators.compose.spec import ComposeSpec
from reconciler.errors import TerminalError
from reconciler.model.changes import (
    OWNED_BY,
    Action,
    Change,
    Health,
    HealthStatus,
    Observed,
    Status,
)
from reconciler.model.compose import project_name
from reconciler.model.secrets import Redactor
from reconciler.model.types import Address, Resource
from reconciler.transports.base import CommandResult

KIND = "compose"


@dataclass
class _Project:
    """Everything observe knows about one Compose project."""

    project: str
    name: str                       # the compose resource name (address prefix)
    files: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    env_file: str | None = None
    desired: dict[str, Resource] = field(default_factory=dict)  # service -> resource
    known: set[str] = field(default_factory=set)  # the origins of this state's containers

    def address(self, service: str) -> Address:
        return Address(KIND, f"{self.name}.{service}")


def _projects(desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, Any]],
              ) -> dict[str, _Project]:
    projects: dict[str, _Project] = {}
    for resource in desired:
        spec = ComposeSpec.of(resource.spec)
        service = spec.service
        name = resource.address.name[: -len(service) - 1]
        found = projects.setdefault(spec.project, _Project(spec.project, name))
        found.files = list(spec.files)
        found.profiles = list(spec.profiles)
        found.env_file = spec.env_file
        found.desired[service] = resource
        found.known.update(d for d in (entry_dir(spec.files),) if d is not None)
    for address, facts in recorded.items():
        project = facts.get("project")
        if not isinstance(project, str):
            continue
        if project not in projects:
            name = str(facts.get("compose_name") or address.name.split(".", 1)[0])
            projects[project] = _Project(project, name,
                                         [str(f) for f in facts.get("files", [])])
        projects[project].known.update(recorded_dirs(facts))
    return projects


def _spellings(rows: Sequence[PsRow], ctx: ActuatorContext) -> dict[str, str]:
    """Each container origin with its symlinks resolved (local files only)."""
    if not ctx.transport.is_local:
        return {}
    return {where: os.path.realpath(where) for where in {origin(r) for r in rows} if where}


def observed_from_rows(address: Address, rows: Sequence[PsRow], project: _Project,
                       desired_hash: str | None, adopted: bool,
                       image_build: object = None) -> Observed:
    """Pure: the Observed of one Compose service from its containers and Compose's hash.

    ``image_build`` is the build digest of the image the containers were made from (the
    spec's at apply, recorded in the facts since): Compose's hash does not change when a
    ``type: image`` resource rebuilds the tag, so a spec whose digest differs is out of sync."""
    resource = project.desired.get(rows[0].service)
    stopped = [r for r in rows if r.state != "running"]
    row = stopped[0] if stopped else rows[0]
    in_sync = (resource is not None and desired_hash is not None
               and all(r.config_hash == desired_hash for r in rows)
               and resource.spec.get("image_build") in (None, image_build))
    spec_hash = resource.hash() if in_sync and resource is not None \
        else f"compose:{row.config_hash}"
    status, reason = Status.RUNNING, ""
    if row.state != "running":
        status = Status.EXITED
        code = row.exit_code
        reason = f"exited {code}" if code is not None else row.state
    health = Health(row.health, row.status) if row.health is not None else None
    facts = {"project": project.project, "service": row.service, "compose_name": project.name,
             "container_id": row.id, "container": row.name, "config_hash": row.config_hash,
             "state": row.state, "status": row.status, "replicas": len(rows),
             "files": list(project.files or row.config_files), "working_dir": origin(row),
             "profiles": project.profiles,
             "env_file": project.env_file, "image": row.image, "ports": row.ports}
    if image_build is not None:
        facts["image_build"] = image_build
    return Observed(address, status, spec_hash, exit_code=row.exit_code, reason=reason,
                    health=health, facts=facts, adopted=adopted)


def parse_inspect_state(stdout: str) -> Health:
    """Pure: Health from ``docker inspect --format '{{json .State}}'`` output."""
    state = json.loads(stdout or "null") or {}
    if state.get("Status") != "running":
        return Health(HealthStatus.UNHEALTHY, f"container is {state.get('Status', 'gone')}")
    probe = state.get("Health")
    if not probe:
        return Health(HealthStatus.HEALTHY, "running (no healthcheck)")
    log = probe.get("Log") or []
    detail = str(log[-1].get("Output", "")).strip()[-200:] if log else ""
    mapped = {"healthy": HealthStatus.HEALTHY, "unhealthy": HealthStatus.UNHEALTHY,
              "starting": HealthStatus.STARTING}
    return Health(mapped.get(str(probe.get("Status")), HealthStatus.UNKNOWN), detail)


def fail(what: str, done: CommandResult, resource: Resource | None = None) -> None:
    """Raise TerminalError with the CLI's stderr, secrets redacted."""
    redact = Redactor(resource.secrets.values() if resource is not None else ())
    text = redact((done.stderr.strip() or done.stdout.strip())[-1500:])
    raise TerminalError(f"{what} (exit {done.returncode}): {text}",
                        hint="run the same command by hand to see more; `docker info` checks "
                             "the daemon, `reconciler validate` the compose file")


def service_of(change: Change, ctx: ActuatorContext) -> tuple[str, str]:
    """(project, service) of a change: from its last-applied spec, else from the address."""
    before = change.before or {}
    name, _, service = change.address.name.partition(".")
    if "project" in before and "service" in before:
        return str(before["project"]), str(before["service"])
    return project_name(ctx.scope, name), service


def _docker_rm(ctx: ActuatorContext, rows: Sequence[PsRow]) -> None:
    ids = [r.id for r in rows]
    if ids:
        ctx.transport.run(["docker", "stop", "-t", "10", *ids], timeout=120.0)
        done = ctx.transport.run(["docker", "rm", "-f", *ids], timeout=120.0)
        if not done.ok:
            fail("docker rm failed", done)


def _down(cli: ComposeCLI, ctx: ActuatorContext, project: str, files: Sequence[str]) -> None:
    """Remove the project's network (and volumes when asked) once no container is left."""
    volumes = ctx.remove_volumes
    args = cli.project_args(project, files if cli.version == "v1" else ())
    done = cli.run([*args, "down", *(["-v"] if volumes else [])], timeout=300.0)
    if done.ok:
        return
    label = f"label=com.docker.compose.project={project}"  # files gone or invalid: by label
    for what in ("network", *(("volume",) if volumes else ())):
        found = ctx.transport.run(["docker", what, "ls", "-q", "--filter", label], timeout=60.0)
        names = found.stdout.split()
        if names:
            ctx.transport.run(["docker", what, "rm", *names], timeout=120.0)


def delete_service(cli: ComposeCLI, ctx: ActuatorContext, change: Change, project: str,
                   service: str) -> None:
    """Remove one service's containers; ``down`` the project when it was the last one."""
    everything = list_containers(ctx.transport, project)
    rows = [r for r in everything if r.service == service]
    spec = ComposeSpec.of(change.before or {})
    files = list(spec.files) or \
        [f if f.startswith("/") or not r.working_dir else f"{r.working_dir}/{f}"
         for r in rows[:1] for f in r.config_files]
    if rows:
        base = cli.project_args(project, files, list(spec.profiles), spec.env_file)
        if cli.version == "v2":
            done = cli.run([*base, "rm", "-s", "-f", service])
        else:
            done = cli.run([*base, "stop", service])
            done = cli.run([*base, "rm", "-f", service]) if done.ok else done
        left = [r for r in list_containers(ctx.transport, project) if r.service == service]
        if left:  # not in the file any more (an orphan): by container id
            _docker_rm(ctx, left)
        elif not done.ok and "no such service" not in done.stderr.lower():
            fail(f"compose rm of {service} failed", done)
    if all(r.service == service for r in everything):
        _down(cli, ctx, project, files)


@dataclass
class ComposeActuator:
    """Actuator for kind ``compose`` (one resource per Compose service)."""

    kind: str = KIND
    _locks: dict[str, threading.Lock] = field(default_factory=lambda: defaultdict(
        threading.Lock))
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def _lock(self, project: str) -> threading.Lock:
        with self._guard:
            return self._locks[project]

    def cli(self, ctx: ActuatorContext) -> ComposeCLI:
        return detect_compose(ctx.transport)

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, object]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        result: dict[Address, Observed] = {}
        for project in _projects(desired, recorded).values():
            rows = list_containers(ctx.transport, project.project)
            by_service: dict[str, list[PsRow]] = defaultdict(list)
            for row in rows:
                by_service[row.service].append(row)
            hashes: dict[str, str] = {}
            if project.desired and any(s in project.desired for s in by_service):
                done = self.cli(ctx).config_hashes(project.project, project.files,
                                                   project.profiles, project.env_file)
                if not done.ok:
                    raise TerminalError(f"compose config --hash failed for project "
                                        f"{project.project}: {done.stderr.strip()[-500:]}",
                                        hint="run `reconciler validate` to see the error")
                hashes = parse_config_hashes(done.stdout)
            known = project.known | {os.path.realpath(d) for d in project.known
                                     if ctx.transport.is_local}
            spellings = _spellings(rows, ctx)
            for service, found in by_service.items():
                address = project.address(service)
                seen = observed_from_rows(address, found, project, hashes.get(service),
                                          adopted=address not in recorded,
                                          image_build=recorded.get(address, {}).get(
                                              "image_build"))
                owner = foreign_origin(found, known, spellings)
                if owner is not None:  # made from another checkout's files
                    seen = replace(seen, facts={**seen.facts, OWNED_BY: owner})
                result[address] = seen
        return result

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        if change.action is Action.DELETE or resource is None:
            project, service = service_of(change, ctx)
            with self._lock(project):
                delete_service(self.cli(ctx), ctx, change, project, service)
            return None
        spec = ComposeSpec.of(resource.spec)
        project, service = spec.project, spec.service
        cli = self.cli(ctx)
        args = [*cli.project_args(project, list(spec.files), list(spec.profiles), spec.env_file),
                "up", "-d", "--no-deps"]
        if change.action is Action.REPLACE:
            args.append("--force-recreate")
        with self._lock(project):
            done = cli.run([*args, service])
            if not done.ok:
                fail(f"compose up of {service} failed", done, resource)
            rows = [r for r in list_containers(ctx.transport, project) if r.service == service]
        if not rows:
            raise TerminalError(f"compose up reported success but no container of {service} "
                                f"exists in project {project}")
        view = _Project(project, resource.address.name[: -len(service) - 1],
                        list(spec.files), list(spec.profiles), spec.env_file, {service: resource})
        return observed_from_rows(resource.address, rows, view, rows[0].config_hash,
                                  adopted=False, image_build=resource.spec.get("image_build"))

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        container = observed.facts.get("container_id")
        if not container:
            return Health(HealthStatus.UNKNOWN, "no container observed yet")
        done = ctx.transport.run(["docker", "inspect", "--format", "{{json .State}}",
                                  str(container)], timeout=30.0)
        if not done.ok:
            return Health(HealthStatus.UNHEALTHY, f"container {container} not found")
        return parse_inspect_state(done.stdout)
