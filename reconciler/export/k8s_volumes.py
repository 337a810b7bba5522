"""Mounts of an exported workload: a named volume becomes a StatefulSet claim, a ``tmpfs`` an
``emptyDir``, a bind mount of one file (its text handed in by the driver, see
:func:`bind_sources`) a key of the workload's ``NAME-files`` ConfigMap; anything else (a
directory, a socket, a file too big or not text) gets a warning."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.errors import Diagnostic, warning
from reconciler.model.types import LOCAL_HOST, DesiredState, Resource

__all__ = ["CONFIG_MAP_LIMIT", "Volume", "bind_sources", "volumes"]

CONFIG_MAP_LIMIT = 1024 * 1024  # bytes a ConfigMap can hold


@dataclass(frozen=True, slots=True)
class Volume:
    """``kind``: ``claim`` (named volume), ``tmpfs`` (emptyDir) or ``file`` (``key`` of the
    files ConfigMap, whose text is ``content``)."""

    name: str
    target: str
    kind: str = "claim"
    key: str = ""
    content: str = ""


def _label(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63].strip("-")
    return name or "x"


def _parts(item: object) -> tuple[str, str, str]:
    """(type, source, target) of a short (``src:dst[:ro]``) or long Compose volume."""
    if isinstance(item, Mapping):
        return (str(item.get("type", "volume")), str(item.get("source", "")),
                str(item.get("target", "")))
    source, _, rest = str(item).partition(":")
    kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
    return kind, source, rest.split(":")[0]


def _host_path(res: Resource, source: str) -> str:
    """A bind source as an absolute path (Compose's relative to its first file's directory)."""
    files = res.spec.get("files")
    if posixpath.isabs(source) or not isinstance(files, list) or not files:
        return posixpath.normpath(source)
    return posixpath.normpath(posixpath.join(posixpath.dirname(str(files[0])), source))


def _items(res: Resource) -> Sequence[object]:
    if res.kind == "compose":
        definition = res.spec.get("definition")
        found = definition.get("volumes") if isinstance(definition, Mapping) else None
    else:
        found = res.spec.get("volumes")
    return list(found) if isinstance(found, list | tuple) else []


def bind_sources(desired: DesiredState) -> list[str]:
    """The host paths of every bind mount of a local container or Compose service: the
    driver reads those that are small text files and hands them to :func:`volumes`."""
    found = {_host_path(res, source) for res in desired.resources.values()
             if res.kind in ("container", "compose") and res.address.host == LOCAL_HOST
             for kind, source, _ in map(_parts, _items(res)) if kind == "bind" and source}
    return sorted(found)


def volumes(res: Resource, files: Mapping[str, str],
            problems: list[Diagnostic]) -> tuple[Volume, ...]:
    out: list[Volume] = []
    keys: set[str] = set()
    for item in _items(res):
        kind, source, target = _parts(item)
        path = _host_path(res, source) if kind == "bind" and source else ""
        if kind == "tmpfs" and target:
            out.append(Volume(_label(f"tmpfs-{target}"), target, "tmpfs"))
        elif kind == "volume" and source and target:
            out.append(Volume(_label(source), target))
        elif path in files and target:
            key = re.sub(r"[^-._a-zA-Z0-9]+", "-", posixpath.basename(path)) or "file"
            while key in keys:
                key = f"x-{key}"
            keys.add(key)
            out.append(Volume("files", target, "file", key, files[path]))
        else:
            problems.append(warning(
                f"{res.address}: volume {item!r} is not exported (a {kind} mount that is not "
                "one small text file)", res.source, address=str(res.address),
                hint="use a named volume (it becomes a PersistentVolumeClaim) or mount one "
                     "file (it becomes a ConfigMap key)"))
    return tuple(out)
