"""PackageSpec: the typed view of a ``package`` resource's spec.

:func:`build` (the kind's builder, ``Kind.builder``) writes the spec as a JSON-able mapping
(the hashed and stored source of truth): ``{package, version, install_path, content_hash}``.
The package directory is read, checked and hashed by the build host, asked through
``fact("package", directory)`` (``package/facts.py``), never here; the content hash is part
of the spec, so editing any file of the package is a spec change (the plan replaces the
install). Every problem (missing directory or manifest, paths leaving the package, a bad
setup script, a version that disagrees with the manifest, a relative ``install_path``) is
an error at the service's key or in the manifest. :meth:`PackageSpec.of` is the parse
boundary the package actuator reads the spec through. Standard library only: the model
imports this module.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, NotRequired, TypedDict

__all__ = ["PackageFields", "PackageSpec", "build"]

Problems = list[tuple[str | tuple[str, int, int], str, str]]


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


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _bad_install_path(path: str) -> str | None:
    pure = PurePosixPath(path)
    if not pure.is_absolute():
        return "is not an absolute path"
    if ".." in pure.parts:
        return "contains '..'"
    if len(pure.parts) < 2:
        return "is the root directory"
    return None


def build(entry: Mapping[str, object], directory: str,
          fact: Callable[..., object]) -> tuple[PackageFields, Problems]:
    """The spec of one ``type: package`` entry whose file lives in ``directory``, and its
    problems as ``(key or (file, line, column), message, hint)``."""
    raw = _text(entry.get("package"))
    path = os.path.normpath(os.path.join(directory, os.path.expanduser(raw))) if raw \
        else directory
    version = _text(entry.get("version") or "")
    install_path = _text(entry.get("install_path") or "")
    spec: PackageFields = {"package": path, "version": version,
                           "install_path": install_path, "content_hash": ""}
    problems: Problems = []
    if not raw or not install_path:
        return spec, problems  # validate already reports the missing key
    bad_install = _bad_install_path(install_path)
    if bad_install:
        problems.append(("install_path", f"install_path {install_path!r} {bad_install}",
                         "use an absolute directory such as /opt/NAME"))
    answer = fact("package", path)
    found = answer if isinstance(answer, dict) else {}
    for summary, hint, file, line, column in found.get("problems") or ():
        problems.append(((file, line, column) if file else "package", summary, hint))
    package = found.get("package")
    if not isinstance(package, dict):
        return spec, problems
    if version and version != package["version"]:
        problems.append(("version", f"version {version!r} disagrees with the manifest's "
                         f"{package['version']!r} ({package['manifest_file']})",
                         "bump the manifest's version, or drop `version:` here"))
    spec["version"] = version or str(package["version"])
    spec["content_hash"] = str(package["content_hash"])
    return spec, problems
