"""The services.yaml keys of ``type: docker-attach`` and ``type: process-attach`` (kind
``attached``): the harness's attach targets, observed but never managed.

The one definition of these keys: the services schema and the per-type key rules are
generated from these models (``scripts/gen_schemas.py``). Imports pydantic: never imported on
the validate or plan path (``KIND.schemas`` names the classes as strings).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from reconciler.config.schema_fields import KindTarget


class DockerAttachTarget(KindTarget):
    """An existing container, attached: probed and depended on, never started or stopped."""

    REQUIRED: ClassVar[tuple[tuple[str, ...], ...]] = (("container",),)
    SERVICE_KEYS: ClassVar[tuple[str, ...]] = ("port",)

    type: Literal["docker-attach"]
    container: str | None = Field(
        default=None, description="docker-attach: the name or id of the running container")
    host: str | None = Field(default=None, description="the SSH host whose engine runs it")


class ProcessAttachTarget(KindTarget):
    """An existing process, attached: probed and depended on, never started or stopped."""

    REQUIRED: ClassVar[tuple[tuple[str, ...], ...]] = (("process_name", "pid"),)
    SERVICE_KEYS: ClassVar[tuple[str, ...]] = ("port",)

    type: Literal["process-attach"]
    process_name: str | None = Field(
        default=None, description="process-attach: a pattern of its command line "
        "(`pgrep -f`)")
    pid: int | None = Field(default=None, ge=1, description="process-attach: its pid")
    host: str | None = Field(default=None, description="the SSH host it runs on")
