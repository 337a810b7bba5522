"""The engine objects a container needs besides itself: the scope's network, named volumes,
a free name, and the ``networks:`` it joins.

The engine client, its identity and the mapping of the docker SDK's failures live in the
transport layer (:mod:`reconciler.transports.docker`), shared with every other kind that uses
an engine; this module holds what carries the container kind's owner labels:
:func:`ensure_network` / :func:`ensure_volume` / :func:`check_name_free` prepare a create, and
:func:`check_networks` refuses ``networks:`` that do not exist.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.errors import TerminalError
from reconciler.transports.docker.client import DockerClient
from reconciler.transports.docker.errors import describe, engine_errors, is_not_found


def check_name_free(client: DockerClient, url: str | None, scope: str, name: str) -> None:
    """Make room for container ``name``: a stale container of our scope with that name is
    removed; one owned by anybody else is a TerminalError."""
    from reconciler.actuators.container.parse import LABEL_SCOPE

    with engine_errors(url, f"looking up container {name}"):
        entries = client.api.containers(all=True, filters={"name": f"^/{name}$"})
    for entry in entries:
        if (entry.get("Labels") or {}).get(LABEL_SCOPE) != scope:
            raise TerminalError(f"a container named {name} exists and is not managed by "
                                f"this project", hint=f"remove or rename it: docker rm -f {name}")
        with engine_errors(url, f"removing stale container {name}"):
            client.api.remove_container(entry["Id"], force=True)


def ensure_network(client: DockerClient, url: str | None, project: str, scope: str,
                   subnet: object = None) -> None:
    """The scope's bridge network, labelled; created when missing (``subnet`` optional)."""
    from reconciler.actuators.container.parse import LABEL_PROJECT, LABEL_SCOPE

    with engine_errors(url, f"creating network {scope}"):
        if any(n.get("Name") == scope for n in client.api.networks(names=[scope])):
            return
        ipam = {"Driver": "default", "Config": [{"Subnet": str(subnet)}]} if subnet else None
        client.api.create_network(scope, driver="bridge", check_duplicate=True, ipam=ipam,
                                  labels={LABEL_PROJECT: project, LABEL_SCOPE: scope})


def ensure_volume(client: DockerClient, url: str | None, project: str, scope: str,
                  volume: str) -> None:
    """Named volume ``volume`` (already scope-prefixed), labelled; created when missing."""
    from reconciler.actuators.container.parse import LABEL_PROJECT, LABEL_SCOPE, LABEL_VOLUME

    with engine_errors(url, f"creating volume {volume}"):
        try:
            client.api.inspect_volume(volume)
            return
        except Exception as exc:
            if not is_not_found(exc):
                raise
        client.api.create_volume(volume, labels={
            LABEL_PROJECT: project, LABEL_SCOPE: scope,
            LABEL_VOLUME: volume.removeprefix(f"{scope}_")})


def check_networks(client: DockerClient, url: str | None, names: Sequence[str]) -> None:
    """``networks:`` names networks that must exist already (we never create or remove
    them): a missing one is an error before anything is created."""
    for name in names:
        with engine_errors(url, f"looking up network {name}"):
            found = [n for n in client.api.networks(names=[name])
                     if name in (n.get("Name"), n.get("Id"))]
        if not found:
            raise TerminalError(f"network {name} does not exist on the Docker engine at "
                                f"{describe(url)}",
                                hint=f"create it first (docker network create {name}) or "
                                     "remove it from networks:")
