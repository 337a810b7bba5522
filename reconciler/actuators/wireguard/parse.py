"""Pure parsers of what a host says about its WireGuard interfaces.

:func:`parse_dump` reads ``wg show <if> dump``: a first line for the interface (private key,
public key, listen port, fwmark) and one line per peer (public key, preshared key, endpoint,
allowed IPs, latest handshake, rx bytes, tx bytes, persistent keepalive), tab-separated. The
private key field is blanked ON THE HOST before the text leaves it (see
:func:`reconciler.actuators.wireguard.render.observe_script`); this parser drops that field anyway,
so a
private key can never reach an :class:`InterfaceDump`.

:func:`parse_report` reads the whole observe report of one host: ``@@``-tagged sections per
interface (implementation, ownership mark, key file presence, dump, ``ip -o addr``,
``ip -o link``) plus the host's clock, all gathered in one round trip.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

HIDDEN = "(hidden)"


@dataclass(frozen=True, slots=True)
class PeerDump:
    public_key: str
    endpoint: str | None          # "198.18.1.11:51820", None for "(none)"
    allowed_ips: tuple[str, ...]  # normalized networks, sorted
    latest_handshake: int         # unix time, 0 = never
    rx_bytes: int
    tx_bytes: int
    keepalive: int                # 0 = off
    has_psk: bool = False         # the key itself is blanked on the host


@dataclass(frozen=True, slots=True)
class InterfaceDump:
    public_key: str
    listen_port: int
    fwmark: str
    peers: tuple[PeerDump, ...] = ()


@dataclass(frozen=True, slots=True)
class InterfaceReport:
    """One interface on one host, as observed."""

    name: str
    impl: str = "none"            # kernel | userspace | none (absent)
    owner: str | None = None      # the scope in the ownership mark
    spec_hash: str | None = None  # the spec hash in the ownership mark
    key_present: bool = False
    dump: InterfaceDump | None = None
    addresses: tuple[str, ...] = ()  # "198.19.0.7/24"
    up: bool = False
    mtu: int | None = None

    @property
    def exists(self) -> bool:
        return self.impl != "none"


@dataclass(frozen=True, slots=True)
class HostReport:
    now: int = 0
    interfaces: dict[str, InterfaceReport] = field(default_factory=dict)


def normalize_ips(text: str) -> tuple[str, ...]:
    """``"198.19.0.2/32,198.19.1.0/24"`` -> sorted normalized networks; ``(none)`` -> ()."""
    found: list[str] = []
    for part in text.replace(" ", "").split(","):
        if not part or part == "(none)":
            continue
        try:
            found.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            found.append(part)
    return tuple(sorted(found))


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def parse_dump(text: str) -> InterfaceDump | None:
    """The interface and its peers; None when ``text`` holds no interface line."""
    lines = [line.split("\t") for line in text.splitlines() if line.strip()]
    if not lines or len(lines[0]) < 4:
        return None
    head = lines[0]
    peers: list[PeerDump] = []
    for cols in lines[1:]:
        if len(cols) < 8:
            continue
        keepalive = 0 if cols[7] == "off" else _int(cols[7])
        peers.append(PeerDump(
            public_key=cols[0], endpoint=None if cols[2] == "(none)" else cols[2],
            allowed_ips=normalize_ips(cols[3]), latest_handshake=_int(cols[4]),
            rx_bytes=_int(cols[5]), tx_bytes=_int(cols[6]), keepalive=keepalive,
            has_psk=cols[1] != "(none)"))
    # head[0] is the private key (blanked on the host): deliberately never kept
    return InterfaceDump(public_key=head[1], listen_port=_int(head[2]), fwmark=head[3],
                         peers=tuple(peers))


def parse_addrs(text: str) -> tuple[str, ...]:
    """IPv4 addresses with prefix from ``ip -o addr show dev IF``."""
    found: list[str] = []
    for line in text.splitlines():
        words = line.split()
        if "inet" in words:
            at = words.index("inet")
            if at + 1 < len(words):
                found.append(words[at + 1])
    return tuple(found)


def parse_link(text: str) -> tuple[bool, int | None]:
    """(administratively up, mtu) from ``ip -o link show dev IF``."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    flags = line[line.find("<") + 1:line.find(">")] if "<" in line else ""
    words = line.split()
    mtu = _int(words[words.index("mtu") + 1]) if "mtu" in words[:-1] else None
    return "UP" in flags.split(","), mtu


def _report(name: str, sections: dict[str, list[str]]) -> InterfaceReport:
    impl = (sections.get("impl") or ["none"])[0].strip() or "none"
    owner_words = " ".join(sections.get("owner", [])).split()
    up, mtu = parse_link("\n".join(sections.get("link", [])))
    return InterfaceReport(
        name=name, impl=impl,
        owner=owner_words[0] if owner_words else None,
        spec_hash=owner_words[1] if len(owner_words) > 1 else None,
        key_present=(sections.get("key") or ["no"])[0].strip() == "yes",
        dump=parse_dump("\n".join(sections.get("dump", []))),
        addresses=parse_addrs("\n".join(sections.get("addr", []))), up=up, mtu=mtu)


def parse_report(text: str) -> HostReport:
    """The report of :func:`reconciler.actuators.wireguard.render.observe_script`."""
    now = 0
    interfaces: dict[str, InterfaceReport] = {}
    current: str | None = None
    sections: dict[str, list[str]] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("@@"):
            tag, _, rest = line[2:].partition(" ")
            if tag == "now":
                now = _int(rest.strip())
            elif tag == "if":
                if current is not None:
                    interfaces[current] = _report(current, sections)
                current, sections, section = rest.strip(), {}, ""
            elif tag in ("impl", "owner", "key"):
                sections[tag] = [rest]
            else:
                section = tag
                sections.setdefault(section, [])
            continue
        if current is not None and section:
            sections[section].append(line)
    if current is not None:
        interfaces[current] = _report(current, sections)
    return HostReport(now=now, interfaces=interfaces)
