"""The Docker engine's error boundary: every docker SDK, ``requests`` and engine HTTP failure
becomes a :class:`~reconciler.errors.TransientError` or :class:`~reconciler.errors.TerminalError`
with a hint here.

:func:`unreachable` is the error for an engine that cannot be reached, :func:`engine_errors`
maps what a block raises (the SDK's ``docker.errors.*``, ``requests`` failures, and the HTTP
errors of the stdlib socket client :mod:`reconciler.transports.docker.socket`),
:func:`api_error` maps an engine's HTTP error answer, :func:`is_not_found` tells a 404. The SDK
is imported only to map a failure, so importing this module is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from reconciler.errors import ReconcilerError, TerminalError, TransientError

START_HINT = "start it: sudo systemctl start docker (or dockerd &)"
IMAGE_HINT = "docker load/build it, or set pull: never"
PORT_HINT = "another container or process holds that host port: free it or change `ports`"
DEFAULT_SOCKET = "unix:///var/run/docker.sock"


class EngineAPIError(Exception):
    """The engine answered a request with an HTTP error (like the SDK's ``APIError``)."""

    def __init__(self, status_code: int, explanation: str):
        super().__init__(f"{status_code}: {explanation}")
        self.status_code = status_code
        self.explanation = explanation


class NotFound(EngineAPIError):
    """A 404: the object is gone (like the SDK's ``NotFound``)."""


def describe(url: str | None) -> str:
    """Where the engine is, for messages: the URL, or DOCKER_HOST / the default socket."""
    return url or os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET


def short_reason(exc: BaseException) -> str:
    """A connection failure in a few words (a missing socket, a refusal, a permission)."""
    text = str(exc)
    if "FileNotFoundError" in text or "No such file" in text:
        return "no engine socket there"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "Permission denied" in text or "PermissionError" in text:
        return "permission denied on the engine socket"
    return " ".join(text.split())[:200]


def unreachable(url: str | None, exc: BaseException) -> TerminalError:
    return TerminalError(f"cannot reach the Docker engine at {describe(url)}: "
                         f"{short_reason(exc)}", hint=START_HINT)


def explanation(exc: object) -> str:
    """The engine's own words for a failure (the SDK's ``explanation``), on one line."""
    said = getattr(exc, "explanation", None) or str(exc)
    return " ".join(str(said).split())[:300]


@contextmanager
def engine_errors(url: str | None, doing: str, *, image: str | None = None) -> Iterator[None]:
    """Map engine failures raised inside the block (the docker SDK's, and the HTTP errors of
    :mod:`reconciler.transports.docker.socket`); ``doing`` says what we were doing ("creating
    container web") and starts every message. The SDK is imported only to map a failure."""
    try:
        yield
    except ReconcilerError:
        raise
    except Exception as exc:
        mapped = _mapped(url, doing, exc, image)
        if mapped is None:
            raise
        raise mapped from None


def _mapped(url: str | None, doing: str, exc: Exception,
            image: str | None) -> ReconcilerError | None:
    """The reconciler error for an engine failure; None for anything else (a bug)."""
    if isinstance(exc, EngineAPIError):
        return api_error(doing, exc.status_code, exc.explanation)
    import docker.errors
    import requests.exceptions

    if isinstance(exc, docker.errors.ImageNotFound):
        what = f"image {image}" if image else "image"
        return TerminalError(f"{doing}: {what} not found on the Docker engine "
                             f"({explanation(exc)})", hint=IMAGE_HINT)
    if isinstance(exc, docker.errors.APIError):
        return api_error(doing, getattr(exc, "status_code", None) or 0, explanation(exc))
    if isinstance(exc, requests.exceptions.Timeout):
        return TransientError(f"{doing}: the Docker engine at {describe(url)} did not answer "
                              "in time", retry_after=2.0)
    if isinstance(exc, requests.exceptions.ConnectionError | ConnectionError):
        return unreachable(url, exc)
    if isinstance(exc, docker.errors.DockerException | requests.exceptions.RequestException):
        return TerminalError(f"{doing}: {explanation(exc)}")
    return None


def api_error(doing: str, status: int, text: str) -> ReconcilerError:
    """The error for an engine's HTTP error answer: 5xx is transient, the rest terminal (a
    taken host port gets its hint)."""
    text = " ".join(text.split())[:300]
    if "port is already allocated" in text or "address already in use" in text:
        return TerminalError(f"{doing}: {text}", hint=PORT_HINT)
    if status == 409:
        return TerminalError(f"{doing}: conflict: {text}")
    if status >= 500:
        return TransientError(f"{doing}: Docker engine error {status}: {text}", retry_after=2.0)
    return TerminalError(f"{doing}: {text}")


def is_not_found(exc: BaseException) -> bool:
    """True for a 404 (the object is already gone), from the SDK or
    :mod:`reconciler.transports.docker.socket`; call inside an except block."""
    if isinstance(exc, NotFound):
        return True
    import docker.errors

    return isinstance(exc, docker.errors.NotFound)
