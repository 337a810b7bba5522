"""The Starlette application: routes, the token gate, SSE streams and the action endpoint.

Every request passes :class:`TokenGate` (401 without a valid token; a valid ``?token=`` on a
page visit sets an HttpOnly SameSite=Strict cookie and redirects to the clean URL). Actions are
``POST /api/action`` with the CSRF header. Status streams from the shared :class:`Hub`; log
streams tail the service's file (no engine work). Imported only by ``reconciler ui``.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.errors import ReconcilerError
from reconciler.ui import actions, logs
from reconciler.ui.body import BadRequest, json_object, read_limited, text_field
from reconciler.ui.hub import Hub
from reconciler.ui.security import COOKIE, Guard
from reconciler.ui.service import Dashboard
from reconciler.ui.sync_panel import SyncPanel

STATIC = {"app.js": "text/javascript", "app.css": "text/css"}


class TokenGate:
    """ASGI middleware: no valid token, no response (HTTP 401). It is also the outermost
    guard: an error that escapes the app (already answered by :func:`failed`) stops here
    instead of reaching the server, which would print its traceback."""

    def __init__(self, app: ASGIApp, guard: Guard):
        self.app, self.guard = app, guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.gate(scope, receive, send)
        except Exception:  # answered with a JSON 500 by `failed`
            if scope["type"] != "http":
                raise

    async def gate(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        query = request.query_params.get("token")
        token = self.guard.request_token(query, request.cookies.get(COOKIE),
                                         request.headers.get("authorization"))
        if token is None:
            response: Response = JSONResponse(
                {"error": "401: a valid access token is required (open the URL printed by "
                          "`reconciler ui`)"}, status_code=401)
        elif query is not None and request.method == "GET" and scope["path"] == "/":
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                                secure=scope.get("scheme") == "https")
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


def sse(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def build_app(dashboard: Dashboard, guard: Guard, *, interval: float = 1.0,
              sync: SyncPanel | None = None) -> ASGIApp:
    """``sync`` (``sync --ui``): the page shows the agent's panel and ``/api/sync`` serves it."""
    hub = Hub(dashboard.collect, interval)

    async def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def index(request: Request) -> Response:
        page = resources.files("reconciler.ui").joinpath("static/index.html").read_text()
        panel = await call(sync.html) if sync is not None else ""
        page = page.replace("{{csrf}}", guard.csrf).replace(
            "{{project}}", html.escape(str(hub.snapshot.get("project") or ""))).replace(
            "{{sync}}", panel)
        return HTMLResponse(page, headers={"Cache-Control": "no-store",
                                           "Content-Security-Policy": "default-src 'self'"})

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return JSONResponse({"error": "not found"}, status_code=404)
        text = resources.files("reconciler.ui").joinpath(f"static/{name}").read_text()
        return Response(text, media_type=STATIC[name])

    async def status(request: Request) -> Response:
        return JSONResponse(hub.snapshot)

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            seen = 0
            while not await request.is_disconnected():
                try:
                    seen, snapshot = await asyncio.wait_for(hub.next(seen), 15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield sse("status", snapshot)
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    async def sync_status(request: Request) -> Response:
        if sync is None:
            return JSONResponse({"error": "not a sync agent (see `reconciler sync --ui`)"},
                                status_code=404)
        return JSONResponse(await call(sync.report))

    async def plan(request: Request) -> Response:
        return await guarded(call(dashboard.plan))

    async def node(request: Request) -> Response:
        found = await call(dashboard.detail, request.query_params.get("address", ""))
        if found is None:
            return JSONResponse({"error": "no such resource"}, status_code=404)
        return JSONResponse(found)

    async def history(request: Request) -> Response:
        run_id = request.query_params.get("run")
        if run_id:
            return JSONResponse(await call(dashboard.run_events, run_id))
        return JSONResponse(await call(dashboard.history))

    async def action(request: Request) -> Response:
        if not guard.csrf_valid(request.headers.get("x-csrf-token")):
            return JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403)
        try:
            body = json_object(await read_limited(request.headers, request.stream()))
            name, address = text_field(body, "action"), text_field(body, "address")
            inputs_hash = text_field(body, "inputs_hash")
        except BadRequest as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        if name in actions.NAMES_A_PLAN and not inputs_hash:
            return JSONResponse({"error": f"an {name} names the plan it is about: "
                                          "'inputs_hash' of the plan shown"}, status_code=400)
        client = request.client.host if request.client else ""
        result = await guarded(call(actions.perform, dashboard.make_project, name,
                                    address=address, inputs_hash=inputs_hash, client=client))
        hub.poke()
        return result

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(hub.run())
        try:
            yield
        finally:
            task.cancel()

    routes = [Route("/", index), Route("/static/{name}", static),
              Route("/api/status", status), Route("/api/events", events),
              Route("/api/sync", sync_status), Route("/api/plan", plan), Route("/api/node", node),
              Route("/api/history", history), Route("/api/action", action, methods=["POST"]),
              *logs.routes(dashboard)]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={BadRequest: refused, HTTPException: http_error,
                                        ReconcilerError: declined, Exception: failed})
    app.state.hub = hub
    return TokenGate(app, guard)


async def refused(request: Request, exc: Exception) -> Response:
    """A :class:`BadRequest` raised by a route: its 4xx with the message as JSON."""
    assert isinstance(exc, BadRequest)
    return JSONResponse({"error": exc.message}, status_code=exc.status)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 4xx (no such route, wrong method) as JSON."""
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": f"{exc.status_code}: {exc.detail}"},
                        status_code=exc.status_code, headers=exc.headers)


async def declined(request: Request, exc: Exception) -> Response:
    """The engine refused (a broken config, a busy lease...): 409 with its message."""
    assert isinstance(exc, ReconcilerError)
    return JSONResponse({"error": exc.render()}, status_code=409)


async def failed(request: Request, exc: Exception) -> Response:
    """A bug in a route: a JSON 500 that names it (the server prints no traceback)."""
    return JSONResponse({"error": f"internal error: {type(exc).__name__}"}, status_code=500)


async def guarded(work: Any) -> Response:
    """A JSON answer, or the engine's error as a short message (never a traceback)."""
    try:
        return JSONResponse(await work)
    except ReconcilerError as exc:
        return JSONResponse({"error": exc.render()}, status_code=409)
    except Exception as exc:  # an engine bug: labelled, never a traceback in the page
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"},
                            status_code=500)
