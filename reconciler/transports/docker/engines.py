"""Which Docker engine serves a transport, connecting to it, and one client per engine.

:func:`engine_of` names the engine of a transport (its identity, :class:`Engine`): this
machine's own (``docker_url``, else the socket or ``DOCKER_HOST``), or an SSH host's own engine
(``ssh://user@address:port``, from :meth:`~reconciler.transports.base.Transport.docker_url`).
:data:`OPENERS` connects to one, keyed by host type like
:mod:`reconciler.transports.registry`: ``local`` through the docker SDK (:func:`connect`),
``ssh`` through the host's pooled SSH connection (:func:`connect_over`, which runs
``docker system dial-stdio`` on the host: :mod:`reconciler.transports.docker.ssh`). Both
check the engine answers, and fail as a :class:`~reconciler.errors.TerminalError` with a hint,
never a traceback. :class:`DockerEngines` keeps one client per engine for a kind's actuator
(a remote one per run's transport) and a cheap read API for a local socket
(:mod:`reconciler.transports.docker.socket`); :class:`EngineSlots` bounds the calls in flight
per engine. The docker SDK is imported inside functions only.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.errors import ReconcilerError, TerminalError, TransportError
from reconciler.model.types import LOCAL_HOST
from reconciler.transports.base import Transport
from reconciler.transports.docker import socket as docker_socket
from reconciler.transports.docker.client import DockerClient, ReadAPI
from reconciler.transports.docker.errors import START_HINT, short_reason, unreachable
from reconciler.transports.registry import host_type

if TYPE_CHECKING:
    from reconciler.transports.ssh import SshTransport

REMOTE_SLOTS = 6  # an engine on another host: its core count is not known here


@dataclass(frozen=True, slots=True)
class Engine:
    """One Docker engine: the host it serves, its URL (None: this machine's engine from the
    environment) and whether it is this machine's. ``key`` is its identity in caches."""

    host: str
    url: str | None
    local: bool

    @property
    def key(self) -> str:
        return self.url or LOCAL_HOST


def engine_of(transport: Transport, docker_url: str | None = None) -> Engine:
    """The engine of ``transport``: on this machine ``docker_url`` (None: DOCKER_HOST or the
    socket); on another host that host's own engine, reached through its connection."""
    if transport.is_local:
        return Engine(transport.host, docker_url or None, True)
    url = transport.docker_url()
    if url is None:
        raise TerminalError(f"no Docker engine for host {transport.host}",
                            hint="containers run on local or SSH hosts (`hosts:`)")
    return Engine(transport.host, url, False)


def connect(url: str | None) -> DockerClient:
    """A docker client for ``url`` (None: from the environment), checked with a ping.
    TerminalError (never a traceback) when the engine cannot be reached."""
    import docker
    import docker.errors
    import requests.exceptions

    try:
        client: DockerClient = (docker.from_env() if url is None  # the SDK is untyped
                                else docker.DockerClient(base_url=url))
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException,
            OSError) as exc:
        raise unreachable(url, exc) from None
    return client


def connect_over(transport: SshTransport) -> DockerClient:
    """A docker client for the engine of an SSH host, through the run's pooled connection,
    checked with a version call. TerminalError (never a traceback) when the host has no
    docker CLI or its engine does not answer."""
    import docker.errors
    import requests.exceptions

    from reconciler.transports.docker.ssh import client_over

    url = transport.docker_url() or f"ssh://{transport.host}"
    try:
        return client_over(transport, url)
    except ReconcilerError:
        raise
    except (docker.errors.DockerException, requests.exceptions.RequestException,
            OSError, EOFError) as exc:
        reason = short_reason(exc)
    check = transport.exec("docker version --format '{{.Server.APIVersion}}'", timeout=30)
    said = (check.stderr.strip().splitlines() or [""])[-1].strip()
    if check.returncode == 127:
        raise TerminalError(f"host {transport.host} has no docker command, so its Docker "
                            "engine cannot be reached over SSH",
                            hint="install Docker on the host (the client talks to it with "
                                 "`docker system dial-stdio`)")
    raise TerminalError(f"cannot reach the Docker engine of host {transport.host} ({url}): "
                        f"{said[:200] or reason}",
                        hint=f"on the host: {START_HINT}; and let the SSH user use it "
                             "(docker group, or `sudo: true` on the host)")


