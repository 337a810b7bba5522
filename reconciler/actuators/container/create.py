"""Creating containers under a parallel apply: what each create shares with the others.

Owns the engine work a create needs besides the container itself, done once per engine and
not once per container (issue 14: a cold apply of 200 containers spent most of its engine
calls on these): the image check (:meth:`Preparer.image`) and the scope's network
(:meth:`Preparer.network`) are remembered once they succeeded, and forgotten when a create
answers 404 (the image or network was removed behind our back: checked again, create retried
once). The create itself is optimistic (:func:`create`): no name lookup first; a 409 (the
name is taken) runs :func:`reconciler.actuators.container.engine.check_name_free` (a stale
container of our scope is removed, anybody else's is an error) and retries once. It is the
low-level create (:func:`reconciler.transports.docker.calls.create_container`).

The caller holds its scope lock around a create (one at a time per scope, as the cleanup
that may remove the scope's network), the shape it had before: with fully concurrent
creates, two of three 200-container runs on Docker 20.10 under load left the network with a
phantom endpoint ("has active endpoints" at destroy, for good), but one run with serialized
creates did too, so the cause is the loaded engine, not proven to be the concurrency. The
starts run in parallel, bounded per engine by the transport layer's
:class:`~reconciler.transports.docker.engines.EngineSlots`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from reconciler.actuators.container import engine as container_engine
from reconciler.transports.docker import calls
from reconciler.transports.docker import errors as de
from reconciler.transports.docker.client import DockerClient
from reconciler.transports.docker.images import ensure_image


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

    def image(self, client: DockerClient, url: str | None, engine: str, image: str,
              pull: str) -> bool:
        """The pull policy for ``image``; True when it pulled. ``always`` pulls every time."""
        if pull == "always":
            return ensure_image(client, image, pull, url)
        pulled: list[bool] = []
        self._once((engine, f"image {image}"),
                   lambda: pulled.append(ensure_image(client, image, pull, url)))
        return bool(pulled and pulled[0])

    def network(self, client: DockerClient, url: str | None, engine: str, project: str, scope: str,
                subnet: object) -> None:
        self._once((engine, f"network {scope}"),
                   lambda: container_engine.ensure_network(client, url, project, scope, subnet))


def create(client: DockerClient, url: str | None, scope: str, kwargs: Mapping[str, object],
           on_missing: Callable[[], None]) -> str:
    """Create the container ``kwargs`` describe (``containers.create`` arguments); its id.
    ``on_missing`` runs before the one retry after a 404 (re-check image and network)."""
    name = str(kwargs["name"])
    image = str(kwargs["image"])
    for attempt in (1, 2):
        with de.engine_errors(url, f"creating container {name}", image=image):
            try:
                return calls.create_container(client, kwargs)
            except Exception as exc:
                if attempt == 2:
                    raise
                if getattr(exc, "status_code", None) == 409:
                    container_engine.check_name_free(client, url, scope, name)
                elif de.is_not_found(exc):
                    on_missing()
                else:
                    raise
    raise AssertionError("not reached: the second attempt returns or raises")

