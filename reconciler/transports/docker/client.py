"""The Docker engine surface this project calls, as types (the docker SDK ships none).

:class:`ReadAPI` is what observing needs (list and inspect containers): the SDK's low-level
``APIClient`` and the stdlib :class:`~reconciler.transports.docker.socket.SocketAPI` both
have it. :class:`EngineAPI` adds the calls that change an engine, :class:`DockerClient` the
few high-level parts used (``images.pull``, ``events``, ``ping``, ``close``). Only the
methods called anywhere in the project are listed; a new call adds its line here.

The engine's answers are JSON objects; the keys read are typed (:class:`ContainerSummary`,
:class:`NetworkSummary`, ...), the rest of a document is opened by the parsers in
``actuators/container/parse.py``, which narrow what they read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol, TypedDict

from reconciler.jsonvalue import JSONValue

__all__ = ["ContainerInfo", "ContainerSummary", "DockerClient", "EngineAPI", "EngineEvent",
           "EventStream", "ExecInfo", "ImageSummary", "Images", "NetworkSummary", "PortSummary",
           "ReadAPI", "VolumeList", "WithId"]



class HealthLogEntry(TypedDict, total=False):
    ExitCode: int
    Output: str


class HealthState(TypedDict, total=False):
    Status: str  # starting, healthy, unhealthy
    Log: list[HealthLogEntry]


class ContainerState(TypedDict, total=False):
    Status: str
    Running: bool
    ExitCode: int
    OOMKilled: bool
    Health: HealthState


class ContainerConfig(TypedDict, total=False):
    Image: str
    Cmd: list[str] | None
    Env: list[str] | None
    Labels: dict[str, str] | None


class PortBinding(TypedDict, total=False):
    HostIp: str
    HostPort: str


class HostConfig(TypedDict, total=False):
    PortBindings: dict[str, list[PortBinding] | None] | None  # "80/tcp" -> its bindings


class ContainerInfo(TypedDict, total=False):
    """``GET /containers/{id}/json`` (the keys read; the engine sends more)."""

    Id: str
    Name: str
    State: ContainerState
    Config: ContainerConfig
    HostConfig: HostConfig


class PortSummary(TypedDict, total=False):
    """One published or exposed port of a container list entry."""

    IP: str
    PrivatePort: int
    PublicPort: int
    Type: str  # tcp, udp


class SummaryNetworks(TypedDict, total=False):
    Networks: dict[str, JSONValue]


class ContainerSummary(TypedDict, total=False):
    """One entry of ``GET /containers/json`` (the keys read; the engine sends more)."""

    Id: str
    Names: list[str]
    Image: str
    State: str
    Status: str
    Created: int
    Labels: dict[str, str]
    Ports: list[PortSummary]
    NetworkSettings: SummaryNetworks


class NetworkSummary(TypedDict, total=False):
    """One entry of ``GET /networks``."""

    Id: str
    Name: str
    Labels: dict[str, str]


class VolumeSummary(TypedDict, total=False):
    Name: str
    Labels: dict[str, str]


class VolumeList(TypedDict, total=False):
    """``GET /volumes``."""

    Volumes: list[VolumeSummary] | None


class ImageSummary(TypedDict, total=False):
    """One entry of ``GET /images/json`` (the keys read)."""

    Id: str
    RepoTags: list[str] | None
    Labels: dict[str, str] | None
    Created: int


class WithId(TypedDict):
    """The answer of a create call (a container, an exec)."""

    Id: str


class ExecInfo(TypedDict, total=False):
    """``GET /exec/{id}/json``."""

    ExitCode: int | None
    Running: bool


class EventActor(TypedDict, total=False):
    ID: str
    Attributes: dict[str, str]


class EngineEvent(TypedDict, total=False):
    """One decoded entry of ``GET /events`` (``status`` on older engines, else ``Action``)."""

    Type: str
    Action: str
    status: str
    Actor: EventActor


class EventStream(Protocol):
    """The SDK's cancellable event stream."""

    def __iter__(self) -> Iterator[EngineEvent]: ...

    def close(self) -> None: ...


class ReadAPI(Protocol):
    """Listing and inspecting containers: all observation asks of an engine."""

    def containers(self, all: bool = ...,
                   filters: Mapping[str, object] | None = ...) -> list[ContainerSummary]: ...

    def inspect_container(self, container: str) -> ContainerInfo: ...


class EngineAPI(ReadAPI, Protocol):
    """The low-level engine calls the container kind makes (the SDK's ``APIClient``)."""

    _version: str  # the API version the client speaks (the SDK's create helpers need it)

    def create_container(self, **kwargs: object) -> WithId: ...

    def start(self, container: str) -> None: ...

    def stop(self, container: str, timeout: int | None = ...) -> None: ...

    def kill(self, container: str, signal: str | int | None = ...) -> None: ...

    def remove_container(self, container: str, v: bool = ..., link: bool = ...,
                         force: bool = ...) -> None: ...

    def connect_container_to_network(self, container: str, net_id: str,
                                     **kwargs: object) -> None: ...

    def networks(self, names: Sequence[str] | None = ...,
                 ids: Sequence[str] | None = ...) -> list[NetworkSummary]: ...

    def create_network(self, name: str, **kwargs: object) -> WithId: ...

    def remove_network(self, net_id: str) -> None: ...

    def volumes(self, filters: Mapping[str, object] | None = ...) -> VolumeList: ...

    def inspect_volume(self, name: str) -> Mapping[str, JSONValue]: ...

    def create_volume(self, name: str | None = ..., driver: str | None = ...,
                      driver_opts: Mapping[str, str] | None = ...,
                      labels: Mapping[str, str] | None = ...) -> Mapping[str, JSONValue]: ...

    def remove_volume(self, name: str, force: bool = ...) -> None: ...

    def exec_create(self, container: str, cmd: str | Sequence[str]) -> WithId: ...

    def exec_start(self, exec_id: str) -> bytes: ...

    def exec_inspect(self, exec_id: str) -> ExecInfo: ...

    def inspect_image(self, image: str) -> Mapping[str, JSONValue]: ...

    def images(self, filters: Mapping[str, object] | None = ...) -> list[ImageSummary]: ...

    def build(self, **kwargs: object) -> Iterator[Mapping[str, JSONValue]]: ...

    def remove_image(self, image: str) -> None: ...

    def version(self, api_version: bool = ...) -> Mapping[str, JSONValue]: ...


class Images(Protocol):
    def pull(self, repository: str, tag: str | None = ...) -> object: ...


class DockerClient(Protocol):
    """The high-level client (``docker.DockerClient``) as used here."""

    @property
    def api(self) -> EngineAPI: ...

    @property
    def images(self) -> Images: ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...

    def events(self, *, decode: bool = ...,
               filters: Mapping[str, object] | None = ...) -> EventStream: ...
