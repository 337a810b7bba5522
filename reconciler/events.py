"""Events: the engine's only way to tell the outside world what it is doing.

The engine and actuators never print. They call a :class:`Hook` with :class:`Event` values;
renderers (text, JSON lines) and the state journal subscribe through :class:`EventBus`.
The message and every string in the data (nested mappings and lists too) pass through the
bus's redactor, so clear secret values never reach a subscriber.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from reconciler.model.secrets import Redactor


@dataclass(frozen=True, slots=True)
class Event:
    """``kind`` is dotted: plan.start, node.start, node.wait_health, node.done, node.failed,
    node.skipped, node.log, apply.done, watch.reconcile, diagnostic, ..."""

    kind: str
    address: str | None = None
    message: str = ""
    data: Mapping[str, object] = field(default_factory=dict)
    time: float = field(default_factory=time.time)


class Hook(Protocol):
    def __call__(self, event: Event) -> None: ...


def null_hook(event: Event) -> None:
    """A hook that drops every event."""


class EventBus:
    """Fans events out to subscribers, redacting secrets first; thread-safe."""

    def __init__(self, redactor: Redactor | None = None):
        self.redactor = redactor or Redactor()
        self._subscribers: list[Callable[[Event], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Callable[[Event], None]) -> None:
        with self._lock:
            self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Callable[[Event], None]) -> None:
        """Stop sending events to ``subscriber`` (a no-op when it is not subscribed)."""
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def __call__(self, event: Event) -> None:
        clean = replace(event, message=self.redactor(event.message),
                        data=self.redactor.scrub(event.data))
        with self._lock:
            for subscriber in list(self._subscribers):
                subscriber(clean)

    def emit(self, kind: str, address: object = None, message: str = "", **data: object) -> None:
        self(Event(kind, None if address is None else str(address), message, data))
