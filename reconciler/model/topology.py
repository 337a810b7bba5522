"""The host model: which machines a project spans, how to reach them, and what they are.

Pure (no I/O except through a runner handed in), so the model layer may use it too. It owns:

* :class:`HostSpec` — one SSH host, from reconciler's ``hosts:`` form (address, port, user,
  identity_file, labels, jump, sudo, known_hosts, connect_timeout) or the harness form
  ``networks.<lan|wireguard>.nodes`` (host, name, ssh_user, ssh_key[, address]); a name that is
  neither may still be a ``~/.ssh/config`` alias (``HostSpec.alias``).
* :class:`Topology` — every host's address per network (``lan`` / ``wireguard``), used to answer
  ``${svc.ip}`` from the *caller's* point of view (:meth:`Topology.address_for`).
* Facts: :data:`FACTS_SCRIPT` gathers everything ``hosts facts`` shows in ONE round trip
  (POSIX sh), :func:`parse_facts` reads its output.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict

from reconciler.model.types import LOCAL_HOST

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"


class HostDescription(TypedDict):
    """One host as ``hosts list`` shows it (no key material)."""

    name: str
    address: str
    port: int
    user: str | None
    identity_file: str | None
    jump: str | None
    sudo: bool
    labels: dict[str, str]
    networks: dict[str, str]


@dataclass(frozen=True)
class HostSpec:
    """One SSH host. ``networks`` maps network kind/name to the host's address there."""

    name: str
    address: str
    port: int | None = None          # None: ~/.ssh/config or 22
    user: str | None = None          # None: ~/.ssh/config or the local user
    identity_file: str | None = None  # a path; the key itself is never read into output
    jump: str | None = None          # another host's name (or user@host:port) to hop through
    sudo: bool = False               # wrap commands in `sudo -n`; never implied
    known_hosts: str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    labels: Mapping[str, str] = field(default_factory=dict)
    networks: Mapping[str, str] = field(default_factory=dict)
    alias: bool = False              # only known from ~/.ssh/config

    def known_hosts_file(self) -> str:
        return self.known_hosts or DEFAULT_KNOWN_HOSTS

    def describe(self) -> HostDescription:
        """What ``hosts list`` shows: no key material, only the key file's path."""
        return {"name": self.name, "address": self.address, "port": self.port or 22,
                "user": self.user, "identity_file": self.identity_file, "jump": self.jump,
                "sudo": self.sudo, "labels": dict(self.labels), "networks": dict(self.networks)}


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str | int | float) and str(value) else None


def hosts_from_settings(settings: Mapping[str, object]) -> dict[str, HostSpec]:
    """Every host of a desired state's settings: network nodes first, ``hosts:`` wins."""
    found: dict[str, HostSpec] = {}
    default_kh = default_known_hosts(settings)
    networks = settings.get("networks")
    for net_name, net in (networks.items() if isinstance(networks, Mapping) else []):
        if not isinstance(net, Mapping):
            continue
        kind = str(net.get("type") or net_name)
        for node in net.get("nodes") or []:
            if not isinstance(node, Mapping) or not _text(node.get("host")):
                continue
            address = str(node["host"])
            name = _text(node.get("name")) or address
            old = found.get(name)
            nets = dict(old.networks) if old else {}
            nets["lan" if kind != "wireguard" else "wireguard"] = \
                str(node.get("address") or address) if kind == "wireguard" else address
            nets.setdefault("lan", address)
            found[name] = HostSpec(name, address, user=_text(node.get("ssh_user")),
                                   identity_file=_text(node.get("ssh_key")),
                                   known_hosts=default_kh, networks=nets)
    hosts = settings.get("hosts")
    for name, entry in (hosts.items() if isinstance(hosts, Mapping) else []):
        if not isinstance(entry, Mapping):
            continue
        old = found.get(str(name))
        address = _text(entry.get("address")) or (old.address if old else str(name))
        nets = {**(old.networks if old else {}), "lan": address}
        port = entry.get("port")
        timeout = entry.get("connect_timeout")
        labels = entry.get("labels")
        found[str(name)] = HostSpec(
            str(name), address, port=port if isinstance(port, int) else None,
            user=_text(entry.get("user")) or (old.user if old else None),
            identity_file=_text(entry.get("identity_file")) or (old.identity_file if old
                                                                 else None),
            jump=_text(entry.get("jump")), sudo=entry.get("sudo") is True,
            known_hosts=_text(entry.get("known_hosts")) or default_kh,
            connect_timeout=float(timeout) if isinstance(timeout, int | float)
            else DEFAULT_CONNECT_TIMEOUT,
            labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping)
            else {}, networks=nets)
    return found


def alias_host(name: str, settings: Mapping[str, object] | None = None) -> HostSpec:
    """A host known only by name: a ``~/.ssh/config`` alias or a plain DNS name/address."""
    return HostSpec(name, name, known_hosts=default_known_hosts(settings or {}), alias=True)


def default_known_hosts(settings: Mapping[str, object]) -> str | None:
    """``settings.known_hosts`` of services.yaml (or a top-level ``known_hosts``)."""
    inner = settings.get("settings")
    if isinstance(inner, Mapping) and _text(inner.get("known_hosts")):
        return _text(inner.get("known_hosts"))
    return _text(settings.get("known_hosts"))


