"""The container actuator (kind ``container``): Docker containers through the docker SDK.

Owns observe / apply for containers on one engine per transport (readiness: container/health.py).
Every container is named ``<scope>-<name>``, labelled with its owner (project, scope, address,
spec hash, state id; container/parse.py: one labelled by another state is observed with the
``owned_by`` fact, never taken silently), joins the per-scope bridge network ``<scope>`` with
its service name as alias, and publishes ports on 127.0.0.1 unless told otherwise (the first
host port also as a label, read back after a state loss: container/ports.py). Observe is ONE
list call filtered by the scope label; an exited container with code 137 gets one inspect to
tell an OOM kill from a SIGKILL; on a local socket both go through the stdlib socket client
(no docker SDK import). The engine's client, identity, error mapping and the bound on creates
in flight come from the transport layer (reconciler/transports/docker/), shared with other
kinds. Named volumes are ``<scope>_<name>``, labelled, kept across replace and delete,
removed only when ``ctx.remove_volumes`` is set (``destroy --volumes``).
A container is stopped with its ``stop_signal`` (also its StopSignal) and SIGKILLed only at
the end of ``shutdown_timeout`` (container/stopping.py). Creates run in parallel: the image
check and the scope network are done once per engine, the create is optimistic (no lookups
first; one create per scope at a time, starts in parallel: container/create.py). Spec keys:
docs/containers.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from reconciler.actuators.base import ActuatorContext, foreign_owner, state_dir_mark
from reconciler.actuators.container import create as cc
from reconciler.actuators.container import engine as ce
from reconciler.actuators.container import health as container_health
from reconciler.actuators.container import parse as cp
from reconciler.actuators.container import ports as container_ports
from reconciler.actuators.container import stopping
from reconciler.actuators.container.spec import ContainerSpec, spec_of
from reconciler.errors import TerminalError
from reconciler.events import Event
from reconciler.model.changes import OWNED_BY, Action, Change, Health, Observed
from reconciler.model.secrets import reveal_env
from reconciler.model.types import Address, ProbeKind, Resource
from reconciler.transports.docker import engines
from reconciler.transports.docker import errors as de
from reconciler.transports.docker.client import ContainerSummary, DockerClient, ReadAPI
from reconciler.transports.docker.engines import Engine

# UPDATE changes only hash-excluded fields; these need a new container, the rest do not
_RECREATE_ON_UPDATE = ("labels", "health")


def engine_of(ctx: ActuatorContext) -> Engine:
    """The engine of ctx's transport: on an SSH host its own engine (``ssh://user@addr:port``,
    reached through the run's SSH connection), else ``ctx.docker_url`` or the local one."""
    return engines.engine_of(ctx.transport, ctx.docker_url)


