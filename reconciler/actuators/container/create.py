"""Creating containers under a parallel apply: what each create shares with the others.

Owns the engine work a create needs besides the container itself, done once per engine and
not once per container (issue 14: a cold apply of 200 containers spent most of its engine
calls on these): the image check (:meth:`Preparer.image`) and the scope's network
(:meth:`Preparer.network`) are remembered once they succeeded, and forgotten when a create
answers 404 (the image or network was removed behind our back: checked again, create retried
once). The create itself is optimistic (:func:`create`): no name lookup first; a 409 (the
name is taken) runs :func:`reconciler.actuators.container.engine.check_name_free` (a stale
container of our scope is removed, anybody else's is an error) and retries once. It is the
low-level create, without the inspect the SDK's ``containers.create`` adds.

The caller holds its scope lock around a create (one at a time per scope, as the cleanup
that may remove the scope's network), the shape it had before: with fully concurrent
creates, two of three 200-container runs on Docker 20.10 under load left the network with a
phantom endpoint ("has active endpoints" at destroy, for good), but one run with serialized
creates did too, so the cause is the loaded engine, not proven to be the concurrency. The
starts run in parallel, bounded per engine (:class:`EngineSlots`): on a
2-core machine a cold apply of 200 containers took 26 s with 6 in flight and 32-34 s with
20 (the engine thrashes), whatever the apply's ``--parallelism``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from reconciler.actuators.container import engine as de

REMOTE_SLOTS = 6  # an engine on another host: its core count is not known here


def local_slots(cores: int | None = None) -> int:
    """Creates and starts in flight on the local engine: three per core, 2 to 16."""
    return max(2, min(16, 3 * (cores or os.cpu_count() or 2)))


class EngineSlots:
    """Per engine, a bound on the container creates and starts in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    @contextmanager
    def slot(self, engine: str, *, local: bool) -> Iterator[None]:
        with self._lock:
            semaphore = self._slots.setdefault(engine, threading.BoundedSemaphore(
                local_slots() if local else REMOTE_SLOTS))
        with semaphore:
            yield


class Preparer:
    """Per engine: the images known present and the scope networks known to exist."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._done: set[tuple[str, str]] = set()

    def _once(self, key: tuple[str, str], action: Callable[[], object]) -> None:
        with self._lock:
            if key in self._done:
                return
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one check per key at a time; the others wait for its answer
            if key in self._done:
                return
            action()
            with self._lock:
                self._done.add(key)

    def forget(self, engine: str, *names: str) -> None:
        with self._lock:
            for name in names:
                self._done.discard((engine, name))

    def image(self, client: Any, url: str | None, engine: str, image: str, pull: str) -> bool:
        """The pull policy for ``image``; True when it pulled. ``always`` pulls every time."""
        if pull == "always":
            return de.ensure_image(client, image, pull, url)
        pulled: list[bool] = []
        self._once((engine, f"image {image}"),
                   lambda: pulled.append(de.ensure_image(client, image, pull, url)))
        return bool(pulled and pulled[0])

    def network(self, client: Any, url: str | None, engine: str, project: str, scope: str,
                subnet: object) -> None:
        self._once((engine, f"network {scope}"),
                   lambda: de.ensure_network(client, url, project, scope, subnet))


def create(client: Any, url: str | None, scope: str, kwargs: Mapping[str, Any],
           on_missing: Callable[[], None]) -> str:
    """Create the container ``kwargs`` describe (``containers.create`` arguments); its id.
    ``on_missing`` runs before the one retry after a 404 (re-check image and network)."""
    name = str(kwargs["name"])
    image = str(kwargs["image"])
    for attempt in (1, 2):
        with de.engine_errors(url, f"creating container {name}", image=image):
            try:
                return _create_low_level(client, kwargs)
            except Exception as exc:
                if attempt == 2:
                    raise
                if getattr(exc, "status_code", None) == 409:
                    de.check_name_free(client, url, scope, name)
                elif de.is_not_found(exc):
                    on_missing()
                else:
                    raise
    raise AssertionError("not reached: the second attempt returns or raises")


def _create_low_level(client: Any, kwargs: Mapping[str, Any]) -> str:
    """What ``client.containers.create(**kwargs)`` sends, without its follow-up inspect."""
    from docker.models.containers import _create_container_args

    args = _create_container_args({"command": None, **kwargs,
                                   "version": client.api._version})
    return str(client.api.create_container(**args)["Id"])
