"""Interpolation of Drafts into Resources: variables, ``${svc.attr}`` references, secrets.

A :class:`Resolver` knows every Draft (ports already allocated) and the environment. It
expands each string of a Draft's spec, resolves references (``port``, ``ip``, ``host``,
``url``, ``name`` and ``env.NAME`` of another service, with cycle detection), reports
missing variables (warnings, errors when strict) and unknown references, and replaces secret
env values by their keyed-hash markers, keeping the clear values in ``Resource.secrets``.

``${svc.ip}`` (and the host part of ``${svc.url}``) is the address the *caller* uses: 127.0.0.1
when both run on the same host, the LAN address on a shared LAN, the WireGuard address
otherwise (:class:`reconciler.model.topology.Topology`, built from the documents' ``hosts:`` and
``networks:``). A service that declares ``network: <a wireguard network>`` and runs on one of
its nodes lives on the overlay: its ``${svc.ip}`` is the node's WireGuard address for itself
and for every caller on a node of that network (the topology's answer for other callers), and
it depends (``service_started``) on ``wireguard.<network>@<host>``, so the interface is up
before it starts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from reconciler.config.interpolate import ReferenceProblem, interpolate
from reconciler.errors import Diagnostic, Severity, SourceRange, error, warning
from reconciler.model.build_draft import Draft
from reconciler.model.build_wireguard import KIND as WIREGUARD
from reconciler.model.build_wireguard import overlay_networks
from reconciler.model.secrets import is_secret_name, marker
from reconciler.model.sops_refs import SopsHost, SopsProblem, SopsRef, resolve_file
from reconciler.model.topology import Topology, hosts_from_settings
from reconciler.model.types import (
    LOCAL_HOST,
    Address,
    Condition,
    Dependency,
    HealthCheck,
    Resource,
)

_URL_SCHEMES = {"postgres": "postgresql://postgres@{ip}:{port}/postgres",
                "redis": "redis://{ip}:{port}/0"}


class SopsReferenceProblem(ReferenceProblem):
    """A ``{sops: ...}`` value that cannot be read, with the hint that goes with it."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