# -- topology ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Topology:
    """Addresses per host per network; ``local`` is this machine."""

    hosts: Mapping[str, HostSpec] = field(default_factory=dict)

    def address_for(self, target: str, caller: str) -> str:
        """The address ``caller`` should use to reach ``target``: 127.0.0.1 on the same host,
        the LAN address on a shared LAN, the WireGuard address otherwise (else the primary
        address the engine reaches it by)."""
        if target == caller:
            return "127.0.0.1"
        spec = self.hosts.get(target)
        if target == LOCAL_HOST or spec is None:
            mine = self.hosts.get(caller)
            local = self.hosts.get(LOCAL_HOST)
            if target == LOCAL_HOST and local is not None:
                return local.networks.get("lan") or local.address
            return "127.0.0.1" if target == LOCAL_HOST and mine is None else target
        mine = self.hosts.get(caller)
        if caller == LOCAL_HOST or mine is None:
            return spec.networks.get("lan") or spec.address
        if "lan" in spec.networks and "lan" in mine.networks and \
                _same_lan(spec.networks["lan"], mine.networks["lan"]):
            return spec.networks["lan"]
        if "wireguard" in spec.networks and "wireguard" in mine.networks:
            return spec.networks["wireguard"]
        return spec.networks.get("lan") or spec.address


def _same_lan(a: str, b: str) -> bool:
    """Two IPv4 addresses in the same /24 (a name is assumed to be on the LAN)."""
    pa, pb = a.split("."), b.split(".")
    if len(pa) != 4 or len(pb) != 4 or not all(p.isdigit() for p in pa + pb):
        return True
    return pa[:3] == pb[:3]


# -- facts (one round trip) -------------------------------------------------------------------

FACTS_SCRIPT = r"""
echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
echo "os=$(uname -s)"; echo "kernel=$(uname -r)"; echo "arch=$(uname -m)"
if [ -r /etc/os-release ]; then . /etc/os-release; echo "distro=${PRETTY_NAME:-$ID}"; fi
echo "user=$(id -un)"; echo "uid=$(id -u)"
echo "boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"
echo "uptime=$(cut -d' ' -f1 /proc/uptime 2>/dev/null)"
command -v python3 >/dev/null 2>&1 && echo "python3=yes" || echo "python3=no"
if command -v docker >/dev/null 2>&1; then
  v=$(timeout 5 docker version --format '{{.Server.Version}}' 2>/dev/null)
  echo "docker=${v:-cli only (no daemon answers)}"
else echo "docker=no"; fi
if [ -d /sys/module/wireguard ]; then echo "wireguard=kernel"
elif command -v wireguard-go >/dev/null 2>&1; then echo "wireguard=wireguard-go"
else echo "wireguard=no"; fi
command -v wg >/dev/null 2>&1 && echo "wg=yes" || echo "wg=no"
if [ "$(id -u)" = 0 ]; then echo "sudo=root"
elif sudo -n true 2>/dev/null; then echo "sudo=yes"; else echo "sudo=no"; fi
ip -o -4 addr show 2>/dev/null | while read -r _ ifname _ cidr _; do
  echo "addr=$ifname $cidr"; done
"""


class RunResult(Protocol):
    """What a command answered (a transport's ``CommandResult``)."""

    @property
    def returncode(self) -> int: ...

    @property
    def stdout(self) -> str: ...

    @property
    def stderr(self) -> str: ...


class Runner(Protocol):
    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: str | None = None, input: bytes | None = None,
            timeout: float | None = None) -> RunResult: ...


def parse_facts(text: str) -> dict[str, Any]:
    """``key=value`` lines -> facts; ``addr=IF CIDR`` lines become ``addresses``."""
    facts: dict[str, Any] = {"addresses": {}}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key == "addr":
            ifname, _, cidr = value.partition(" ")
            if ifname != "lo":
                facts["addresses"].setdefault(ifname, []).append(cidr.strip())
        else:
            facts[key] = value.strip()
    return facts


def gather_facts(runner: Runner, timeout: float = 20.0) -> dict[str, Any]:
    """Every fact of one host in one round trip; ``{"error": ...}`` when the script failed."""
    result = runner.run(["sh", "-s"], input=FACTS_SCRIPT.encode(), timeout=timeout)
    facts = parse_facts(str(result.stdout))
    if result.returncode != 0 and len(facts) <= 1:
        facts["error"] = str(result.stderr).strip() or f"exit {result.returncode}"
    return facts


def fingerprint(key_blob: bytes) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint of a public key blob."""
    digest = base64.b64encode(hashlib.sha256(key_blob).digest()).decode()
    return "SHA256:" + digest.rstrip("=")


def known_hosts_entry(address: str, port: int | None) -> str:
    """The host column of a known_hosts line: ``addr`` or ``[addr]:port``."""
    return address if port in (None, 22) else f"[{address}]:{port}"


def names(hosts: Iterable[HostSpec]) -> list[str]:
    return sorted(h.name for h in hosts)
