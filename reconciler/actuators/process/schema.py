"""The services.yaml keys of ``type: process`` and ``type: remote`` (kind ``process``).

The one definition of these keys: the services schema and the per-type key rules are
generated from these models (``scripts/gen_schemas.py``). Imports pydantic: never imported on
the validate or plan path (``KIND.schemas`` names the classes as strings).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from reconciler.config.schema_fields import Adopt, KindTarget, Scalar


class ProcessTarget(KindTarget):
    """A command run as a local process (or on ``host`` over SSH)."""

    REQUIRED: ClassVar[tuple[tuple[str, ...], ...]] = (("binary", "command"),)
    SERVICE_KEYS: ClassVar[tuple[str, ...]] = ("port", "stop_signal")
    TASK: ClassVar[bool] = True

    type: Literal["process"]
    binary: str | None = Field(default=None, description="process: the program to run")
    args: list[Scalar] = Field(default_factory=list, description="process: its arguments")
    working_dir: str | None = Field(
        default=None, description="process: working directory, relative to this file")
    user: str | None = Field(default=None, description="process: run as this user")
    command: str | list[Scalar] | None = Field(
        default=None, description="process: one shell command string (instead of binary)")
    host: str | None = Field(default=None, description="the SSH host it runs on")
    env_file: str | None = Field(
        default=None, description="a SOPS-encrypted dotenv file whose variables become "
        "secret env values (the service's own `env` wins)")
    adopt: Adopt | None = Field(
        default=None, description="process: take over the running process with this pid "
        "instead of starting one (when it is not in the state yet)")


class RemoteTarget(ProcessTarget):
    """A command run as a process on an SSH ``host``."""

    REQUIRED: ClassVar[tuple[tuple[str, ...], ...]] = (("host",), ("binary", "command"))

    type: Literal["remote"]  # type: ignore[assignment]
