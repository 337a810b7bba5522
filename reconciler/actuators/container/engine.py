"""The Docker engine boundary: client creation, error mapping, and the engine objects a
container needs besides itself (image, the scope's network, named volumes).

Owns every place where the docker SDK's exceptions could escape: :func:`connect` makes one
client per engine (``None`` = the local engine from the environment, else a ``docker_url``
such as ``tcp://127.0.0.1:2375``), :func:`connect_over` one for an SSH host's engine
through the run's pooled SSH connection (:mod:`reconciler.actuators.container.ssh`),
:func:`engine_errors` maps ``docker.errors.*``, ``requests`` failures and the HTTP errors
of the stdlib socket client (:mod:`reconciler.actuators.container.socket`) to
:class:`TransientError` / :class:`TerminalError` with a hint (:func:`api_error`),
:func:`ensure_image` applies the ``pull`` policy, and :func:`ensure_network` /
:func:`ensure_volume` / :func:`check_name_free` prepare a create, and :func:`check_networks`
refuses ``networks:`` that do not exist.
The docker SDK is imported inside functions only, so importing this module is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from reconciler.errors import ReconcilerError, TerminalError, TransientError
from reconciler.transports.base import Transport

START_HINT = "start it: sudo systemctl start docker (or dockerd &)"
IMAGE_HINT = "docker load/build it, or set pull: never"
PORT_HINT = "another container or process holds that host port: free it or change `ports`"
DEFAULT_SOCKET = "unix:///var/run/docker.sock"


def describe(url: str | None) -> str:
    """Where the engine is, for messages: the URL, or DOCKER_HOST / the default socket."""
    return url or os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET


def _short_reason(exc: BaseException) -> str:
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
                         f"{_short_reason(exc)}", hint=START_HINT)


def connect(url: str | None) -> Any:
    """A docker client for ``url`` (None: from the environment), checked with a ping.
    TerminalError (never a traceback) when the engine cannot be reached."""
    import docker
    import docker.errors
    import requests.exceptions

    try:
        client = docker.from_env() if url is None else docker.DockerClient(base_url=url)
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException,
            OSError) as exc:
        raise unreachable(url, exc) from None
    return client


def ssh_url(transport: Transport) -> str | None:
    """``ssh://user@address:port`` of an SSH transport's host (the engine's name in messages
    and the client cache); None for this machine's own engine."""
    return transport.docker_url()


def connect_over(transport: Any) -> Any:
    """A docker client for the engine of an SSH host, through the run's pooled connection
    (:mod:`reconciler.actuators.container.ssh`), checked with a version call. TerminalError
    (never a traceback) when the host has no docker CLI or its engine does not answer."""
    import docker.errors
    import requests.exceptions

    from reconciler.actuators.container.ssh import client_over

    url = ssh_url(transport) or f"ssh://{transport.host}"
    try:
        return client_over(transport, url)
    except ReconcilerError:
        raise
    except (docker.errors.DockerException, requests.exceptions.RequestException,
            OSError, EOFError) as exc:
        reason = _short_reason(exc)
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


def close_quietly(client: Any) -> None:
    """Close a client of a run that ended (its SSH connection may be gone already)."""
    try:
        client.close()
    except Exception:  # closing a dead channel pool may fail in many ways; nothing to do
        return


def _explanation(exc: Any) -> str:
    explanation = getattr(exc, "explanation", None) or str(exc)
    return " ".join(str(explanation).split())[:300]


@contextmanager
def engine_errors(url: str | None, doing: str, *, image: str | None = None) -> Iterator[None]:
    """Map engine failures raised inside the block (the docker SDK's, and the HTTP errors of
    :mod:`reconciler.actuators.container.socket`); ``doing`` says what we were doing ("creating
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
    from reconciler.actuators.container.socket import EngineAPIError

    if isinstance(exc, EngineAPIError):
        return api_error(doing, exc.status_code, exc.explanation)
    import docker.errors
    import requests.exceptions

    if isinstance(exc, docker.errors.ImageNotFound):
        what = f"image {image}" if image else "image"
        return TerminalError(f"{doing}: {what} not found on the Docker engine "
                             f"({_explanation(exc)})", hint=IMAGE_HINT)
    if isinstance(exc, docker.errors.APIError):
        return api_error(doing, getattr(exc, "status_code", None) or 0, _explanation(exc))
    if isinstance(exc, requests.exceptions.Timeout):
        return TransientError(f"{doing}: the Docker engine at {describe(url)} did not answer "
                              "in time", retry_after=2.0)
    if isinstance(exc, requests.exceptions.ConnectionError | ConnectionError):
        return unreachable(url, exc)
    if isinstance(exc, docker.errors.DockerException | requests.exceptions.RequestException):
        return TerminalError(f"{doing}: {_explanation(exc)}")
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
    :mod:`reconciler.actuators.container.socket`; call inside an except block."""
    from reconciler.actuators.container.socket import NotFound

    if isinstance(exc, NotFound):
        return True
    import docker.errors

    return isinstance(exc, docker.errors.NotFound)