class ContainerActuator:
    """Actuator for ``container`` resources; its docker clients come from the transport
    layer (:class:`~reconciler.transports.docker.engines.DockerEngines`: one per engine,
    thread-safe). ``client_factory(url)`` / ``api_factory(url)`` replace how a local engine's
    client and read API are made (tests)."""

    kind: str = "container"

    def __init__(self, client_factory: Callable[[str | None], DockerClient] | None = None,
                 api_factory: Callable[[str | None], ReadAPI | None] | None = None):
        self._engines = engines.DockerEngines(client_factory, api_factory)
        self._lock = threading.Lock()
        self._scope_locks: dict[str, threading.Lock] = {}
        self._prepared = cc.Preparer()
        self._slots = engines.EngineSlots()  # creates and starts in flight per engine
        self._imported_ids: dict[tuple[str, str, Address], str] = {}  # seen by observe

    def client(self, ctx: ActuatorContext) -> DockerClient:
        return self._engines.client(ctx.transport, engine_of(ctx))

    def read_api(self, ctx: ActuatorContext) -> ReadAPI:
        """The API to list and inspect with (a local engine's stdlib socket client by
        default, else the client's)."""
        return self._engines.read_api(ctx.transport, engine_of(ctx))

    def _scope_lock(self, scope: str) -> threading.Lock:
        with self._lock:
            return self._scope_locks.setdefault(scope, threading.Lock())

    # -- observe ------------------------------------------------------------------------

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, object]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        api, url = self.read_api(ctx), engine_of(ctx).url
        with de.engine_errors(url, "listing containers"):
            entries = api.containers(all=True, filters=cp.scope_filter(ctx.scope))
        found: dict[Address, list[Observed]] = {}
        for entry in entries:
            code, _ = cp.parse_status_text(str(entry.get("Status", "")))
            oom = entry.get("State") == "exited" and code == 137 and self._oom(api, entry)
            seen = cp.observed_from_list(entry, recorded, oom=oom)
            labels = entry.get("Labels") or {}
            owner = foreign_owner(labels.get(cp.LABEL_STATE_ID), labels.get(cp.LABEL_STATE_DIR),
                                  ctx)
            if seen is not None and owner is not None:
                seen = replace(seen, facts={**seen.facts, OWNED_BY: owner})
            if seen is not None and seen.address.kind == self.kind:
                found.setdefault(seen.address, []).append(seen)
        picked = {address: cp.pick_primary(seen) for address, seen in found.items()}
        imported = self._imported(api, url, recorded, picked)
        with self._lock:
            for address, seen in imported.items():
                self._imported_ids[(engine_of(ctx).key, ctx.scope, address)] = \
                    str(seen.facts["id"])
        return {**imported, **picked}

    def _imported(self, api: ReadAPI, url: str | None,
                  recorded: Mapping[Address, Mapping[str, object]],
                  found: Mapping[Address, Observed]) -> dict[Address, Observed]:
        """Containers brought in by ``reconciler import`` (no labels of ours): claimed by the
        id recorded at import, with one list call for all of them."""
        ids = {str(facts["id"]): address for address, facts in recorded.items()
               if address.kind == self.kind and facts.get("imported") and facts.get("id")
               and address not in found}
        if not ids:
            return {}
        with de.engine_errors(url, "listing imported containers"):
            entries = api.containers(all=True, filters={"id": sorted(ids)})
        seen = (cp.observed_from_list(e, recorded, imported=ids[str(e.get("Id"))])
                for e in entries if str(e.get("Id")) in ids)
        return {o.address: replace(o, facts={**o.facts, "imported": True})
                for o in seen if o is not None}

    def owned_ports(self, ctx: ActuatorContext) -> dict[str, int]:  # the PortOwner hook
        return container_ports.owned_ports(self.read_api(ctx), engine_of(ctx).url, ctx)

    @staticmethod
    def _oom(api: ReadAPI, entry: ContainerSummary) -> bool:
        try:
            return cp.oom_killed(api.inspect_container(entry["Id"]))
        except Exception:  # gone meanwhile, or the engine hiccuped: the exit code stays
            return False

    # -- apply --------------------------------------------------------------------------

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        client, url = self.client(ctx), engine_of(ctx).url
        if change.action is Action.DELETE or resource is None:
            self._remove(client, url, ctx, change.address,
                         spec_of(change.before) if change.before else None,
                         self._forget_import(ctx, change.address))
            self._cleanup_scope(client, url, ctx)
            return None
        if change.action is Action.UPDATE and not any(
                d.path.startswith(_RECREATE_ON_UPDATE) for d in change.field_diffs):
            current = self._list_one(url, ctx, change.address)
            if current is not None and current.running:
                return current  # only how we talk to it changed (timeouts): nothing to do
        if change.action is not Action.CREATE:  # observe just found none for a create
            self._remove(client, url, ctx, change.address,
                         spec_of(change.before) if change.before else None,
                         self._forget_import(ctx, change.address))
        return self._create(client, url, resource, ctx)

    def _forget_import(self, ctx: ActuatorContext, address: Address) -> str | None:
        with self._lock:
            return self._imported_ids.pop((engine_of(ctx).key, ctx.scope, address), None)

    def _emit(self, ctx: ActuatorContext, address: Address, message: str) -> None:
        ctx.events(Event("node.log", str(address), message))

    def _remove(self, client: DockerClient, url: str | None, ctx: ActuatorContext,
                address: Address, spec: ContainerSpec | None,
                imported: str | None = None) -> None:
        """Stop and remove every container of the scope that claims ``address``, and the
        ``imported`` container id: ``spec`` (the last-applied one) gives the stop signal and
        the bound on the wait."""
        timeout = stopping.stop_timeout(spec)
        signal = spec.get("stop_signal") if spec is not None else None
        filters = {"label": [f"{cp.LABEL_SCOPE}={ctx.scope}",
                             f"{cp.LABEL_ADDRESS}={address}"]}
        with de.engine_errors(url, f"listing containers of {address}"):
            entries = client.api.containers(all=True, filters=filters)
            if imported:  # an imported container carries none of our labels: by its id
                entries += client.api.containers(all=True, filters={"id": [imported]})
        for entry in entries:
            name = cp.container_name(entry)
            self._emit(ctx, address, f"removing container {name}")
            with de.engine_errors(url, f"removing container {name}"):
                try:
                    if entry.get("State") in ("running", "restarting", "paused"):
                        stopping.stop(client, entry["Id"], timeout, signal)
                    client.api.remove_container(entry["Id"], v=False, force=True)
                except Exception as exc:
                    if not de.is_not_found(exc):
                        raise

    def _create(self, client: DockerClient, url: str | None, resource: Resource,
                ctx: ActuatorContext) -> Observed:
        spec = spec_of(resource.spec)
        name = f"{ctx.scope}-{resource.name}"
        image = spec["image"]
        project_dir = str(Path(ctx.project_dir or ".").resolve())
        labels = {**spec.get("labels", {}),
                  **resource.labels, **container_ports.port_label(spec),
                  **cp.owner_labels(ctx.project, ctx.scope, resource.address, resource.hash(),
                                    ctx.state_id, state_dir_mark(ctx))}
        health = resource.health
        command_check = health.to_json() if health and health.kind is ProbeKind.COMMAND \
            else None
        try:
            kwargs = cp.create_kwargs(
                name=name, spec=spec, env=reveal_env(spec.get("env") or {}, resource.secrets),
                labels=labels, network=ctx.scope, alias=resource.name,
                healthcheck=command_check, scope=ctx.scope, project_dir=project_dir)
        except ValueError as exc:
            raise TerminalError(f"{resource.address}: {exc}") from None
        engine, pull = engine_of(ctx).key, spec.get("pull", "missing")
        if self._prepared.image(client, url, engine, image, pull):
            self._emit(ctx, resource.address, f"pulled image {image}")
        ce.check_networks(client, url, spec.get("networks", []))

        def prepare() -> None:
            self._prepared.network(client, url, engine, ctx.project, ctx.scope,
                                   ctx.docker_subnet)

        def on_missing() -> None:  # removed behind our back: check both again
            self._prepared.forget(engine, f"image {image}", f"network {ctx.scope}")
            self._prepared.image(client, url, engine, image, pull)
            prepare()

        # one create of a scope at a time (a cleanup cannot drop the network meanwhile); the
        # starts run in parallel (the shape it had before; see container/create.py).
        with self._slots.slot(engine, local=ctx.transport.is_local):
            with self._scope_lock(ctx.scope):
                prepare()
                for volume in cp.named_volumes(spec, ctx.scope):
                    with self._scope_lock(f"volume {volume}"):
                        ce.ensure_volume(client, url, ctx.project, ctx.scope, volume)
                cid = cc.create(client, url, ctx.scope, kwargs, on_missing)
            try:
                with de.engine_errors(url, f"starting container {name}", image=image):
                    for network in spec.get("networks", []):
                        client.api.connect_container_to_network(cid, network,
                                                                aliases=[resource.name])
                    client.api.start(cid)
            except Exception:
                with de.engine_errors(url, f"removing failed container {name}"):
                    client.api.remove_container(cid, force=True)
                raise
        self._emit(ctx, resource.address, f"started container {name} ({cid[:12]})")
        seen = self._list_one(url, ctx, resource.address)
        if seen is None:
            raise TerminalError(f"container {name} vanished right after it was started")
        return seen

    def _list_one(self, url: str | None, ctx: ActuatorContext, address: Address) -> Observed | None:
        filters = {"label": [f"{cp.LABEL_SCOPE}={ctx.scope}",
                             f"{cp.LABEL_ADDRESS}={address}"]}
        with de.engine_errors(url, f"listing containers of {address}"):
            entries = self.read_api(ctx).containers(all=True, filters=filters)
        seen = [o for o in (cp.observed_from_list(e) for e in entries) if o is not None]
        return cp.pick_primary(seen) if seen else None

    def _cleanup_scope(self, client: DockerClient, url: str | None, ctx: ActuatorContext) -> None:
        """After a delete: drop the scope's volumes when asked, and its network once no
        container of the scope is left. Objects still in use are left alone."""
        remove_volumes = ctx.remove_volumes
        with self._scope_lock(ctx.scope), de.engine_errors(url, f"cleaning up {ctx.scope}"):
            if remove_volumes:
                listed = client.api.volumes(filters=cp.scope_filter(ctx.scope))
                for volume in (listed or {}).get("Volumes") or ():
                    stopping.quietly(client.api.remove_volume, volume["Name"])
            if client.api.containers(all=True, filters=cp.scope_filter(ctx.scope)):
                return
            for network in client.api.networks(names=[ctx.scope]):
                labels = network.get("Labels") or {}
                if network.get("Name") == ctx.scope and labels.get(cp.LABEL_SCOPE) == ctx.scope:
                    self._prepared.forget(engine_of(ctx).key, f"network {ctx.scope}")
                    stopping.remove_network(client, network["Id"])

    # -- health -------------------------------------------------------------------------

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        return container_health.health(resource, observed, ctx,
                                       lambda: (self.client(ctx), engine_of(ctx).url))
