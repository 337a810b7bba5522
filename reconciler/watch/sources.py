"""Where the watcher's events come from; each source only enqueues into a WorkQueue.

* :class:`FileSource` -- watchdog on the project directory (not recursive), filtered to the
  config files the loader reads (services.yaml, locald.toml, Procfile, .env, compose files,
  policy.yaml); editors that save by rename are caught through the event's destination.
  :class:`NullSource` stands in for it where only our own checkouts change the files.
* :class:`~reconciler.watch.pids.PidPoller` (its own module) -- exits of the managed local
  processes, through pidfds where the kernel has them, else polled every ``--poll`` seconds.
* :class:`DockerEvents` -- the engine's event stream filtered by the project's scope label
  (die / destroy / oom); started only when the project has containers, docker SDK imported
  lazily. Its failures reach ``on_error`` as one line mapped by the engine boundary
  (:func:`events_error`).

Sources run in daemon threads and stop on :meth:`stop`; none of them keeps history.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.config.discover import format_of
from reconciler.errors import watch_error
from reconciler.transports.docker.client import DockerClient, EventStream
from reconciler.watch.queue import WorkQueue

if TYPE_CHECKING:  # watchdog has no types: named for the reader
    from watchdog.events import FileSystemEvent
    from watchdog.observers.api import BaseObserver


class FileSource:
    """Config-file changes in one directory -> :meth:`WorkQueue.file_changed`."""

    def __init__(self, directory: Path, queue: WorkQueue):
        self.directory = directory.resolve()
        self.queue = queue
        self._observer: BaseObserver | None = None

    def start(self) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        queue = self.queue

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.is_directory or event.event_type in ("opened", "closed_no_write"):
                    return
                for raw in (event.src_path, getattr(event, "dest_path", "")):
                    path = Path(str(raw or ""))
                    if path.name and format_of(path) is not None:  # .vendetta/config.yaml too
                        queue.file_changed(path.name)

        self._observer = Observer()
        try:
            self._observer.schedule(Handler(), str(self.directory), recursive=False)
            if (self.directory / ".vendetta").is_dir():  # the one config file in a subdirectory
                self._observer.schedule(Handler(), str(self.directory / ".vendetta"),
                                        recursive=False)
            self._observer.daemon = True
            self._observer.start()
        except OSError as exc:  # missing directory, inotify limits (watchdog raises OSError)
            self._observer = None
            raise watch_error(exc, self.directory) from None

    def check(self) -> None:
        """WatchError when the watch has ended: the directory was removed (watchdog's emitter
        thread stops on it) or the observer died; a deaf watcher must not go on silently."""
        observer = self._observer
        if observer is None:
            return
        emitters = list(getattr(observer, "emitters", ()))
        if not self.directory.is_dir() or not observer.is_alive() \
                or any(not e.is_alive() for e in emitters):
            raise watch_error(None, self.directory)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None


class NullSource:
    """The file source, switched off (a sync agent: files change only by its checkouts)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def check(self) -> None:
        """Nothing to check: the checkout is ours, not a directory a person may remove."""


def events_error(what: str, exc: BaseException) -> str:
    """One line for a docker SDK failure of the event stream, mapped by the engine boundary
    (:func:`reconciler.transports.docker.errors.unreachable`): the reason and its hint,
    never the SDK's raw exception text nor an ``error:`` prefix of its own."""
    from reconciler.transports.docker.errors import unreachable

    return f"{what}: {unreachable(None, exc).render_short()}"


class DockerEvents:
    """Container events of one scope -> :meth:`WorkQueue.add` of their address."""

    EVENTS = ("die", "destroy", "oom")

    def __init__(self, queue: WorkQueue, scope: str, on_error: Callable[[str], None]):
        self.queue = queue
        self.scope = scope
        self.on_error = on_error
        self._client: DockerClient | None = None
        self._stream: EventStream | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Subscribe now (so nothing after this call is missed), then read in a thread."""
        from reconciler.actuators.container.parse import LABEL_SCOPE

        self._stop.clear()
        try:
            from reconciler.transports.docker.calls import events_client

            self._client = events_client()
            self._stream = self._client.events(decode=True, filters={
                "type": "container", "event": list(self.EVENTS),
                "label": f"{LABEL_SCOPE}={self.scope}"})
        except Exception as exc:  # no engine: the periodic observation still runs
            self.on_error(events_error("cannot follow docker events", exc))
            return
        self._thread = threading.Thread(target=self._run, name="watch-docker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from reconciler.actuators.container.parse import LABEL_ADDRESS

        stream = self._stream
        if stream is None:  # started only once the stream is open
            return
        try:
            for event in stream:
                attributes = (event.get("Actor") or {}).get("Attributes") or {}
                address = attributes.get(LABEL_ADDRESS)
                self.queue.add(str(address) if address else None,
                               f"container {event.get('Action') or event.get('status')}")
        except Exception as exc:  # the engine went away: the periodic observation still runs
            if not self._stop.is_set():
                self.on_error(events_error("docker events stream ended", exc))

    def stop(self) -> None:
        self._stop.set()
        for closable in (self._stream, self._client):
            if closable is not None:
                with contextlib.suppress(Exception):  # a dead stream: nothing to release
                    closable.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
