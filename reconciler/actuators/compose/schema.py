"""The services.yaml keys of ``type: compose`` (kind ``compose``).

The one definition of these keys: the services schema and the per-type key rules are
generated from this model (``scripts/gen_schemas.py``). Imports pydantic: never imported on
the validate or plan path (``KIND.schemas`` names the class as a string). Without ``files``
the project's compose.yaml (+ override) is read, so nothing is required.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.config.schema_fields import KindTarget


class ComposeTarget(KindTarget):
    """A Compose project: one resource per Compose service."""

    type: Literal["compose"]
    files: str | list[str] | None = Field(
        default=None, description="compose: Compose files, relative to this file "
        "(default: the project's compose.yaml + override)")
    profiles: str | list[str] | None = Field(
        default=None, description="compose: the Compose profiles to enable")
    env_file: str | None = Field(
        default=None, description="compose: env file for ${VAR} in the Compose files "
        "(default: .env next to the first file)")
    project_name: str | None = Field(
        default=None, description="compose: the Compose project name verbatim (default "
        "<project>[_<session>]_<entry>; a fixed name opts out of session isolation)")
    cluster: str | None = Field(
        default=None, description="compose: deploy the services to this cluster "
        "(`clusters:`) as swarm services, as `docker stack deploy` does")
