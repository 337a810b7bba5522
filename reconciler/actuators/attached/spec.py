"""AttachedSpec: the typed view of an ``attached`` resource's spec.

The builders write ``{target, port, container, process, pid}``: ``target`` says what is
watched (``port``: a TCP port on the resource's host; ``container``: a container by name;
``process``: a process by its ``pid`` or a command-line pattern, as ``pgrep -f`` matches
it). The mapping is what is hashed and stored; :meth:`AttachedSpec.of` is the actuator's
parse boundary.

:func:`build` is the kind's builder (``Kind.builder``) for ``type: docker-attach`` and
``type: process-attach``: it reads the merged entry (``type``, ``port``, ``container``,
``process_name``, ``pid``) and asks the host nothing. Standard library only: the model
imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypedDict

__all__ = ["AttachedFields", "AttachedSpec", "Target", "attached_spec", "build"]

Target = Literal["port", "container", "process"]


class AttachedFields(TypedDict):
    """What ``Resource.spec`` holds for an ``attached`` resource (JSON-able)."""

    target: Target
    port: int | None
    container: str | None
    process: str | None
    pid: int | None


def attached_spec(target: Target, *, port: int | None = None, container: str | None = None,
                  process: str | None = None, pid: int | None = None) -> AttachedFields:
    """The spec the builders write (one place, so every builder writes the same keys)."""
    return {"target": target, "port": port, "container": container, "process": process,
            "pid": pid}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def build(entry: Mapping[str, object], directory: str,
          fact: Callable[..., object]) -> tuple[AttachedFields, list[tuple[str, str, str]]]:
    """The spec of one ``docker-attach`` (a container) or ``process-attach`` (a process)
    entry; a fixed ``port`` is kept, ``auto`` is not (it is allocated). No problems: the
    validator reports missing keys."""
    spec = attached_spec(
        "container" if entry.get("type") == "docker-attach" else "process",
        port=_int(entry.get("port")),
        container=str(entry["container"]) if entry.get("container") else None,
        process=str(entry["process_name"]) if entry.get("process_name") else None,
        pid=_int(entry.get("pid")))
    return spec, []


@dataclass(frozen=True, slots=True)
class AttachedSpec:
    target: str
    port: int | None = None
    container: str | None = None
    process: str | None = None
    pid: int | None = None

    @classmethod
    def of(cls, spec: Mapping[str, object]) -> AttachedSpec:
        port = spec.get("port")
        return cls(target=str(spec.get("target") or "port"),
                   port=port if isinstance(port, int) and not isinstance(port, bool) else None,
                   container=str(spec["container"]) if spec.get("container") else None,
                   process=str(spec["process"]) if spec.get("process") else None,
                   pid=pid if isinstance(pid := spec.get("pid"), int) else None)
