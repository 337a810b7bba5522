"""A host's Docker engine over the run's pooled SSH connection (ssh -> docker -> command).

Owns the docker SDK plumbing that lets a kind talk to the engine of an SSH host. Every HTTP
connection the SDK opens is one SSH *channel* on the host's pooled, already verified
connection (:class:`reconciler.transports.ssh.SshTransport`) running
``docker system dial-stdio`` (under ``sudo -n`` when the host says ``sudo: true``), which is
what ``docker -H ssh://`` does. Nothing else is dialled, so:

* host keys are checked once, by the transport, against the project's known_hosts file
  (the SDK's own ``ssh://`` client would read only ``~/.ssh/known_hosts`` and the key from
  ``~/.ssh/config``, and would open a second connection per host);
* the identity file, jump host and timeouts are the host's ``hosts:`` entry;
* the engine needs no TCP port and no socket forwarding: only the docker CLI on the host.

Imported lazily (by :func:`reconciler.transports.docker.engines.connect_over`): it imports the
docker SDK at module level.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from docker.transport.basehttpadapter import BaseHTTPAdapter
from docker.transport.sshconn import SSHConnection, SSHConnectionPool

from reconciler.transports.docker.client import DockerClient
from reconciler.transports.ssh import SshTransport

if TYPE_CHECKING:  # paramiko has no types: named for the reader
    import paramiko

DIAL_STDIO = "docker system dial-stdio"
MAX_CHANNELS = 4  # engine channels per host at once (of sshd's default MaxSessions 10)
OpenChannel = Callable[[], "paramiko.Channel"]


class DialStdioConnection(SSHConnection):  # type: ignore[misc]
    """One HTTP connection = one channel running ``docker system dial-stdio`` on the host."""

    def __init__(self, open_channel: OpenChannel, timeout: float):
        super().__init__(ssh_transport=None, timeout=timeout, host=None)
        self._open_channel = open_channel

    def connect(self) -> None:
        sock = self._open_channel()
        sock.settimeout(self.timeout)
        self.sock = sock


class DialStdioPool(SSHConnectionPool):  # type: ignore[misc]
    """Keeps finished HTTP connections (channels) for reuse, like the SDK's ssh pool, and
    never holds more than ``maxsize`` at once (``block``): sshd allows 10 sessions per
    connection by default (MaxSessions), and the process actuator needs some of them."""

    def __init__(self, open_channel: OpenChannel, timeout: float, maxsize: int):
        super().__init__(ssh_client=None, timeout=timeout, maxsize=maxsize, host=None)
        self.block = True
        self._open_channel = open_channel

    def _new_conn(self) -> DialStdioConnection:
        return DialStdioConnection(self._open_channel, self.timeout)


class DialStdioAdapter(BaseHTTPAdapter):  # type: ignore[misc]
    """The requests adapter mounted on ``http+docker://ssh``: one pool for the host."""

    def __init__(self, open_channel: OpenChannel, timeout: float,
                 maxsize: int = MAX_CHANNELS):
        super().__init__()
        self._pool = DialStdioPool(open_channel, timeout, maxsize)

    def get_connection(self, url: str, proxies: object = None) -> DialStdioPool:
        return self._pool

    def close(self) -> None:
        super().close()
        self._pool.close()


def channel_opener(transport: SshTransport) -> OpenChannel:
    """Open channels on ``transport``'s pooled connection (reconnecting once if it dropped)."""

    def open_channel() -> paramiko.Channel:
        link = transport.link()  # the pooled, host-key-checked connection
        channel = link.open_session(timeout=transport.spec.connect_timeout)
        channel.exec_command(transport.wrap(DIAL_STDIO))
        return channel

    return open_channel


def client_over(transport: SshTransport, url: str, *, timeout: float = 60.0) -> DockerClient:
    """A ``docker.DockerClient`` for the engine of ``transport``'s host, API version
    negotiated (the lower of the SDK's default and the engine's). Raises whatever the SDK
    raises; :func:`reconciler.transports.docker.engines.connect_over` maps it."""
    import docker
    from docker.constants import DEFAULT_DOCKER_API_VERSION
    from docker.utils import version_lt

    adapter = DialStdioAdapter(channel_opener(transport), timeout)

    def make(version: str) -> DockerClient:
        # use_ssh_client: the SDK's own ssh adapter only shells out lazily and is never used,
        # because ours is mounted on the same prefix before the first request.
        sdk = docker.DockerClient(base_url=url, version=version, timeout=int(timeout),
                                  use_ssh_client=True)
        sdk.api.mount("http+docker://ssh", adapter)
        client: DockerClient = sdk  # the SDK is untyped
        return client

    probe = make(DEFAULT_DOCKER_API_VERSION)
    server = str(probe.api.version(api_version=False)["ApiVersion"])
    if not version_lt(server, DEFAULT_DOCKER_API_VERSION):
        return probe
    return make(server)
