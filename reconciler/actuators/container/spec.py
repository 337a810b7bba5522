"""The ``container`` kind's spec: what ``Resource.spec`` holds for one Docker container.

:class:`ContainerSpec` is the one definition of the keys the model's builders write (from
services.yaml ``type: docker``, locald ``container``, vendetta ``docker:``; a ``type: docker``
task adds ``kind: container``) and the container actuator reads through :func:`spec_of`.
Keys that are left out at their default (``init``, ``cpus``, ``memory``, ``pull``,
``networks``) keep the spec hash of containers that do not use them. The mapping itself stays
the stored, hashed source of truth. :func:`consumes` (``Kind.consumes``) says the container
runs the image its ``image`` names: when a ``type: image`` resource builds that tag, the
container depends on it and carries its build digest as ``image_build`` (see
:mod:`reconciler.model.kind_hooks`). Imports nothing but the standard library (the model layer
imports it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NotRequired, Required, TypedDict, cast

__all__ = ["ContainerSpec", "PortMapping", "consumes", "spec_of"]


class PortMapping(TypedDict):
    """One published port: ``host`` None lets the engine (or the port allocator) pick."""

    host: int | str | None  # a ``${name.port}`` reference until the resolve step
    container: int
    host_ip: str
    protocol: NotRequired[Literal["udp"]]  # absent means tcp


class ObservedPort(TypedDict):
    """One port of a running container as its observed facts record it."""

    container: int
    proto: str
    host: int | None
    host_ip: str | None


class ContainerSpec(TypedDict, total=False):
    image: Required[str]
    ports: list[PortMapping]
    volumes: list[str]  # ``source:target[:mode]``; relative sources already absolute
    command: list[str] | None
    entrypoint: list[str] | None
    restart: str  # no | always | unless-stopped | on-failure[:N]
    init: Literal[True]
    cpus: float
    memory: str | int  # "512m" (lower case) or bytes
    pull: Literal["always", "never"]  # absent: pull when missing
    networks: list[str]
    labels: dict[str, str]
    env: dict[str, str]  # secret markers, never values (filled by the resolve step)
    port: int | None
    stop_signal: str | None  # None: the image's STOPSIGNAL
    shutdown_timeout: float
    startup_timeout: float
    kind: Literal["container"]  # only on a ``type: docker`` task
    image_build: str  # the build digest of the resource that provides its image (consumes)


def spec_of(spec: Mapping[str, object]) -> ContainerSpec:
    """The typed view of a container resource's spec (or a last-applied one from state).

    The builders write it as a :class:`ContainerSpec`, so this is the one place the stored
    mapping is taken at its word; ``image`` is the only key every spec has."""
    return cast(ContainerSpec, spec)


def consumes(spec: Mapping[str, object]) -> list[tuple[str, str, str]]:
    """The image a container runs, as ``(namespace, name, field)`` (``Kind.consumes``)."""
    image = spec.get("image")
    return [("docker-image", image, "image_build")] if isinstance(image, str) and image else []
