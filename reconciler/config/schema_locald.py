"""The pydantic models of locald.toml: the source of schemas/locald.schema.json.

One flat service model carries every key of every locald type (exec, worker, container,
postgres, site); ``reconciler.validate.checker`` checks which keys a type accepts (see
``reconciler.config.rules``). Imported only by ``scripts/gen_schemas.py`` and the tests.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.config.schema_fields import Sops

Scalar = str | int | float | bool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Project(Strict):
    name: str | None = None
    domain: str | None = Field(
        default=None, description="Accepted with a warning: no local DNS/proxy")


class HealthCheck(Strict):
    type: Literal["http", "tcp", "command"]
    path: str | None = None
    port: int | None = None
    command: str | None = None
    interval: float | None = None
    timeout: float | None = None
    retries: int | None = None


class LocaldService(Strict):
    type: Literal["exec", "worker", "container", "postgres", "site"] = "exec"
    command: str | list[str] | None = None
    workdir: str | None = Field(default=None, description="Relative to locald.toml")
    port: int | None = Field(default=None, description="Omitted: auto-assigned, injected as $PORT")
    env: dict[str, Scalar | Sops] = Field(
        default_factory=dict, description="A value or {sops = \"FILE#key.path\"} (docs/secrets.md)")
    depends_on: list[str] = Field(default_factory=list)
    health_check: str | HealthCheck | None = None
    stop_signal: str | None = None
    image: str | None = None
    container_port: int | None = None
    volumes: list[str] = Field(default_factory=list)
    version: str | int | float | None = None
    path: str | None = None
    build: dict[str, object] | None = Field(default=None, description="Not supported yet: ignored")


class LocaldFile(Strict):
    """locald.toml"""

    model_config = ConfigDict(extra="forbid", title="reconciler locald.toml")

    project: Project = Field(default_factory=lambda: Project())
    services: dict[str, LocaldService] = Field(default_factory=dict)
