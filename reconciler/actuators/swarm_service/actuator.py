"""The swarm service actuator (kind ``swarm_service``): services of a Docker Swarm cluster.

Observe makes ONE service list (filtered by the owner label ``io.reconciler.scope``) and ONE
task list (filtered by those services' ids) per cluster manager, never a call per service.
A service is named ``<scope>_<name>`` and carries the owner marks (project, scope, address,
spec hash, state id and directory) as service and container labels; one marked by another
state is reported (``owned_by``) and never taken over. Apply creates the service, or updates
it in place with its ``update_config`` (so a change rolls task by task), scales it through
its replica count, removes it on delete, and waits (bounded by ``startup_timeout``) until the
rollout converged, failing with the tasks' errors. Secret env values go to the tasks as swarm
secrets (:mod:`.secrets`); a REPLACE (``--replace``) bumps the task template's ForceUpdate
counter, which redeploys every task of the same spec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from reconciler.actuators.base import ActuatorContext, docker_marks, foreign_owner
from reconciler.actuators.swarm_service import networks, rollout
from reconciler.actuators.swarm_service import secrets as swarm_secrets
from reconciler.actuators.swarm_service.spec import SwarmServiceSpec, of
from reconciler.errors import HostUnreachable, TerminalError, TransientError
from reconciler.model.changes import (
    OWNED_BY,
    Action,
    Change,
    Health,
    HealthStatus,
    Observed,
    Status,
)
from reconciler.model.types import Address, Resource
from reconciler.transports.docker import labels as dl
from reconciler.transports.docker.swarm import service_body


def service_name(ctx: ActuatorContext, address: Address) -> str:
    """The swarm service's name: ``<scope>_<name>`` (as ``docker stack deploy`` names them;
    the scope is the project, or project_session); a Compose service's ``<entry>.<service>``
    becomes ``<scope>_<entry>_<service>`` (a swarm name has no dots)."""
    return f"{ctx.scope}_{address.name.replace('.', '_')}"


def service_alias(address: Address) -> str:
    """The name the service is found by on its networks: its own name; a Compose service's
    (``<entry>.<service>``) is its Compose name, as in a ``docker stack``."""
    return address.name.partition(".")[2] or address.name


class SwarmServiceActuator:
    kind = "swarm_service"

    def __init__(self) -> None:
        # address -> the cluster engine observe last found it on: a service the state never
        # recorded (a failed first apply, a lost state) is removed from where it is
        self._found_on: dict[Address, str | None] = {}

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, Any]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        engines: dict[str | None, None] = {}  # the cluster managers to ask, in order
        for resource in desired:
            if resource.kind == self.kind:
                engines.setdefault(of(resource.spec)["docker_host"])
        for address, facts in recorded.items():
            if address.kind == self.kind:
                url = facts.get("docker_host")
                engines.setdefault(str(url) if url else None)
        wanted = {r.address: r for r in desired if r.kind == self.kind}
        result: dict[Address, Observed] = {}
        for url in engines:
            try:
                found = self._observe_engine(url, ctx)
            except TransientError as exc:  # plan `~ host unreachable` for these, not abort
                raise HostUnreachable(exc.message, hint=exc.hint) from None
            for seen in found:
                seen = _judge(seen, wanted.get(seen.address))
                self._found_on[seen.address] = url
                result[seen.address] = replace(seen, adopted=seen.address not in recorded)
        return result

    def _observe_engine(self, url: str | None, ctx: ActuatorContext) -> list[Observed]:
        client = rollout.api(url)
        try:
            with rollout.engine_errors(url, "listing services"):
                services = client.services(filters={"label": f"{dl.LABEL_SCOPE}={ctx.scope}"})
                ids = [str(s["ID"]) for s in services]
                tasks = client.tasks(filters={"service": ids}) if ids else []
                down = rollout.down_nodes(client) if ids else {}
        finally:
            client.close()
        by_service: dict[str, list[Mapping[str, Any]]] = {}
        for task in tasks:
            by_service.setdefault(str(task.get("ServiceID")), []).append(task)
        out = []
        for service in services:
            labels = (service.get("Spec") or {}).get("Labels") or {}
            try:
                address = Address.parse(str(labels.get(dl.LABEL_ADDRESS, "")))
            except ValueError:  # a label edited by hand: not one of ours any more
                continue
            if address.kind != self.kind:
                continue
            out.append(_observed(address, url, service, by_service.get(str(service["ID"]), []),
                                 ctx, down))
        return out

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        before = change.before or {}
        old_url = str(before["docker_host"]) if before.get("docker_host") else None
        if change.before is None:
            old_url = self._found_on.get(change.address)
        if change.action is Action.DELETE or resource is None:
            self._remove(old_url, change.address, ctx)
            return None
        spec = of(resource.spec)
        url = spec["docker_host"]
        known = change.before is not None or change.address in self._found_on
        if known and old_url != url:
            self._remove(old_url, change.address, ctx)  # moved to another cluster engine
        return self._deploy(url, spec, resource, ctx, force=change.action is Action.REPLACE)

    def _deploy(self, url: str | None, spec: SwarmServiceSpec, resource: Resource,
                ctx: ActuatorContext, *, force: bool) -> Observed:
        """Create or update the service; ``force`` (``--replace``) redeploys every task."""
        name = service_name(ctx, resource.address)
        owner_marks = docker_marks(ctx, resource)
        client = rollout.api(url)
        try:
            existing = _find(client, url, name)
            if existing is not None:
                labels = existing["Spec"].get("Labels") or {}
                owner = foreign_owner(labels.get(dl.LABEL_STATE_ID),
                                      labels.get(dl.LABEL_STATE_DIR), ctx)
                if owner is not None or labels.get(dl.LABEL_SCOPE) != ctx.scope:
                    raise TerminalError(f"swarm service {name} exists and is not ours",
                                        hint="remove or rename that service")
            env, refs = swarm_secrets.ensure(client, url, name, spec["env"], resource.secrets,
                                             owner_marks)
            with networks.LOCK:  # no prune between a network made and its service
                networks.ensure(client, url, spec.get("networks") or [], owner_marks)
                alias = service_alias(resource.address)
                with rollout.engine_errors(url, f"deploying service {name}"):
                    if existing is None:
                        body = service_body(spec, name, owner_marks, env, refs, alias=alias)
                        service_id = str(client.create_service(**body)["ID"])
                    else:
                        counter = int((existing["Spec"].get("TaskTemplate") or {})
                                      .get("ForceUpdate") or 0)
                        body = service_body(spec, name, owner_marks, env, refs,
                                            force_update=counter + 1 if force else counter,
                                            alias=alias)
                        service_id = str(existing["ID"])
                        client.update_service(service_id, existing["Version"]["Index"], **body,
                                              fetch_current_spec=False)
            service, tasks = rollout.wait_converged(client, url, service_id, name,
                                                    spec["replicas"], spec["startup_timeout"])
            swarm_secrets.prune(client, url, owner_marks, {r["name"] for r in refs})
        finally:
            client.close()
        return _observed(resource.address, url, service, tasks, ctx)

    def _remove(self, url: str | None, address: Address, ctx: ActuatorContext) -> None:
        name = service_name(ctx, address)
        client = rollout.api(url)
        try:
            existing = _find(client, url, name)
            ours = {dl.LABEL_SCOPE: ctx.scope, dl.LABEL_ADDRESS: str(address)}
            if existing is None:
                swarm_secrets.prune(client, url, ours, set())
                return
            labels = existing["Spec"].get("Labels") or {}
            if labels.get(dl.LABEL_SCOPE) != ctx.scope:
                raise TerminalError(f"swarm service {name} is not ours; it is left alone")
            with rollout.engine_errors(url, f"removing service {name}"):
                client.remove_service(existing["ID"])
            rollout.wait_removed(client, url, str(existing["ID"]))
            swarm_secrets.prune(client, url, ours, set())
            networks.prune(client, url, ctx.scope)
        finally:
            client.close()

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        if observed.running:
            return Health(HealthStatus.HEALTHY, f"{observed.facts.get('running')} running")
        return Health(HealthStatus.UNHEALTHY, observed.reason or "not converged")


def _find(client: Any, url: str | None, name: str) -> Mapping[str, Any] | None:
    with rollout.engine_errors(url, f"looking up service {name}"):
        found = client.services(filters={"name": name})
    exact = [s for s in found if (s.get("Spec") or {}).get("Name") == name]
    return exact[0] if exact else None


def _observed(address: Address, url: str | None, service: Mapping[str, Any],
              tasks: Sequence[Mapping[str, Any]], ctx: ActuatorContext,
              down: Mapping[str, str] | None = None) -> Observed:
    """What a service is: its tasks running against its replicas; ``down``: the nodes the
    manager does not see ready (id -> hostname), named in the reason when they held tasks."""
    spec = service.get("Spec") or {}
    labels = spec.get("Labels") or {}
    replicas = int(((spec.get("Mode") or {}).get("Replicated") or {}).get("Replicas", 0))
    up = rollout.running(rollout.current_tasks(service, tasks))
    facts: dict[str, Any] = {
        "docker_host": url, "service_id": service.get("ID"), "name": spec.get("Name"),
        "replicas": replicas, "running": len(up),
        "nodes": sorted({str(t.get("NodeID")) for t in up}),
        "update": (service.get("UpdateStatus") or {}).get("State"),
    }
    owner = foreign_owner(labels.get(dl.LABEL_STATE_ID), labels.get(dl.LABEL_STATE_DIR), ctx)
    if owner is not None:
        facts[OWNED_BY] = owner
    reason = "" if len(up) == replicas else f"{len(up)}/{replicas} tasks running"
    errors = rollout.task_errors(tasks)
    if reason and errors:
        reason += f" ({errors[0]})"
    lost = sorted({(down or {})[str(t.get("NodeID"))] for t in tasks
                   if str(t.get("NodeID")) in (down or {})
                   and (t.get("Status") or {}).get("State") == "running"})
    if reason and lost:
        reason += f"; node {', '.join(lost)} down"
    status = Status.RUNNING if not reason else Status.EXITED
    return Observed(address, status, labels.get(dl.LABEL_SPEC_HASH), reason=reason, facts=facts)


def _judge(seen: Observed, resource: Resource | None) -> Observed:
    """Drift against the desired spec: replicas changed by hand."""
    if resource is None or not seen.running:
        return seen
    want = of(resource.spec)["replicas"]
    if seen.facts.get("replicas") != want:
        return Observed(seen.address, Status.EXITED, seen.spec_hash,
                        reason=f"scaled by hand to {seen.facts.get('replicas')} (want {want})",
                        facts=seen.facts)
    return seen