def close_quietly(client: DockerClient) -> None:
    """Close a client of a run that ended (its SSH connection may be gone already)."""
    try:
        client.close()
    except Exception:  # closing a dead channel pool may fail in many ways; nothing to do
        return


def _open_local(transport: Transport, engine: Engine) -> DockerClient:
    return connect(engine.url)


def _open_ssh(transport: Transport, engine: Engine) -> DockerClient:
    from reconciler.transports.ssh import SshTransport

    if not isinstance(transport, SshTransport):
        raise TransportError(f"host {transport.host} is of type ssh but its transport is "
                             f"a {type(transport).__name__}")
    return connect_over(transport)


EngineOpener = Callable[[Transport, Engine], DockerClient]
OPENERS: dict[str, EngineOpener] = {"local": _open_local, "ssh": _open_ssh}


def open_client(transport: Transport, engine: Engine) -> DockerClient:
    """A connected docker client for ``engine``, by the host type of ``transport``."""
    kind = host_type(transport.host)
    opener = OPENERS.get(kind)
    if opener is None:
        raise TransportError(f"no Docker engine client for host type {kind!r}",
                             hint=f"host types with an engine: {', '.join(sorted(OPENERS))}")
    return opener(transport, engine)


class DockerEngines:
    """One docker client per engine, thread-safe: a local engine's for the actuator's life, a
    remote one per run (it rides on the run's transport, closed when another run's comes).

    ``client_factory(url)`` makes a local engine's client (default: :func:`open_client`);
    ``api_factory(url)`` gives a local engine's read API (None: the client's ``api``),
    default :func:`reconciler.transports.docker.socket.for_url` unless only a
    ``client_factory`` is injected."""

    def __init__(self, client_factory: Callable[[str | None], DockerClient] | None = None,
                 api_factory: Callable[[str | None], ReadAPI | None] | None = None):
        self._factory = client_factory
        self._api_factory = api_factory or (None if client_factory else docker_socket.for_url)
        self._clients: dict[str, DockerClient] = {}
        # engine -> its read API (None: use the client's)
        self._apis: dict[str, ReadAPI | None] = {}
        # key -> (its transport, client)
        self._remote: dict[str, tuple[Transport, DockerClient]] = {}
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    def client(self, transport: Transport, engine: Engine) -> DockerClient:
        """The docker client of ``engine`` (served by ``transport``), connected on first use."""
        if not engine.local:
            with self._key_lock(engine.key):
                held = self._remote.get(engine.key)
                if held is not None and held[0] is transport:
                    return held[1]
                if held is not None:
                    close_quietly(held[1])
                client = open_client(transport, engine)
                self._remote[engine.key] = (transport, client)
                return client
        with self._lock:
            if engine.key not in self._clients:
                self._clients[engine.key] = (self._factory(engine.url) if self._factory
                                             else open_client(transport, engine))
            return self._clients[engine.key]

    def read_api(self, transport: Transport, engine: Engine) -> ReadAPI:
        """The API to list and inspect with: a local engine's from the api factory (the
        stdlib socket client by default) when it gives one, else the client's."""
        if engine.local and self._api_factory is not None:
            with self._lock:
                if engine.key not in self._apis:
                    self._apis[engine.key] = self._api_factory(engine.url)
                api = self._apis[engine.key]
            if api is not None:
                return api
        return self.client(transport, engine).api


def local_slots(cores: int | None = None) -> int:
    """Calls in flight on the local engine: three per core, 2 to 16."""
    return max(2, min(16, 3 * (cores or os.cpu_count() or 2)))


class EngineSlots:
    """Per engine, a bound on the heavy calls (creates, starts) in flight: on a 2-core
    machine a cold apply of 200 containers took 26 s with 6 in flight and 32-34 s with 20
    (the engine thrashes), whatever the apply's ``--parallelism``."""

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
