"""Log routes: the last lines of a service (or all, merged) and a follow stream over SSE.

Files are read like ``reconciler logs`` does (``STATE_DIR/logs/NAME.log``, the last 256 KiB,
rotation noticed by a shrinking size), local and remote; remote ones (``name@host``, or all
with ``remote=1``) are followed too, by polling their hosts (reconciler/workflows/
remote_logs.py: one command per log about every second); lines are redacted first, then
filtered by ``q`` (substring, case-insensitive), so a search never finds a line by a
secret. While the configuration does not load (its secrets unknown) no line is shown: a 409.
Following costs the engine nothing (files, and commands on the hosts).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from reconciler.errors import ReconcilerError
from reconciler.ui.body import int_param
from reconciler.ui.service import Dashboard

TAIL_BYTES = 256 * 1024
REMOTE_EVERY = 3  # remote logs are polled every 3rd pass (about a second): a command per log


def tail(path: Path, count: int) -> tuple[list[str], int]:
    """The last ``count`` lines of ``path`` and its size (the follow offset)."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - TAIL_BYTES))
        data = handle.read().decode(errors="replace")
    return (data.splitlines()[-count:] if count > 0 else []), size


def matches(line: str, query: str) -> bool:
    return not query or query.lower() in line.lower()


def routes(dashboard: Dashboard) -> list[BaseRoute]:
    def files(service: str) -> list[Path]:
        if service:
            path = dashboard.log_path(service)
            return [path] if path is not None else []
        return [dashboard.log_dir / f"{n}.log" for n in dashboard.log_names()]

    async def secrets_loaded() -> Response | None:
        try:
            await asyncio.to_thread(dashboard.load_secrets)
        except ReconcilerError as exc:
            return JSONResponse({"error": exc.render()}, status_code=409)
        return None

    async def lines(request: Request) -> Response:
        service = request.query_params.get("service", "")
        query = request.query_params.get("q", "")
        count = int_param(request.query_params, "tail", 200, low=0, high=5000)
        refused = await secrets_loaded()
        if refused is not None:
            return refused
        shown: list[dict[str, str]] = []
        for path in files(service):
            got, _ = await asyncio.to_thread(tail, path, count)
            masked = [dashboard.redact(line) for line in got]
            shown += [{"service": path.stem, "line": line} for line in masked
                      if matches(line, query)]
        if (not service and request.query_params.get("remote") == "1") or "@" in service:
            remote = await asyncio.to_thread(dashboard.remote_tail, count,
                                             [service] if service else [])
            shown += [{"service": line.split(" | ", 1)[0], "line": line.split(" | ", 1)[-1]}
                      for line in remote if matches(line, query)]
        names = dashboard.log_names() + await asyncio.to_thread(dashboard.remote_names)
        return JSONResponse({"services": names, "lines": shown})

    async def follow(request: Request) -> Response:
        service = request.query_params.get("service", "")
        query = request.query_params.get("q", "")
        paths = files(service)
        refused = await secrets_loaded()
        if refused is not None:
            return refused
        wants_remote = (not service and request.query_params.get("remote") == "1") \
            or "@" in service
        remote = await asyncio.to_thread(dashboard.remote_follow, service) \
            if wants_remote else None
        if remote is not None:
            await asyncio.to_thread(remote.poll)  # the sizes now: only new lines follow

        async def remote_lines(tick: int) -> AsyncIterator[str]:
            if remote is None or tick % REMOTE_EVERY:
                return
            for name, line in await asyncio.to_thread(remote.poll):
                line = dashboard.redact_remote(remote, line)
                if matches(line, query):
                    yield f"event: line\ndata: {json.dumps({'service': name, 'line': line})}\n\n"

        async def stream() -> AsyncIterator[str]:
            try:
                async for event in local_stream():
                    yield event
            finally:
                if remote is not None:
                    await asyncio.to_thread(remote.close)

        async def local_stream() -> AsyncIterator[str]:
            offsets = {p: p.stat().st_size if p.exists() else 0 for p in paths}
            tick = 0
            while not await request.is_disconnected():
                tick += 1
                async for event in remote_lines(tick):
                    yield event
                for path in paths:
                    size = path.stat().st_size if path.exists() else 0
                    if size < offsets[path]:
                        offsets[path] = 0
                    if size > offsets[path]:
                        with path.open("rb") as handle:
                            handle.seek(offsets[path])
                            chunk = handle.read(size - offsets[path])
                        offsets[path] = size
                        for line in chunk.decode(errors="replace").splitlines():
                            line = dashboard.redact(line)
                            if matches(line, query):
                                data = {"service": path.stem, "line": line}
                                yield f"event: line\ndata: {json.dumps(data)}\n\n"
                await asyncio.sleep(0.3)
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    return [Route("/api/logs", lines), Route("/api/logs/stream", follow)]
