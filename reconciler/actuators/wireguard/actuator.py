"""The ``wireguard`` actuator: one resource per (network, node), ``wireguard.<net>@<node>``.

Observe: one round trip per host runs :func:`~reconciler.actuators.wireguard.render.observe_script`
for
every interface of that host (``wg show <if> dump`` with the private key blanked on the host,
``ip -o addr``, ``ip -o link``, key file, ownership mark, clock); drift (interface down, peer
missing, wrong endpoint, stale handshake, unexpected peer) makes the node ``exited`` with the
reasons, which the plan shows as ``drift: ...``.

Apply converges the node LIVE for every action but delete: the plan says ``~ update`` for a
spec change or drift repair of an existing interface (``wireguard`` is an in-place kind, see
``Kind.in_place`` in its package) and ``-/+ replace`` only for a new interface
name or listen port, or ``--replace``. The private key is made on the node if it has none (a
replace whose only forcing reason is the request makes a new one: key rotation), the interface
is created if missing (kernel where ``ip link add type wireguard`` works, else wireguard-go),
and only settings and peers that differ are set with ``wg set``, so other peers' sessions go
on. A node with ``private_key_file:`` uses that file (read on the node, never made or
rotated by reconciler); one with ``private_key:`` from sops gets the decrypted key (from
``Resource.secrets``) on the apply script's standard input, like the ``preshared_key:`` of
its external peers, and never in a file or a command line; its ``external_peers`` are set
beside the nodes' entries. Peers
need each other's public keys, so applying node X also reads each peer's public key on the
peer's host and installs X's own entry there (removing X's old key after a rotation). A
per-network lock orders nodes applied in parallel, so every pair ends up configured in one
apply. Delete removes the node's entry from its peers, then its interface and key directory.

The actuator learns each host's transport from the contexts it is called with (observe
always runs, per host, before apply), which is how it reaches peers on other hosts.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.wireguard import drift as drift_rules
from reconciler.actuators.wireguard.keys import (
    is_public_key,
    key_files,
    key_script,
    owner_path,
    remove_keys_script,
)
from reconciler.actuators.wireguard.parse import (
    InterfaceReport,
    normalize_ips,
)
from reconciler.actuators.wireguard.render import (
    PeerConfig,
    create_script,
    external_peer,
    interface_commands,
    peer_args,
    peer_commands,
    shell,
    wg_quick_config,
)
from reconciler.actuators.wireguard.rounds import (
    HINT,
    preshared_keys,
    private_key,
    report_of,
    run,
    run_and_host_report,
    run_and_report,
    secret,
)
from reconciler.actuators.wireguard.spec import WireguardSpec, secret_path, spec_of
from reconciler.errors import HostUnreachable, TerminalError
from reconciler.events import Event
from reconciler.model.changes import Action, Change, Health, HealthStatus, Observed, Status
from reconciler.model.types import Address, Resource
from reconciler.transports.base import Transport


def rotates(change: Change) -> bool:
    """A replace of an interface that keeps its identity (``--replace``) rotates its key; a
    replace for a new interface name or listen port, and every update, keeps the key."""
    return change.action is Action.REPLACE and change.before is not None and \
        not any(d.forces_replace for d in change.field_diffs)


class WireguardActuator:
    kind = "wireguard"

    def __init__(self) -> None:
        self._transports: dict[str, Transport] = {}
        self._public: dict[Address, str] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    # -- hosts and locks -----------------------------------------------------------------------

    def _learn(self, host: str, transport: Transport) -> None:
        with self._guard:
            self._transports[host] = transport

    def _peer_transport(self, host: str) -> Transport | None:
        with self._guard:
            return self._transports.get(host)

    def _lock(self, scope: str, network: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault((scope, network), threading.Lock())

    # -- observe -------------------------------------------------------------------------------

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, object]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        hosts = {r.address.host for r in desired} | {a.host for a in recorded}
        for host in hosts:
            self._learn(host, ctx.transport)
        specs = {r.address: spec_of(r.spec) for r in desired}
        for address, facts in recorded.items():
            if address not in specs and facts.get("interface"):
                specs[address] = WireguardSpec(interface=str(facts["interface"]))
        if not specs:
            return {}
        report = report_of(ctx.transport, [str(s["interface"]) for s in specs.values()],
                           key_files(list(specs.values())))
        result: dict[Address, Observed] = {}
        for address, spec in specs.items():
            seen = report.interfaces.get(str(spec["interface"]))
            if seen is None or not seen.exists:
                continue
            result[address] = self._observed(address, spec, seen, report.now,
                                             recorded.get(address), ctx.scope)
        return result

    def _observed(self, address: Address, spec: WireguardSpec, seen: InterfaceReport,
                  now: int, recorded: Mapping[str, Any] | None, scope: str) -> Observed:
        ours = seen.owner == scope
        spec_hash = seen.spec_hash if ours else None
        if spec_hash is None and recorded is not None:
            spec_hash = recorded.get("spec_hash")
        if seen.dump is not None and is_public_key(seen.dump.public_key):
            with self._guard:
                self._public[address] = seen.dump.public_key
        if "address" not in spec:  # an orphan: only its interface is known
            return Observed(address, Status.RUNNING, spec_hash,
                            facts={"interface": seen.name, "impl": seen.impl})
        problems = drift_rules.drift(spec, seen, now)
        status = Status.EXITED if problems else Status.RUNNING
        return Observed(address, status, spec_hash, reason="; ".join(problems),
                        facts=drift_rules.facts(spec, seen, now),
                        adopted=recorded is None and ours)

    # -- apply ---------------------------------------------------------------------------------

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        address = change.address
        self._learn(address.host, ctx.transport)
        with self._lock(ctx.scope, address.name):
            if change.action is Action.DELETE or resource is None:
                self._delete(change, ctx)
                return None
            return self._ensure(change, resource, ctx)

    def _ensure(self, change: Change, resource: Resource, ctx: ActuatorContext) -> Observed:
        spec, address, transport = spec_of(resource.spec), change.address, ctx.transport
        name = str(spec["interface"])
        before = dict(change.before) if change.before is not None else None
        rotate = rotates(change)
        old = report_of(transport, [name]).interfaces.get(name)
        if old is not None and not old.exists:
            old = None
        old_key = old.dump.public_key if old is not None and old.dump is not None else None
        steps: list[str] = []
        if before and before.get("interface") not in (None, name):
            steps.append(self._teardown_script(str(before["interface"]), spec_of(before)))
        steps += [key_script(spec, rotate), create_script(name),
                  f"printf '%s %s\\n' {shlex.quote(ctx.scope)} {resource.hash()} > "
                  f"{shlex.quote(owner_path(name))}",
                  shell(interface_commands(spec, old, rotated=rotate))]
        seen = run_and_host_report(transport, steps, name, f"creating {name}",
                                    key_files([spec]), private_key(spec, resource)
                                    ).interfaces[name]
        public = seen.dump.public_key if seen.dump is not None else ""
        if not is_public_key(public):
            raise TerminalError(f"{name} on {address.host} has no usable public key",
                                hint=HINT)
        me = PeerConfig(public, str(spec["endpoint"]), tuple(spec["allowed_ips"]),
                        int(spec["persistent_keepalive"] or 0))
        stale = old_key if old_key not in (None, public) and old_key and \
            is_public_key(old_key) else None
        wanted, complete = self._exchange(spec, me, stale, ctx)
        psks = preshared_keys(spec, resource)
        wanted += [external_peer(p, next((v for v, k in psks.items() if k == p["public_key"]),
                                         None)) for p in spec.get("external_peers", [])]
        current = seen.dump
        updates = peer_commands(name, wanted, current)
        if not complete:  # a peer could not be asked: keep entries we cannot account for
            updates = [c for c in updates if c[-1] != "remove"]
        if spec.get("role") == "hub":
            updates.append(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        if spec.get("config_path"):
            transport.write_file(str(spec["config_path"]),
                                 wg_quick_config(spec, wanted).encode(), 0o600)
        final = run_and_host_report(transport, [shell(updates)], name,
                                     f"updating the peers of {name}", key_files([spec]),
                                     {v: secret(resource, secret_path(k))
                                      for v, k in psks.items()})
        return self._observed(address, spec, final.interfaces[name], final.now, None,
                              ctx.scope)

    def _exchange(self, spec: WireguardSpec, me: PeerConfig, stale: str | None,
                  ctx: ActuatorContext) -> tuple[list[PeerConfig], bool]:
        """Read each peer's public key on its host and install our entry there."""
        wanted: list[PeerConfig] = []
        complete = True
        for peer in spec.get("peers", []):
            node, iface = str(peer["node"]), str(peer["interface"])
            transport = self._peer_transport(node)
            if transport is None:
                complete = False
                ctx.events(Event("node.log", f"wireguard.{spec['network']}@{node}",
                                 f"peer {node} not reachable yet; it gets this node when "
                                 "it is applied"))
                continue
            commands = [["wg", "set", iface, "peer", stale, "remove"]] if stale else []
            commands.append(["wg", "set", iface, *peer_args(me)])
            q = shlex.quote(iface)
            script = (f"if ip link show dev {q} >/dev/null 2>&1; then\n"
                      f"{shell(commands)}\nfi")
            seen = run_and_report(transport, [script], iface, f"adding this node to {iface}")
            if not seen.exists or seen.dump is None or \
                    not is_public_key(seen.dump.public_key):
                continue  # not created yet: it installs us when it is applied
            wanted.append(PeerConfig(seen.dump.public_key, str(peer["endpoint"]),
                                     tuple(peer["allowed_ips"]), me.keepalive))
        return wanted, complete

    # -- delete --------------------------------------------------------------------------------

    def _teardown_script(self, name: str, spec: WireguardSpec) -> str:
        q = shlex.quote(name)
        lines = [f"ip link del dev {q} 2>/dev/null || true", remove_keys_script(name)]
        if spec.get("config_path"):
            lines.append(f"rm -f {shlex.quote(str(spec['config_path']))}")
        return "\n".join(lines)

    def _delete(self, change: Change, ctx: ActuatorContext) -> None:
        """Remove the node's entry from every peer (matched by key or by its allowed IPs, so
        this works when the node itself is gone), then its interface and keys."""
        spec = spec_of(change.before or {"interface": ""})
        name = str(spec.get("interface") or "")
        if not name:
            return
        with self._guard:
            public = self._public.get(change.address)
        mine = normalize_ips(",".join(spec.get("allowed_ips", [])))
        for peer in spec.get("peers", []):
            transport = self._peer_transport(str(peer["node"]))
            iface = str(peer["interface"])
            seen = report_of(transport, [iface]).interfaces.get(iface) if transport else None
            if transport is None or seen is None or seen.dump is None:
                continue
            gone = [["wg", "set", iface, "peer", p.public_key, "remove"]
                    for p in seen.dump.peers if p.public_key == public or p.allowed_ips == mine]
            if gone:
                run(transport, shell(gone), f"removing {change.address.host} from {iface}")
        try:
            run(ctx.transport, self._teardown_script(name, spec), f"removing {name}")
        except HostUnreachable as exc:
            ctx.events(Event("node.log", str(change.address),
                             f"{exc.message}: its interface {name} was left there (peers no "
                             "longer accept it); keep the host under `hosts:` to remove it"))

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        interface = spec_of(resource.spec)["interface"]
        seen = report_of(ctx.transport, [interface])
        report = seen.interfaces.get(interface)
        if report is None or not report.exists or not report.up:
            return Health(HealthStatus.UNHEALTHY, "interface missing or down")
        return Health(HealthStatus.HEALTHY, f"{len(report.dump.peers) if report.dump else 0} "
                                            "peer(s)")
