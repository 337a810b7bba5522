"""The intermediate form of model.build: one Draft per service, before interpolation.

Format-specific readers (``build_services``, ``build_locald``) turn documents into Drafts:
the kind, host and unresolved spec of a resource, its port request, dependencies (by name),
health check template and source. ``build_resolve`` then allocates ports, interpolates every
string and produces the final :class:`~reconciler.model.types.Resource`.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from typing import TypedDict

from reconciler.actuators.container.spec import PortMapping
from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, SourceRange, error
from reconciler.model.sops_refs import SopsRef, parse_ref
from reconciler.model.types import LOCAL_HOST, Address, Condition, ProbeKind

DEFAULT_STARTUP_TIMEOUT = 60.0
DEFAULT_SHUTDOWN_TIMEOUT = 10.0
Path = tuple[str | int, ...]
EnvValue = str | SopsRef  # an env value: text, or a sops reference the Resolver decrypts


@dataclass
class DepDraft:
    name: str
    condition: Condition | None  # None: default for the target (healthy; completed for tasks)
    source: SourceRange


@dataclass
class HealthDraft:
    kind: ProbeKind
    target: str  # may hold ${...}, resolved with the rest of the spec
    interval: float = 30.0
    timeout: float = 10.0
    retries: int = 3
    start_period: float = 0.0


class HealthTiming(TypedDict, total=False):
    """A probe's timing as a config gives it (:class:`HealthDraft`'s defaults fill the rest)."""

    interval: float
    timeout: float
    retries: int
    start_period: float


@dataclass
class Draft:
    """One resource as read from its file, not yet interpolated."""

    name: str
    kind: str
    doc: RawDocument
    path: Path  # key path of the service in its document
    host: str = LOCAL_HOST
    spec: dict[str, object] = field(default_factory=dict)
    env: dict[str, tuple[EnvValue, bool]] = field(default_factory=dict)  # name -> (value, secret)
    env_path: Path = ()
    port_request: str | int | None = None  # "auto", a fixed port, or None
    port: int | None = None  # the port once allocated
    deps: list[DepDraft] = field(default_factory=list)
    health: HealthDraft | None = None
    labels: dict[str, str] = field(default_factory=dict)
    protect: bool = False
    adopt: str | None = None  # `adopt: {id: ...}` (engine/importing.py)
    order: int = 0
    interpolate: bool = True  # Procfile commands are left to the shell

    @property
    def address(self) -> Address:
        return Address(self.kind, self.name, self.host)

    @property
    def source(self) -> SourceRange:
        return self.doc.where(*self.path)

    def where(self, *sub: str | int) -> SourceRange:
        return self.doc.where(*self.path, *sub)


def absolute(doc: RawDocument, path: str | None) -> str:
    """``path`` relative to the directory of ``doc`` as an absolute, normalized string."""
    base = os.path.abspath(doc.path.parent)
    if not path:
        return base
    return os.path.normpath(os.path.join(base, os.path.expanduser(path)))


def shell(command: str) -> list[str]:
    return ["/bin/sh", "-c", command]


def argv(value: object) -> list[str] | None:
    """A command given as a string (split shell-style) or a list, as argv; None if absent."""
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        return shlex.split(str(value))
    except ValueError:
        return [str(value)]


def stringify(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def env_of(raw: object) -> dict[str, tuple[EnvValue, bool]]:
    """Env values with their explicit-secret flag (``{secret: ...}``); a ``{sops: ...}``
    reference stays a :class:`~reconciler.model.sops_refs.SopsRef`, resolved by the Resolver."""
    out: dict[str, tuple[EnvValue, bool]] = {}
    if not isinstance(raw, dict):
        return out
    for name, value in raw.items():
        if isinstance(value, dict) and "sops" in value:
            out[str(name)] = (parse_ref(value["sops"]) or SopsRef(str(value["sops"]), ""), True)
        elif isinstance(value, dict) and "secret" in value:
            out[str(name)] = (stringify(value["secret"]), True)
        elif value is not None:
            out[str(name)] = (stringify(value), False)
    return out


_PORT = re.compile(
    r"^(?:(?P<ip>\d+\.\d+\.\d+\.\d+):)?(?:(?P<host>\d+):)?(?P<container>\d+)(?:/(?P<proto>tcp|udp))?$")


def parse_ports(draft: Draft, raw: object) -> tuple[list[PortMapping], list[Diagnostic]]:
    """Docker ``ports`` entries (``5432`` or ``"15432:5432"``) as port mappings."""
    mappings: list[PortMapping] = []
    problems: list[Diagnostic] = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        match = _PORT.match(str(item).strip()) if not isinstance(item, bool) else None
        if match is None:
            problems.append(error(f"invalid port mapping {item!r}",
                                  draft.where("ports", index),
                                  hint="use CONTAINER, 'HOST:CONTAINER' or 'IP:HOST:CONTAINER'"))
            continue
        host = match.group("host")
        mapping: PortMapping = {"host": int(host) if host else None,
                                "container": int(match.group("container")),
                                "host_ip": match.group("ip") or "127.0.0.1"}
        if match.group("proto") == "udp":
            mapping["protocol"] = "udp"
        mappings.append(mapping)
    return mappings, problems


def volumes_of(doc: RawDocument, raw: object) -> list[str]:
    """Bind mounts with relative host paths made absolute (relative to the config file)."""
    out: list[str] = []
    for item in raw if isinstance(raw, list) else []:
        text = str(item)
        if text.startswith(("./", "../", "~")):
            host, sep, rest = text.partition(":")
            text = absolute(doc, host) + sep + rest
        out.append(text)
    return out


def number(value: object, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)
