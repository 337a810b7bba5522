"""``reconciler import container.X ID``: what a running container that we did not create is.

One ``inspect`` of the container (id or name) answers the spec to record for it: the
configured spec with the fields the engine shows replaced by what the container really runs --
``image``, ``command`` (when configured), the published ``ports`` (when configured) and the
configured ``env`` keys (its value, or the key dropped when it lacks it; a differing secret is
written as a marker, never in clear). The facts name the container by id and carry
``imported``: observe then claims it by that id, since it has none of our labels
(container/actuator.py), and a replace or delete removes it by id. Never starts or stops
anything.
"""

from __future__ import annotations

from reconciler.actuators.base import ActuatorContext, Adopted, foreign_owner
from reconciler.actuators.container import parse as cp
from reconciler.actuators.container.spec import PortMapping, spec_of
from reconciler.errors import ObjectGone, UserError
from reconciler.model.secrets import record_running_env, reveal_env
from reconciler.model.types import Resource
from reconciler.transports.docker import errors as de
from reconciler.transports.docker.client import ContainerConfig, ContainerInfo, ReadAPI

DIFFERENT_SECRET = "(secret: the running container has another value)"


def adopt(resource: Resource, ident: str, ctx: ActuatorContext) -> Adopted:
    """What to record for the running container ``ident`` (an id or a name): the kind's
    AdoptHook, reading through the actuator's engine connection."""
    from reconciler.actuators.container.actuator import ContainerActuator, engine_of
    from reconciler.actuators.registry import load

    actuator = load("container")
    assert isinstance(actuator, ContainerActuator)
    spec, facts = adopted(resource, ident, ctx, actuator.read_api(ctx), engine_of(ctx).url)
    return Adopted(spec, facts, f"container {facts['name']}, {str(facts['id'])[:12]}")


def adopted(resource: Resource, ident: str, ctx: ActuatorContext, api: ReadAPI,
            url: str | None) -> tuple[dict[str, object], dict[str, object]]:
    """``(spec, facts)`` to record for the container ``ident`` (an id or a name)."""
    try:
        inspect = api.inspect_container(ident)
    except Exception as exc:
        if de.is_not_found(exc):
            raise ObjectGone(f"no container is called {ident!r}",
                            hint="see `docker ps -a` for ids and names") from None
        with de.engine_errors(url, f"inspecting container {ident}"):
            raise
    config = inspect.get("Config") or {}
    labels = config.get("Labels") or {}
    name = str(inspect.get("Name", "")).lstrip("/")
    owner = foreign_owner(labels.get(cp.LABEL_STATE_ID), labels.get(cp.LABEL_STATE_DIR), ctx)
    if owner is not None:
        raise UserError(f"container {name} is owned by another state (id "
                        f"{owner['state_id']}, dir {owner['dir'] or '?'})",
                        hint="import it from that state's checkout")
    if labels.get(cp.LABEL_ADDRESS):
        raise UserError(f"container {name} was made by reconciler as "
                        f"{labels[cp.LABEL_ADDRESS]}",
                        hint="the next plan re-adopts it from its labels; no import needed")
    state = inspect.get("State") or {}
    if not state.get("Running"):
        raise ObjectGone(f"container {name} is not running ({state.get('Status', '?')})",
                        hint="start it first (`docker start`), or let apply create it")
    spec = _spec(resource, config, inspect)
    facts: dict[str, object] = {"id": str(inspect.get("Id", "")), "name": name,
             "image": str(config.get("Image", "")), "imported": True}
    return spec, facts


def _spec(resource: Resource, config: ContainerConfig,
          inspect: ContainerInfo) -> dict[str, object]:
    spec = resource.portable_spec()
    wanted = spec_of(resource.spec)
    spec["image"] = str(config.get("Image", ""))
    if wanted.get("command") is not None and list(config.get("Cmd") or []) != \
            list(wanted.get("command") or []):
        spec["command"] = list(config.get("Cmd") or [])
    if wanted.get("ports"):
        running = _ports(inspect)
        if not _same_ports(wanted["ports"], running):
            spec["ports"] = running
    environ = dict(str(v).partition("=")[::2] for v in config.get("Env") or ())
    clear = reveal_env(dict(wanted.get("env") or {}), resource.secrets)
    record_running_env(spec, environ, clear, DIFFERENT_SECRET)
    return spec


def _ports(inspect: ContainerInfo) -> list[PortMapping]:
    """The published ports as the spec writes them, sorted by container port."""
    bound = (inspect.get("HostConfig") or {}).get("PortBindings") or {}
    found: list[PortMapping] = []
    for key, bindings in bound.items():
        port, _, proto = key.partition("/")
        for binding in bindings or ():
            host = binding.get("HostPort") or None
            mapping: PortMapping = {"host": int(host) if host else None,
                                    "container": int(port),
                                    "host_ip": binding.get("HostIp") or "0.0.0.0"}
            if proto == "udp":
                mapping["protocol"] = "udp"
            found.append(mapping)
    return sorted(found, key=lambda m: (m["container"], str(m["host"])))


def _same_ports(wanted: list[PortMapping], running: list[PortMapping]) -> bool:
    """Every configured mapping is published (a configured ``host: None`` takes any port)."""
    if len(wanted) != len(running):
        return False
    left = list(running)
    for want in wanted:
        match = next((r for r in left if r["container"] == want["container"]
                      and r.get("protocol") == want.get("protocol")
                      and r["host_ip"] == want["host_ip"]
                      and (want["host"] is None or r["host"] == want["host"])), None)
        if match is None:
            return False
        left.remove(match)
    return True
