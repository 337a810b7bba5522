"""Secret env values of a swarm service as swarm secrets (never in clear in the service spec).

Every env value the model holds as a secret (``{secret: ...}``, ``{sops: FILE#path}``, a
secret-looking name; its clear value only in ``Resource.secrets``) becomes one swarm secret
named ``<service>_<VAR>_<digest>``, the digest being the keyed-hash marker that stands for the
value in plan and state (a rotated value gets a new name: swarm secrets are immutable), and
labelled with the service's owner labels. The task gets it as the file
``/run/secrets/<VAR>`` and the env var ``<VAR>_FILE`` naming that file; ``<VAR>`` itself is
NOT set (the convention of the official images, e.g. ``POSTGRES_PASSWORD_FILE``): putting the
value into the environment would need a shim the image may not support. After a rollout
converged, the service's secrets it no longer references are removed (:func:`prune`), and
all of them after the service is removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from reconciler.errors import TerminalError
from reconciler.model.secrets import MARKER_PREFIX, is_marker
from reconciler.transports.docker.swarm import engine_errors

SECRET_DIR = "/run/secrets"
MAX_NAME = 64  # swarm's limit on secret names
SPEC_HASH_LABEL = "io.reconciler.spec-hash"


def secret_name(service: str, key: str, value_marker: str) -> str:
    """``<service>_<VAR>_<digest>`` (shortened by a hash of the prefix past 64 characters)."""
    digest = (value_marker[len(MARKER_PREFIX):-1] if is_marker(value_marker)
              else hashlib.sha256(value_marker.encode()).hexdigest()[:12])
    name = f"{service}_{key}_{digest}"
    if len(name) > MAX_NAME:
        prefix = hashlib.sha256(f"{service}_{key}".encode()).hexdigest()[:16]
        name = f"{prefix}_{key[:MAX_NAME - 30]}_{digest}"
    return name


def ensure(client: Any, url: str | None, service: str, env: Mapping[str, str],
           clear: Mapping[str, str], marks: Mapping[str, str],
           ) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Create the missing secrets of ``env`` (spec values; ``clear``: the clear secret values
    by ``env.VAR``). Returns the container env (plain values and ``VAR_FILE`` paths) and the
    secret references (id, name, file name) to mount."""
    plain = {k: v for k, v in env.items() if f"env.{k}" not in clear}
    wanted = {k: secret_name(service, k, v) for k, v in env.items() if f"env.{k}" in clear}
    if not wanted:
        return plain, []
    labels = {k: v for k, v in marks.items() if k != SPEC_HASH_LABEL}
    existing = {str(s["Spec"]["Name"]): str(s["ID"]) for s in _ours(client, url, marks)}
    refs = []
    for key, name in sorted(wanted.items()):
        secret_id = existing.get(name)
        if secret_id is None:
            with engine_errors(url, f"creating secret {name}"):
                made = client.create_secret(name, clear[f"env.{key}"].encode(), labels=labels)
            secret_id = str(made["ID"])
        refs.append({"id": secret_id, "name": name, "file": key})
        plain[f"{key}_FILE"] = f"{SECRET_DIR}/{key}"
    return plain, refs


def prune(client: Any, url: str | None, marks: Mapping[str, str], keep: set[str]) -> None:
    """Remove this service's secrets whose names are not in ``keep``; one still in use (by a
    task the manager has not let go of yet) stays and goes at a later apply or destroy."""
    for secret in _ours(client, url, marks):
        if str(secret["Spec"]["Name"]) in keep:
            continue
        try:
            with engine_errors(url, f"removing secret {secret['Spec']['Name']}"):
                client.remove_secret(secret["ID"])
        except TerminalError:
            continue


def _ours(client: Any, url: str | None, marks: Mapping[str, str]) -> list[Mapping[str, Any]]:
    """The secrets labelled with this service's scope and address."""
    scope = "io.reconciler.scope"
    address = "io.reconciler.address"
    with engine_errors(url, "listing secrets"):
        found: list[Mapping[str, Any]] = client.secrets(filters={"label": [
            f"{scope}={marks[scope]}", f"{address}={marks[address]}"]})
    return found
