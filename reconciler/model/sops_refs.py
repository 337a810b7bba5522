"""SOPS references in the config: ``{sops: FILE#key.path}`` env values and encrypted ``env_file``.

This pure module owns what a reference *is*: :class:`SopsRef` (an encrypted file, relative to
the config file that names it, and a dotted key path inside it), how it is parsed
(:func:`parse_ref`), the :class:`SopsHost` questions model.build asks about encrypted files
(their key names, read without decrypting, and a value, decrypted in memory only when the
build is allowed to), the :class:`SopsProblem` those questions raise, every reference of a
project (:func:`references`, for ``reconciler secrets show-refs`` and the pre-commit hook:
env values, encrypted ``env_file`` and the WireGuard ``private_key`` / ``preshared_key`` of
``type: wireguard`` networks) and the
``secrets: {require_encrypted: true}`` policy check (:func:`clear_secret_problems`).

A value read through a reference is always a secret: it is replaced by its keyed-hash marker in
every spec and kept in clear only in ``Resource.secrets`` (see :mod:`reconciler.model.secrets`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, SourceRange, error

__all__ = ["SopsHost", "SopsProblem", "SopsRef", "clear_secret_problems", "parse_ref",
           "references", "resolve_file"]

ENV_FILE_KEY = "*"  # the key path of a reference to a whole encrypted dotenv file


@dataclass(frozen=True, slots=True)
class SopsRef:
    """``{sops: "FILE#key.path"}`` as written: ``file`` is still relative to its config file."""

    file: str
    key_path: str

    def __str__(self) -> str:
        return f"{self.file}#{self.key_path}"


class SopsProblem(Exception):
    """An encrypted file or key path that cannot be used; the message names the file and key
    path, never a value."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


class SopsHost(Protocol):
    """What model.build asks about SOPS-encrypted files (answered by
    :class:`reconciler.engine.sops.SopsFiles`)."""

    def sops_keys(self, path: Path) -> frozenset[str]:
        """The dotted key paths of the leaves of encrypted ``path``, read without decrypting;
        raises :class:`SopsProblem` when it is missing, unreadable or not encrypted."""

    def sops_value(self, path: Path, key_path: str) -> str:
        """The clear value at ``key_path`` (decrypted in memory), or, when this build may not
        decrypt (validate, the hook), a stand-in that changes with the ciphertext."""


def parse_ref(text: object) -> SopsRef | None:
    """``"secrets.enc.yaml#db.password"`` as a reference; None when malformed."""
    if not isinstance(text, str) or text.count("#") != 1:
        return None
    file, key_path = (part.strip() for part in text.split("#"))
    if not file or not key_path or any(not p for p in key_path.split(".")):
        return None
    return SopsRef(file, key_path)


def resolve_file(doc: RawDocument, file: str) -> Path:
    """``file`` relative to the directory of the config file ``doc``."""
    base = os.path.abspath(doc.path.parent)
    return Path(os.path.normpath(os.path.join(base, os.path.expanduser(file))))


def _services(doc: RawDocument) -> Iterator[tuple[str, str, dict[str, Any]]]:
    if doc.format not in ("services", "locald") or not isinstance(doc.data, dict):
        return
    for section in ("services", "tasks"):
        entries = doc.data.get(section)
        for name, svc in (entries.items() if isinstance(entries, dict) else []):
            if isinstance(svc, dict):
                yield section, str(name), svc


def _envs(svc: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    if isinstance(svc.get("env"), dict):
        yield ("env",), svc["env"]
    target = svc.get("target")
    if isinstance(target, dict) and isinstance(target.get("env"), dict):
        yield ("target", "env"), target["env"]


@dataclass(frozen=True, slots=True)
class Reference:
    """One use of an encrypted value: ``service`` (``section.name``) env ``variable`` (or
    ``*`` for a whole ``env_file``) from ``file`` at ``key_path``, written at ``where``; for a
    WireGuard key ``service`` is the node's address and ``prefix`` empty."""

    service: str
    variable: str
    file: Path
    key_path: str
    where: SourceRange
    prefix: str = "env."


def _wireguard_refs(doc: RawDocument) -> Iterator[Reference]:
    """The ``{sops: ...}`` keys of the nodes (and their external peers) of wireguard networks."""
    networks = doc.data.get("networks") if doc.format == "services" and isinstance(
        doc.data, dict) else None
    for net, body in (networks.items() if isinstance(networks, dict) else []):
        nodes = body.get("nodes") if isinstance(body, dict) and \
            body.get("type") == "wireguard" else None
        for index, node in enumerate(nodes if isinstance(nodes, list) else []):
            if not isinstance(node, dict):
                continue
            address = f"wireguard.{net}@{node.get('name') or node.get('host')}"
            places: list[tuple[str, tuple[str | int, ...], object]] = [
                ("private_key", ("private_key",), node.get("private_key"))]
            peers = node.get("external_peers")
            places += [(f"external_peers.{i}.preshared_key",
                        ("external_peers", i, "preshared_key"), peer.get("preshared_key"))
                       for i, peer in enumerate(peers if isinstance(peers, list) else [])
                       if isinstance(peer, dict)]
            for label, path, value in places:
                ref = parse_ref(value.get("sops")) if isinstance(value, dict) else None
                if ref is not None:
                    yield Reference(address, label, resolve_file(doc, ref.file), ref.key_path,
                                    doc.where("networks", net, "nodes", index, *path, "sops"),
                                    prefix="")


def references(docs: Sequence[RawDocument]) -> list[Reference]:
    """Every SOPS reference in the services files (and locald.toml) of a project, in file
    order."""
    found: list[Reference] = []
    for doc in docs:
        for section, name, svc in _services(doc):
            for path, env in _envs(svc):
                for var, value in env.items():
                    ref = parse_ref(value.get("sops")) if isinstance(value, dict) else None
                    if ref is not None:
                        found.append(Reference(name, str(var), resolve_file(doc, ref.file),
                                               ref.key_path,
                                               doc.where(section, name, *path, var, "sops")))
            nested = svc.get("target")
            target: dict[str, Any] = nested if isinstance(nested, dict) else svc
            env_file = target.get("env_file")
            if isinstance(env_file, str) and target.get("type") != "compose":
                where_path = (section, name, *(("target",) if target is not svc else ()),
                              "env_file")
                found.append(Reference(name, ENV_FILE_KEY, resolve_file(doc, env_file),
                                       ENV_FILE_KEY, doc.where(*where_path)))
        found += _wireguard_refs(doc)
    return found


def clear_secret_problems(docs: Sequence[RawDocument]) -> list[Diagnostic]:
    """Under ``secrets: {require_encrypted: true}`` in policy.yaml: an error for each clear
    ``{secret: ...}`` value in a services file."""
    required = any(doc.format == "policy" and isinstance(doc.data, dict)
                   and isinstance(doc.data.get("secrets"), dict)
                   and doc.data["secrets"].get("require_encrypted") is True for doc in docs)
    if not required:
        return []
    problems: list[Diagnostic] = []
    for doc in docs:
        for section, name, svc in _services(doc):
            for path, env in _envs(svc):
                for var, value in env.items():
                    if isinstance(value, dict) and "secret" in value:
                        problems.append(error(
                            f"clear secret in env '{var}' of '{name}' (policy requires "
                            "encrypted secrets)", doc.where(section, name, *path, var),
                            hint="move the value into a sops-encrypted file and write "
                                 "{sops: FILE#key.path}; see docs/secrets.md"))
    return problems
