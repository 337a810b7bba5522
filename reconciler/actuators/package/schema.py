"""The services.yaml keys of ``type: package`` (kind ``package``).

The one definition of these keys: the services schema and the per-type key rules are
generated from this model (``scripts/gen_schemas.py``). Imports pydantic: never imported on
the validate or plan path (``KIND.schemas`` names the class as a string).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from reconciler.config.schema_fields import KindTarget


class PackageTarget(KindTarget):
    """A content-addressed package installed on an SSH host."""

    REQUIRED: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("host",), ("package",), ("install_path",))

    type: Literal["package"]
    host: str | None = Field(default=None, description="the SSH host it is installed on")
    package: str | None = Field(
        default=None, description="package: a local directory, relative to this file")
    version: str | int | float | None = Field(default=None, description="package: its version")
    install_path: str | None = Field(
        default=None, description="package: where it is installed on the host")
