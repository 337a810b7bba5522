"""The options of ``reconciler watch`` (:class:`WatchOptions`), shared by the CLI and the loop."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.watch.queue import SETTLE


@dataclass(frozen=True)
class WatchOptions:
    """Every knob of ``reconciler watch`` (seconds for times)."""

    debounce: float = SETTLE
    interval: float = 30.0
    jitter: float = 0.1
    poll: float = 0.5
    max_replace: int = 3
    max_delete: int = 0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    busy_retry: float = 2.0
    parallelism: int = 10
    down_on_exit: bool = False
