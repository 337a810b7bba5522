"""ComposeSpec: the typed view of a ``compose`` resource's spec (one service of a project).

model.build_compose writes the spec as a JSON-able mapping (the hashed and stored source of
truth); :meth:`ComposeSpec.of` is the parse boundary the Compose actuator reads it (and a
last-applied spec) through, the only place a key is looked up by string. :class:`ComposeFields`
is the stored shape itself, the keys model.compose writes. :func:`consumes` (``Kind.consumes``)
names the ``image:`` of a service without ``build:``: when a ``type: image`` resource builds
that tag, the service depends on it and carries its build digest as ``image_build``, so a
rebuild recreates it (the actuator compares it with the one it recorded at apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from reconciler.jsonvalue import JSONObject

__all__ = ["ComposeFields", "ComposeSpec", "consumes"]


class ComposeFields(TypedDict):
    """What ``Resource.spec`` holds for one Compose service (JSON-able, hashed as is)."""

    project: str
    files: list[str]  # absolute
    service: str
    profiles: list[str]
    definition: JSONObject  # the merged service body (secret env values masked)
    env_file: NotRequired[str]  # absolute; only when the entry names one
    image_build: NotRequired[str]  # the digest of the resource providing its image (consumes)


@dataclass(frozen=True, slots=True)
class ComposeSpec:
    """The Compose project and service, the files and profiles it is read with, and the
    env file it interpolates from."""

    project: str = ""
    service: str = ""
    files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    env_file: str | None = None

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> ComposeSpec:
        """Read a built (or last-applied) spec; an empty mapping gives the defaults."""
        env_file = spec.get("env_file")
        return cls(project=str(spec.get("project", "")),
                   service=str(spec.get("service", "")),
                   files=tuple(str(f) for f in spec.get("files", [])),
                   profiles=tuple(str(p) for p in spec.get("profiles", [])),
                   env_file=None if env_file is None else str(env_file))


def consumes(spec: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The image a Compose service runs and does not build, as ``(namespace, name, field)``."""
    definition = spec.get("definition")
    if not isinstance(definition, Mapping) or definition.get("build") is not None:
        return []
    image = definition.get("image")
    return [("docker-image", image, "image_build")] if isinstance(image, str) and image else []
