"""A ``type: compose`` entry with ``cluster:`` -> one ``swarm_service`` per Compose service.

What ``docker stack deploy -c compose.yaml`` does, planned like everything else: each enabled
service of the entry's (merged, interpolated) Compose files becomes the resource
``swarm_service.<entry>.<service>``, a service of the named cluster called
``<project>_<entry>_<service>`` on the manager (``<project>_<service>`` in ``docker stack``
terms, the stack being ``<project>_<entry>``) and found by its Compose name on the stack's
overlay networks. :mod:`.compose_swarm_keys` maps the keys and refuses (at their
file:line:col) what a swarm service cannot do; here the environment (``env_file`` values
under ``environment``, secret-named variables masked: they become swarm secrets) and
``depends_on`` (the plan order; ``service_completed_successfully`` cannot be honoured by
services that keep running, so it is refused). Pure: files are read through the ComposeHost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler.config.raw import RawDocument, as_dict, as_list
from reconciler.errors import Diagnostic, SourceRange, error
from reconciler.model.build_draft import DEFAULT_STARTUP_TIMEOUT, Draft
from reconciler.model.build_swarm import SWARM_KIND, clusters_of
from reconciler.model.compose_swarm_keys import refusals, swarm_fields
from reconciler.model.host import ComposeHost
from reconciler.model.secrets import is_secret_name, marker
from reconciler.model.types import Address, Condition, Dependency, Resource

__all__ = ["is_cluster_entry", "swarm_address", "swarm_resources"]


def is_cluster_entry(draft: Draft) -> bool:
    """A ``type: compose`` entry that names a cluster."""
    return draft.spec.get("cluster") is not None


def swarm_address(entry: str, service: str) -> Address:
    return Address(SWARM_KIND, f"{entry}.{service}")


def swarm_resources(draft: Draft, compose: Sequence[Resource], docs: Sequence[RawDocument], *,
                    environ: Mapping[str, str], secret_key: bytes, host: ComposeHost,
                    ) -> tuple[list[Resource], list[Diagnostic]]:
    """The swarm services of entry ``draft`` from its Compose resources ``compose`` (built
    from ``docs``, which give the positions of the keys)."""
    problems: list[Diagnostic] = []
    name = str(draft.spec["cluster"])
    clusters = clusters_of(draft.doc.data if isinstance(draft.doc.data, dict) else {})
    if name not in clusters:
        known = ", ".join(sorted(clusters)) or "none declared"
        problems.append(error(f"compose entry '{draft.name}' names unknown cluster {name!r}",
                              draft.where("cluster"),
                              hint=f"declare it under `clusters:` (known: {known})"))
    if draft.spec.get("project_name") is not None:
        problems.append(error(f"'project_name' does not apply to compose entry "
                              f"'{draft.name}' on a cluster", draft.where("project_name"),
                              hint="its services are named <project>_<entry>_<service>: "
                                   "remove `project_name`"))
    host_url = as_dict(clusters.get(name)).get("docker_host")
    top: dict[str, Any] = {}
    for doc in docs:
        for key in ("volumes", "networks"):
            top[key] = {**as_dict(top.get(key)), **as_dict(doc.get(key))}
    out: list[Resource] = []
    for resource in compose:
        spec = resource.spec
        svc, definition = str(spec["service"]), as_dict(spec["definition"])

        def where(*path: str | int, _svc: str = svc,
                  _default: SourceRange | None = resource.source) -> SourceRange:
            return _where(docs, _svc, path, _default)

        problems += refusals(svc, definition, where)
        raw_ports = next((as_list(d.get("services", svc, "ports")) for d in reversed(docs)
                          if d.get("services", svc, "ports") is not None), [])
        fields = swarm_fields(svc, definition, str(spec["project"]), top, raw_ports, where,
                              problems)
        env, secrets = _environment(resource, definition, environ, secret_key, host)
        depends = _depends(draft.name, svc, resource.depends_on, problems)
        out.append(dataclasses.replace(
            resource, address=swarm_address(draft.name, svc), depends_on=depends,
            health=None, secrets=secrets,
            spec={**fields, "cluster": name, "docker_host": str(host_url) if host_url else None,
                  "env": env, "startup_timeout": DEFAULT_STARTUP_TIMEOUT}))
    return out, problems


def _where(docs: Sequence[RawDocument], svc: str, path: tuple[str | int, ...],
           default: SourceRange | None) -> SourceRange:
    """The position of ``services.<svc>.<path>`` in the last file that writes its first key."""
    for doc in reversed(docs):
        if doc.get("services", svc, *path[:1]) is not None:
            return doc.where("services", svc, *path)
    return default if default is not None else docs[0].where("services", svc)


def _environment(resource: Resource, definition: Mapping[str, Any], environ: Mapping[str, str],
                 secret_key: bytes, host: ComposeHost) -> tuple[dict[str, str], dict[str, str]]:
    """The container env (``env_file`` values, then ``environment``; a variable without a value
    takes the shell's) and the clear secret values by ``env.VAR``."""
    files = [Path(str(f)) for f in as_list(resource.spec.get("files"))]
    base = files[0].parent if files else Path(".")
    env: dict[str, str] = {}
    for item in as_list(definition.get("env_file")):
        path = as_dict(item).get("path") if isinstance(item, dict) else item
        if isinstance(path, str) and host.file_exists(base / path):
            env.update(host.read_env(base / path))
    for var, value in as_dict(definition.get("environment")).items():
        if value is not None:
            env[str(var)] = str(value)
        elif str(var) in environ:
            env[str(var)] = environ[str(var)]
    secrets = {f"env.{var.removeprefix('definition.environment.')}": clear
               for var, clear in resource.secrets.items()}
    for var, value in env.items():
        if f"env.{var}" not in secrets and is_secret_name(var):
            secrets[f"env.{var}"] = value
            env[var] = marker(value, secret_key)
    return env, secrets


def _depends(entry: str, svc: str, deps: Sequence[Dependency],
             problems: list[Diagnostic]) -> tuple[Dependency, ...]:
    out: list[Dependency] = []
    for dep in deps:
        if dep.condition == Condition.COMPLETED:
            problems.append(error(
                f"service '{svc}' depends on '{dep.target.name.partition('.')[2]}' with "
                "condition service_completed_successfully, which swarm services (restarted "
                "when they exit) cannot honour", dep.source,
                hint="use service_started or service_healthy, or run the one-off job "
                     "outside the cluster"))
            continue
        out.append(dataclasses.replace(
            dep, target=swarm_address(entry, dep.target.name.partition(".")[2])))
    return tuple(out)
