"""Write-behind for an apply: the node results of many nodes committed in one transaction.

An apply used to commit three small transactions per node (its ``node.start`` journal row,
the resource record, its ``node.done`` row); on 1000 processes that was most of the apply's
CPU. :class:`WriteBehind` wraps the store's :class:`~reconciler.state.backend.Backend` while
an apply runs: :meth:`WriteBehind.defer` queues a write (values computed by the caller, with
the time and audit stamp of that moment) and a flusher thread commits what is queued at most
``interval`` seconds later, in queue order, in one transaction. Any other transaction or read
through the wrapper first commits the queue, so a reader of this store never misses a
deferred write; :meth:`WriteBehind.close` commits the rest.

What a crash (SIGKILL of reconciler) can lose is the last ``interval`` of node results, where
it used to lose the node in flight: a process started in that window carries its ownership
marks (``RECONCILER_*`` in its environment), so the next observe finds and re-adopts it
exactly like one whose record was lost with the node in flight (docs/state-format.md). A
failed flush is raised by the next :meth:`defer`, read or :meth:`close` (a
:class:`~reconciler.errors.StateError` from the backend).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from reconciler.state.backend import Backend, Conn, Row, stamping

Write = Callable[[Conn], None]


class WriteBehind:
    """A :class:`Backend` that commits deferred writes in batches; see the module docstring."""

    def __init__(self, db: Backend, *, interval: float = 0.05):
        self.inner = db
        self.dialect = db.dialect
        self.stamp = db.stamp  # the same dict: RunLog.stamp() updates it in place
        self.interval = interval
        self._queue: list[tuple[dict[str, object], Write]] = []
        self._cond = threading.Condition()
        self._flushing = threading.Lock()  # one commit at a time, so batches keep their order
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="state-write-behind",
                                        daemon=True)
        self._thread.start()

    @property
    def location(self) -> str:
        return self.inner.location

    def exists(self) -> bool:
        return self.inner.exists() or bool(self._queue)

    def defer(self, write: Write) -> None:
        """Queue ``write`` (run later inside a transaction, under today's audit stamp)."""
        with self._cond:
            self._raise_failed()
            self._queue.append((dict(self.stamp), write))
            self._cond.notify()

    def flush(self) -> None:
        """Commit every queued write now (in the caller's thread)."""
        with self._flushing:
            with self._cond:
                self._raise_failed()
                batch, self._queue = self._queue, []
            if not batch:
                return
            try:
                with self.inner.transaction() as conn:
                    for stamp, write in batch:
                        with stamping(stamp):
                            write(conn)
            except BaseException as exc:
                with self._cond:
                    self._error = exc
                raise

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        self.flush()
        with self.inner.transaction() as conn:
            yield conn

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[Row]:
        self.flush()
        return self.inner.query(sql, params)

    def close(self) -> None:
        """Stop the flusher and commit what is left (raises a failed flush's error)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()
        self.flush()

    def _raise_failed(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._queue or self._error is not None):
                    self._cond.wait()
                if self._closed:
                    return
                self._cond.wait(self.interval)  # gather what the next nodes write
                if self._closed or self._error is not None:
                    continue  # closing commits the rest; a failed flush waits for a caller
            try:
                self.flush()
            except BaseException:  # kept in _error, raised by the next caller
                continue


def defer_or_commit(db: Backend, write: Write) -> None:
    """Queue ``write`` on a :class:`WriteBehind`, else commit it in its own transaction."""
    if isinstance(db, WriteBehind):
        db.defer(write)
        return
    with db.transaction() as conn:
        write(conn)
