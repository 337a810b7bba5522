"""Tying everything a sync does to its commit: the stamped event bus and refusal texts.

:class:`StampedBus` is the project's EventBus with the commit the checkout holds added to
every event's data (``commit``), so the live stream, ``--json`` lines and every journal row
written during a sync name the commit. :func:`refusal_text` says why a commit was refused,
with file:line:col relative to the repository (not to the private checkout).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reconciler.errors import ConfigError, ReconcilerError, Severity
from reconciler.events import Event, EventBus


class StampedBus(EventBus):
    """An EventBus adding ``commit`` to every event that does not carry one."""

    commit: str | None = None

    def __call__(self, event: Event) -> None:
        if self.commit is not None and "commit" not in event.data:
            event = replace(event, data={**event.data, "commit": self.commit})
        super().__call__(event)


def refusal_text(sha: str, exc: ReconcilerError, checkout: Path) -> str:
    """``commit SHA refused: <why>``, one diagnostic per line for invalid configurations."""
    if isinstance(exc, ConfigError):
        lines = [d.render() for d in exc.diagnostics if d.severity is Severity.ERROR]
        body = "\n".join(lines) or exc.render()
        head = f"commit {sha[:12]} refused: the configuration is invalid"
    else:
        body = exc.render_short()
        head = f"commit {sha[:12]} refused"
    for prefix in (f"{checkout.resolve()}/", f"{checkout}/"):
        body = body.replace(prefix, "")
    return f"{head}\n{body}" if "\n" in body or isinstance(exc, ConfigError) \
        else f"{head}: {body}"
