"""Text the engine sends to nodes: the observe script, live ``wg set`` commands, wg-quick files.

Live updates follow ``wg syncconf`` semantics: :func:`peer_commands` compares the desired peers
with the interface's current dump and emits only ``wg set <if> peer <key> ...`` for peers
that are new or changed and ``wg set <if> peer <key> remove`` for peers no longer wanted.
Other peers are not touched, so their sessions go on; the interface is never taken down.
:func:`interface_commands` likewise sets the listen port, address, MTU and link state only
where they differ. :func:`wg_quick_config` renders an equivalent wg-quick file whose
``PostUp`` loads the private key from its file on the node (the key is never in the text),
and the preshared keys of external peers likewise.

A key from sops (``private_key`` / ``preshared_key`` in the spec) reaches the node on the
script's standard input only: :func:`stdin_prologue` reads each into a shell variable (never
exported, so in no process's command line or environment) before anything else runs, and
the command that uses it is a :data:`Step` string piping the variable into ``wg set ...
/dev/stdin`` with the shell's own ``printf``.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.actuators.wireguard.keys import (
    hidden_dump_script,
    is_public_key,
    key_from_file_script,
    owner_path,
    private_key_path,
)
from reconciler.actuators.wireguard.parse import InterfaceDump, InterfaceReport, normalize_ips
from reconciler.actuators.wireguard.spec import ExternalPeerSpec, WireguardSpec

Argv = list[str]
Step = Argv | str  # a command, or a line of shell (used only for keys held in variables)
PRIVATE_KEY_VAR = "wg_private_key"


def stdin_prologue(variables: Sequence[str]) -> str:
    """Shell that reads one line of standard input into each of ``variables``, in order."""
    return "\n".join(f"IFS= read -r {name} || true" for name in variables)


def _from_var(variable: str, command: str) -> str:
    return f"printf '%s\\n' \"${variable}\" | {command} /dev/stdin"


@dataclass(frozen=True, slots=True)
class PeerConfig:
    """One peer entry as it should be on an interface."""

    public_key: str
    endpoint: str | None
    allowed_ips: tuple[str, ...]
    keepalive: int = 0
    preshared_key_file: str | None = None  # a path on the node (external peers)
    preshared_key_var: str | None = None  # the shell variable with a preshared key from sops

    @property
    def has_psk(self) -> bool:
        return self.preshared_key_file is not None or self.preshared_key_var is not None


def external_peer(peer: ExternalPeerSpec, psk_var: str | None = None) -> PeerConfig:
    """``peer`` as it should be; ``psk_var`` holds its preshared key from sops."""
    return PeerConfig(peer["public_key"], peer.get("endpoint"), tuple(peer["allowed_ips"]),
                      int(peer.get("persistent_keepalive") or 0),
                      peer.get("preshared_key_file"), psk_var)


def key_file(spec: WireguardSpec) -> str:
    """Where the node's private key is: its ``private_key_file`` or reconciler's own."""
    return str(spec.get("private_key_file") or private_key_path(str(spec["interface"])))


def observe_script(interfaces: Iterable[str],
                   key_files: Mapping[str, str] | None = None) -> str:
    """One shell script reporting every interface (see
    :mod:`reconciler.actuators.wireguard.parse`); ``key_files`` are the private key files
    of interfaces that do not use reconciler's own."""
    parts = ["echo \"@@now $(date +%s)\""]
    for name in sorted(set(interfaces)):
        key = (key_files or {}).get(name) or private_key_path(name)
        q = shlex.quote(name)
        parts.append("\n".join([
            f"echo '@@if {name}'",
            f"if [ -S /var/run/wireguard/{name}.sock ] && ip link show dev {q} >/dev/null 2>&1;"
            " then echo '@@impl userspace';",
            f"elif ip link show dev {q} >/dev/null 2>&1; then echo '@@impl kernel';",
            "else echo '@@impl none'; fi",
            f"echo \"@@owner $(cat {shlex.quote(owner_path(name))} 2>/dev/null)\"",
            f"if [ -s {shlex.quote(key)} ]; then echo '@@key yes'; "
            "else echo '@@key no'; fi",
            "echo '@@dump'", hidden_dump_script(name),
            "echo '@@addr'", f"ip -o -4 addr show dev {q} 2>/dev/null",
            "echo '@@link'", f"ip -o link show dev {q} 2>/dev/null",
        ]))
    parts.append("true")
    return "\n".join(parts)


def create_script(interface: str) -> str:
    """Shell that creates the interface if missing: the kernel's ``ip link add ... type
    wireguard`` where it works, else the userspace wireguard-go (which daemonizes itself)."""
    q = shlex.quote(interface)
    return (f"if ! ip link show dev {q} >/dev/null 2>&1; then\n"
            f"  ip link add dev {q} type wireguard 2>/dev/null || "
            f"env -u WG_PROCESS_FOREGROUND wireguard-go {q} >/dev/null 2>&1 || "
            f"{{ echo 'cannot create {interface}: no kernel WireGuard and wireguard-go "
            "failed' >&2; exit 1; }\nfi")


