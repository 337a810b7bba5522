"""The services.yaml keys of ``type: file`` (kind ``file``).

The one definition of these keys: the services schema and the per-type key rules are
generated from this model (``scripts/gen_schemas.py``). Imports pydantic: never imported on
the validate or plan path (``KIND.schemas`` names the class as a string).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from reconciler.config.schema_fields import Adopt, KindTarget


class FileTarget(KindTarget):
    """A managed file: a path with given content, mode and owner."""

    REQUIRED: ClassVar[tuple[tuple[str, ...], ...]] = (("path",), ("content", "source"))

    type: Literal["file"]
    host: str | None = Field(default=None, description="the SSH host it is written on")
    path: str | None = Field(default=None, description="file: the managed file's path")
    content: str | None = Field(default=None, description="file: its content, inline")
    source: str | None = Field(
        default=None, description="file: a file whose content it holds, relative to this file")
    mode: str | None = Field(default=None, pattern=r"^0?[0-7]{3}$",
                             description="file: permission bits, octal (default 0644)")
    owner: str | None = Field(default=None, description="file: user or user:group to chown to")
    adopt: Adopt | None = Field(
        default=None, description="file: take over the existing file at this path (the "
        "configured `path`) instead of writing it (when it is not in the state yet)")