class Resolver:
    """Expands the strings of every Draft; collects the diagnostics it finds."""

    def __init__(self, drafts: Mapping[str, Draft], env: Mapping[str, str], *, strict: bool,
                 secret_key: bytes, host_addresses: Mapping[str, str],
                 sops: SopsHost | None = None):
        self.drafts = drafts
        self.sops = sops
        self.env = env
        self.strict = strict
        self.secret_key = secret_key
        self.host_addresses = host_addresses
        self.diagnostics: list[Diagnostic] = []
        self._memo: dict[tuple[str, str], tuple[str, bool]] = {}
        self._stack: list[tuple[str, str]] = []
        self._tainted = False
        self._caller = LOCAL_HOST
        docs = {id(d.doc): d.doc for d in drafts.values() if d.doc.format == "services"}
        self.overlays = overlay_networks(list(docs.values()))
        self.topology = _topology(drafts.values(), self.overlays)

    # -- references -------------------------------------------------------------------------

    def ip_of(self, draft: Draft) -> str:
        """``draft``'s address as seen from the draft being resolved (the caller)."""
        overlay = self.overlay_of(draft)
        if overlay is not None and (self._caller == draft.host
                                    or self._caller in self.overlays[overlay[0]]):
            return overlay[1]
        if draft.host == self._caller:
            return "127.0.0.1"
        if draft.host in self.topology.hosts or draft.host == LOCAL_HOST:
            return self.topology.address_for(draft.host, self._caller)
        return self.host_addresses.get(draft.host, draft.host)

    def overlay_of(self, draft: Draft) -> tuple[str, str] | None:
        """(network, overlay address) when ``draft`` declares a wireguard network it is on."""
        try:
            body: Any = draft.doc.data
            for key in draft.path:
                body = body[key]
        except (KeyError, IndexError, TypeError):
            return None
        network = body.get("network") if isinstance(body, Mapping) else None
        members = self.overlays.get(str(network)) if network is not None else None
        if not members or draft.host not in members:
            return None
        return str(network), members[draft.host]

    def reference(self, service: str, attr: str) -> str:
        draft = self.drafts.get(service)
        if draft is None:
            close = difflib.get_close_matches(service, list(self.drafts), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ReferenceProblem(f"unknown service '{service}' in ${{{service}.{attr}}}{hint}")
        if attr.startswith("env."):
            try:
                value, secret = self.env_value(draft, attr[4:])
            except SopsReferenceProblem:  # reported once, where the {sops: ...} is written
                raise ReferenceProblem(
                    f"${{{service}.{attr}}} cannot be read: its sops value is unavailable (see "
                    f"{draft.where(*draft.env_path, attr[4:])})") from None
            self._tainted = self._tainted or secret
            return value
        if attr == "name":
            return draft.name
        if attr == "ip":
            return self.ip_of(draft)
        if attr == "host":
            return "localhost" if draft.host == LOCAL_HOST else draft.host
        if attr in ("port", "url"):
            if draft.port is None:
                raise ReferenceProblem(f"service '{service}' has no port for ${{{service}.{attr}}}"
                                       " (give it 'port: auto' or a published port)")
            if attr == "port":
                return str(draft.port)
            scheme = _URL_SCHEMES.get(str(draft.spec.get("stack")), "http://{ip}:{port}")
            return scheme.format(ip=self.ip_of(draft), port=draft.port)
        raise ReferenceProblem(f"unknown attribute '{attr}' in ${{{service}.{attr}}}"
                               " (known: port, ip, host, url, name, env.NAME)")

    def env_value(self, draft: Draft, key: str) -> tuple[str, bool]:
        """The resolved value of env ``key`` of ``draft`` and whether it is secret."""
        slot = (draft.name, key)
        if slot in self._memo:
            return self._memo[slot]
        if slot in self._stack:
            chain = [*self._stack[self._stack.index(slot):], slot]
            raise ReferenceProblem("reference cycle: " + " -> ".join(
                f"{n}.env.{k}" for n, k in chain) + " (" + "; ".join(
                f"{n}.env.{k} at {self.drafts[n].where(*self.drafts[n].env_path, k)}"
                for n, k in chain[:-1]) + ")")
        if key not in draft.env:
            raise ReferenceProblem(f"service '{draft.name}' has no env var '{key}'")
        raw, explicit = draft.env[key]
        if isinstance(raw, SopsRef):
            self._memo[slot] = (self.sops_value(draft, key, raw), True)
            return self._memo[slot]
        self._stack.append(slot)
        try:
            value, tainted = self.text(draft, raw, draft.where(*draft.env_path, key))
        finally:
            self._stack.pop()
        result = (value, explicit or tainted or is_secret_name(key))
        self._memo[slot] = result
        return result

    def sops_value(self, draft: Draft, key: str, ref: SopsRef) -> str:
        """The value ``ref`` names (never interpolated); a problem names file and key path."""
        if not ref.key_path or self.sops is None:
            raise ReferenceProblem(f"env '{key}' of '{draft.name}': invalid sops reference "
                                   f"{ref.file!r} (write FILE#key.path, e.g. "
                                   "secrets.enc.yaml#db.password)")
        try:
            return self.sops.sops_value(resolve_file(draft.doc, ref.file), ref.key_path)
        except SopsProblem as exc:
            raise SopsReferenceProblem(f"env '{key}' of '{draft.name}' ({{sops: {ref}}}): {exc}",
                                       exc.hint) from None

    # -- strings ----------------------------------------------------------------------------

    def text(self, draft: Draft, value: str, where: SourceRange) -> tuple[str, bool]:
        """``value`` expanded; the flag says a secret went into it."""
        if not draft.interpolate:
            return value, False
        outer, self._tainted = self._tainted, False
        outer_caller, self._caller = self._caller, draft.host

        def variable(name: str) -> str | None:
            if name == "PORT" and draft.port is not None:
                return str(draft.port)
            return self.env.get(name)

        result = interpolate(value, variable, self.reference)
        tainted = self._tainted or any(is_secret_name(v) for v in result.variables)
        self._tainted, self._caller = outer, outer_caller
        for name in dict.fromkeys(result.missing):
            report = error if self.strict else warning
            self.diagnostics.append(report(
                f"environment variable '{name}' is not set", where, address=str(draft.address),
                hint=f"set it in the environment or .env, or give a default: ${{{name}:-value}}"))
        for problem in result.errors:
            self.diagnostics.append(error(problem, where, address=str(draft.address)))
        return result.value, tainted

    def _walk(self, draft: Draft, value: object, where: SourceRange, leaks: list[bool]) -> object:
        if isinstance(value, str):
            expanded, tainted = self.text(draft, value, where)
            leaks.append(tainted)
            return expanded
        if isinstance(value, list):
            return [self._walk(draft, v, where, leaks) for v in value]
        if isinstance(value, dict):
            return {k: self._walk(draft, v, where, leaks) for k, v in value.items()}
        return value

    # -- resources --------------------------------------------------------------------------

    def resource(self, draft: Draft, depends_on: tuple[Dependency, ...]) -> Resource:
        spec: dict[str, object] = {}
        for key, value in draft.spec.items():
            leaks: list[bool] = []
            spec[key] = value if key == "env" else self._walk(draft, value, draft.where(key),
                                                              leaks)
            if any(leaks):
                self.diagnostics.append(warning(
                    f"a secret value is interpolated into '{key}' of '{draft.name}'",
                    draft.where(key), address=str(draft.address),
                    hint="pass secrets through env, where they are masked"))
        if "port" in spec:
            spec["port"] = draft.port
        secrets: dict[str, str] = {}
        if draft.env or "env" in spec:
            env: dict[str, str] = {}
            for key in draft.env:
                try:
                    value, secret = self.env_value(draft, key)
                except ReferenceProblem as exc:
                    hint = exc.hint if isinstance(exc, SopsReferenceProblem) else ""
                    self.diagnostics.append(error(str(exc), draft.where(*draft.env_path, key),
                                                  hint=hint))
                    continue
                if secret:
                    secrets[f"env.{key}"] = value
                    value = marker(value, self.secret_key)
                env[key] = value
            spec["env"] = env
        health = None
        if draft.health is not None:
            target, _ = self.text(draft, draft.health.target, draft.where("health_check"))
            h = draft.health
            health = HealthCheck(h.kind, target, h.interval, h.timeout, h.retries,
                                 h.start_period)
        overlay = self.overlay_of(draft)
        if overlay is not None and draft.kind != WIREGUARD:
            node = Address(WIREGUARD, overlay[0], draft.host)
            if all(d.target != node for d in depends_on):
                depends_on = (*depends_on,
                              Dependency(node, Condition.STARTED, draft.where("network")))
        return Resource(draft.address, spec, depends_on, health, draft.source, secrets,
                        draft.protect, dict(draft.labels), draft.order, adopt=draft.adopt)


def has_error(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def _topology(drafts: Iterable[Draft], overlays: Mapping[str, Mapping[str, str]]) -> Topology:
    """Hosts and networks of every services document the drafts come from; a wireguard node's
    address there is its allocated overlay address."""
    settings: dict[str, Any] = {"hosts": {}, "networks": {}}
    seen: set[int] = set()
    for draft in drafts:
        data = draft.doc.data
        if id(data) in seen or not isinstance(data, dict) or draft.doc.format != "services":
            continue
        seen.add(id(data))
        for key in ("hosts", "networks"):
            if isinstance(data.get(key), dict):
                settings[key].update(data[key])
    hosts = hosts_from_settings(settings)
    for members in reversed(list(overlays.values())):  # the first network wins
        for name, ip in members.items():
            if name in hosts and "wireguard" in hosts[name].networks:
                hosts[name] = replace(hosts[name],
                                      networks={**hosts[name].networks, "wireguard": ip})
    return Topology(hosts)
