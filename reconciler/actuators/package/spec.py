"""PackageSpec: the typed view of a ``package`` resource's spec.

model.build_package writes the spec as a JSON-able mapping (the hashed and stored source of
truth); :meth:`PackageSpec.of` is the parse boundary the package actuator reads it through,
the only place a key is looked up by string. :class:`PackageFields` is the stored shape itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

__all__ = ["PackageFields", "PackageSpec"]


class PackageFields(TypedDict):
    """What ``Resource.spec`` holds for a ``package`` resource (JSON-able, hashed as is)."""

    package: str  # the package directory, absolute
    version: str
    install_path: str
    content_hash: str  # empty until the package could be read
    env: NotRequired[dict[str, str]]  # secret markers; added by the resolve step


@dataclass(frozen=True, slots=True)
class PackageSpec:
    """The package directory, the version, where it is installed on the host, the content
    hash the plan was made for, and the env its setup script runs with (secret markers)."""

    package: str = ""
    version: str = ""
    install_path: str = ""
    content_hash: str = ""
    env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> PackageSpec:
        """Read a built spec (missing keys give empty values)."""
        return cls(package=str(spec.get("package") or ""),
                   version=str(spec.get("version") or ""),
                   install_path=str(spec.get("install_path") or ""),
                   content_hash=str(spec.get("content_hash") or ""),
                   env=dict(spec.get("env") or {}))
