"""The shared pieces of the services.yaml schema models, owned by no kind.

Every kind's schema model (``reconciler/actuators/<kind>/schema.py``) builds on
:class:`KindTarget` and the field types here (env values with ``{secret: ...}``, health
checks, dependencies); :mod:`reconciler.config.schema_services` holds the keys every service
has. Imports pydantic: only schema generation (``scripts/gen_schemas.py``) and the tests import
it, never the validate or plan path.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Adopt", "ConditionName", "DependencyRef", "DependsOn", "EnvValues", "HealthCheck",
           "KindTarget", "Scalar", "Secret", "Sops", "Strict", "TcpProbe"]

Scalar = str | int | float | bool
ConditionName = Literal[
    "service_started", "service_healthy", "service_completed_successfully"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Secret(Strict):
    """A secret value: masked in every output, stored only as a keyed hash."""

    secret: str


class Sops(Strict):
    """A value from a SOPS-encrypted file: `FILE#key.path`, the file relative to this one;
    decrypted in memory only when used, stored only as a keyed hash."""

    sops: str = Field(pattern=r"^[^#]+#[^#.]+(\.[^#.]+)*$")


EnvValues = dict[str, Scalar | Secret | Sops]


class TcpProbe(Strict):
    port: int | str
    timeout: float | None = None


class HealthCheck(Strict):
    """A readiness probe: `command` (+ `args`), `http` URL or `tcp` port."""

    command: str | None = None
    args: list[Scalar] = Field(default_factory=list)
    http: str | None = None
    tcp: TcpProbe | None = None
    interval: float = 30
    retries: int = 3
    timeout: float = 10
    start_period: float = 0


class Adopt(Strict):
    """Take over a running object on the first plan, like Terraform's import blocks: a
    process by its pid, a container by its id or name (`reconciler import` as config)."""

    id: str | int = Field(description="the running object: a pid, or a container id or name")


class DependencyRef(Strict):
    """Nested-shape dependency: `{service: name}` or `{task: name}`."""

    service: str | None = None
    task: str | None = None


class DependsOn(Strict):
    condition: ConditionName = "service_healthy"


class KindTarget(Strict):
    """What one service ``type:`` declares: subclasses add ``type: Literal["<name>"]`` and
    their keys (the nested ``target:`` shape; the flat shape puts them beside the service's
    own keys). The class variables are the per-type rules ``config/checks.py`` applies
    (written into ``config/kind_rules.py`` by ``scripts/gen_schemas.py``):

    - ``REQUIRED``: alternatives, at least one key of each tuple must be set;
    - ``SERVICE_KEYS``: keys of the service level that apply to this type (``port``, ...);
    - ``TASK``: whether a task (``tasks:``) may have this type.
    """

    REQUIRED: ClassVar[tuple[tuple[str, ...], ...]] = ()
    SERVICE_KEYS: ClassVar[tuple[str, ...]] = ()
    TASK: ClassVar[bool] = False

    type: str
    env: EnvValues = Field(
        default_factory=dict, description="nested shape: environment (merged over the "
        "service's own `env`)")