def image_present(client: Any, image: str, url: str | None) -> bool:
    """Whether the engine has ``image`` locally (one inspect)."""
    import docker.errors

    with engine_errors(url, f"inspecting image {image}", image=image):
        try:
            client.api.inspect_image(image)
        except docker.errors.ImageNotFound:
            return False
        except docker.errors.NotFound:
            return False
    return True


def ensure_image(client: Any, image: str, pull: str, url: str | None) -> bool:
    """Apply the pull policy (``missing`` | ``always`` | ``never``); True when it pulled.

    A failed pull is a TerminalError naming the image and the registry's answer."""
    import docker.errors
    import requests.exceptions

    if pull != "always" and image_present(client, image, url):
        return False
    if pull == "never":
        raise TerminalError(f"image {image} is not present on the Docker engine at "
                            f"{describe(url)} and pull is 'never'",
                            hint="docker load or docker build it on that engine")
    try:
        client.images.pull(image)
    except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
        if isinstance(exc, requests.exceptions.ConnectionError):
            raise unreachable(url, exc) from None
        raise TerminalError(f"image {image} could not be pulled: {_explanation(exc)}",
                            hint=IMAGE_HINT) from None
    except docker.errors.DockerException as exc:
        raise TerminalError(f"image {image} could not be pulled: {_explanation(exc)}",
                            hint=IMAGE_HINT) from None
    return True


def check_name_free(client: Any, url: str | None, scope: str, name: str) -> None:
    """Make room for container ``name``: a stale container of our scope with that name is
    removed; one owned by anybody else is a TerminalError."""
    from reconciler.actuators.container.parse import LABEL_SCOPE

    with engine_errors(url, f"looking up container {name}"):
        entries = client.api.containers(all=True, filters={"name": f"^/{name}$"})
    for entry in entries:
        if (entry.get("Labels") or {}).get(LABEL_SCOPE) != scope:
            raise TerminalError(f"a container named {name} exists and is not managed by "
                                f"this project", hint=f"remove or rename it: docker rm -f {name}")
        with engine_errors(url, f"removing stale container {name}"):
            client.api.remove_container(entry["Id"], force=True)


def ensure_network(client: Any, url: str | None, project: str, scope: str,
                   subnet: object = None) -> None:
    """The scope's bridge network, labelled; created when missing (``subnet`` optional)."""
    from reconciler.actuators.container.parse import LABEL_PROJECT, LABEL_SCOPE

    with engine_errors(url, f"creating network {scope}"):
        if any(n.get("Name") == scope for n in client.api.networks(names=[scope])):
            return
        ipam = {"Driver": "default", "Config": [{"Subnet": str(subnet)}]} if subnet else None
        client.api.create_network(scope, driver="bridge", check_duplicate=True, ipam=ipam,
                                  labels={LABEL_PROJECT: project, LABEL_SCOPE: scope})


def ensure_volume(client: Any, url: str | None, project: str, scope: str, volume: str) -> None:
    """Named volume ``volume`` (already scope-prefixed), labelled; created when missing."""
    from reconciler.actuators.container.parse import LABEL_PROJECT, LABEL_SCOPE, LABEL_VOLUME

    with engine_errors(url, f"creating volume {volume}"):
        try:
            client.api.inspect_volume(volume)
            return
        except Exception as exc:
            if not is_not_found(exc):
                raise
        client.api.create_volume(volume, labels={
            LABEL_PROJECT: project, LABEL_SCOPE: scope,
            LABEL_VOLUME: volume.removeprefix(f"{scope}_")})


def check_networks(client: Any, url: str | None, names: Sequence[str]) -> None:
    """``networks:`` names networks that must exist already (we never create or remove
    them): a missing one is an error before anything is created."""
    for name in names:
        with engine_errors(url, f"looking up network {name}"):
            found = [n for n in client.api.networks(names=[name])
                     if name in (n.get("Name"), n.get("Id"))]
        if not found:
            raise TerminalError(f"network {name} does not exist on the Docker engine at "
                                f"{describe(url)}",
                                hint=f"create it first (docker network create {name}) or "
                                     "remove it from networks:")