def interface_commands(spec: WireguardSpec, report: InterfaceReport | None,
                       *, rotated: bool) -> list[Step]:
    """``wg``/``ip`` commands that give an existing interface its own settings (not peers).
    A key from sops is set every time (from :data:`PRIVATE_KEY_VAR`; the same key again is
    a no-op for WireGuard), so a key rotated in the encrypted file is applied."""
    name = str(spec["interface"])
    dump = report.dump if report is not None else None
    commands: list[Step] = []
    if spec.get("private_key"):
        commands.append(_from_var(PRIVATE_KEY_VAR, f"wg set {shlex.quote(name)} listen-port "
                                  f"{spec['listen_port']} private-key"))
    elif rotated or dump is None or dump.listen_port != spec["listen_port"] or \
            not is_public_key(dump.public_key):
        if spec.get("private_key_file"):
            commands.append(["sh", "-c", f"{key_from_file_script(key_file(spec))} | wg set "
                             f"{shlex.quote(name)} listen-port {spec['listen_port']} "
                             "private-key /dev/stdin"])
        else:
            commands.append(["wg", "set", name, "listen-port", str(spec["listen_port"]),
                             "private-key", private_key_path(name)])
    current = report.addresses if report is not None else ()
    for address in current:
        if address != spec["address"]:
            commands.append(["ip", "addr", "del", address, "dev", name])
    if spec["address"] not in current:
        commands.append(["ip", "addr", "add", str(spec["address"]), "dev", name])
    if spec.get("mtu") and (report is None or report.mtu != spec["mtu"]):
        commands.append(["ip", "link", "set", "dev", name, "mtu", str(spec["mtu"])])
    if report is None or not report.up:
        commands.append(["ip", "link", "set", "dev", name, "up"])
    return commands


def peer_args(peer: PeerConfig) -> Argv:
    args = ["peer", peer.public_key]
    if peer.endpoint:
        args += ["endpoint", peer.endpoint]
    args += ["persistent-keepalive", str(peer.keepalive) if peer.keepalive else "off",
             "allowed-ips", ",".join(peer.allowed_ips)]
    return args


def peer_commands(interface: str, wanted: Sequence[PeerConfig],
                  current: InterfaceDump | None) -> list[Step]:
    """The ``wg set`` commands that turn ``current`` peers into ``wanted`` (syncconf-like).
    A preshared key from sops is set every time (its change is not visible in the dump)."""
    have = {p.public_key: p for p in current.peers} if current is not None else {}
    want_keys = {p.public_key for p in wanted}
    commands: list[Step] = [["wg", "set", interface, "peer", key, "remove"]
                            for key in sorted(have) if key not in want_keys]
    for peer in wanted:
        seen = have.get(peer.public_key)
        if peer.preshared_key_var is not None:
            commands.append(_from_var(peer.preshared_key_var, f"wg set {shlex.quote(interface)}"
                                      f" peer {shlex.quote(peer.public_key)} preshared-key"))
        if seen is not None and seen.endpoint == peer.endpoint and \
                seen.allowed_ips == normalize_ips(",".join(peer.allowed_ips)) and \
                seen.keepalive == peer.keepalive and seen.has_psk == peer.has_psk:
            continue
        commands.append(["wg", "set", interface, *peer_args(peer)])
        if peer.preshared_key_file is not None:
            extract = key_from_file_script(peer.preshared_key_file, "presharedkey",
                                           peer.public_key)
            commands.append(["sh", "-c", f"{extract} | wg set {shlex.quote(interface)} peer "
                             f"{shlex.quote(peer.public_key)} preshared-key /dev/stdin"])
    return commands


def shell(commands: Iterable[Step]) -> str:
    """Commands as one ``set -e`` shell script (for a single round trip)."""
    return "\n".join(["set -e", *(c if isinstance(c, str) else shlex.join(c)
                                   for c in commands)])


def wg_quick_config(spec: WireguardSpec, peers: Sequence[PeerConfig]) -> str:
    """A wg-quick compatible file for ``spec``; the private key is loaded from its file."""
    name = str(spec["interface"])
    lines = ["# written by reconciler; the private key stays in its file on this node",
             "[Interface]", f"Address = {spec['address']}", f"ListenPort = {spec['listen_port']}"]
    if spec.get("mtu"):
        lines.append(f"MTU = {spec['mtu']}")
    if spec.get("private_key_file"):  # wg-quick runs hooks with bash
        lines.append(f"PostUp = wg set %i private-key <({key_from_file_script(key_file(spec))})")
    else:
        lines.append(f"PostUp = wg set %i private-key {private_key_path(name)}")
    for peer in peers:
        if peer.preshared_key_file is not None:
            extract = key_from_file_script(peer.preshared_key_file, "presharedkey",
                                           peer.public_key)
            lines.append(f"PostUp = wg set %i peer {peer.public_key} preshared-key "
                         f"<({extract})")
    for peer in peers:
        lines += ["", "[Peer]", f"PublicKey = {peer.public_key}",
                  f"AllowedIPs = {', '.join(peer.allowed_ips)}"]
        if peer.endpoint:
            lines.append(f"Endpoint = {peer.endpoint}")
        if peer.keepalive:
            lines.append(f"PersistentKeepalive = {peer.keepalive}")
    return "\n".join(lines) + "\n"
