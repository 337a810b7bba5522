"""The services.yaml schema and its per-type key rules, generated from the kind registry.

Each kind names the pydantic models of the ``type:`` values it declares (``Kind.schemas``,
``"module:Class"`` of a :class:`~reconciler.config.schema_fields.KindTarget` in its package's
``schema.py``). :func:`services_model` turns them into the ``services:``/``tasks:`` union over
``type`` (the flat shape: the type's keys beside the service's own; the nested ``target:``
shape: a union discriminated by ``type``); :func:`generate` is what ``scripts/gen_schemas.py``
writes to ``schemas/`` and ``validate/schemas/``, :func:`rules_text` what it writes to
``config/kind_rules.py`` (the per-type key rules ``config/checks.py`` applies). Imports
pydantic: only the script and the tests import this module, never the validate or plan path.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import BaseModel, Discriminator, Field, Tag, create_model

from reconciler.actuators import registry
from reconciler.config.schema_export import SCHEMA_DIALECT
from reconciler.config.schema_fields import KindTarget
from reconciler.config.schema_services import ServiceCommon, ServicesFileBase, TaskCommon

__all__ = ["DEFAULT_TYPE", "generate", "rules", "rules_text", "services_model",
           "target_models", "type_name"]

DEFAULT_TYPE = "process"  # a flat service without `type:` (as config/checks.py reads it)


def target_models(kinds: list[registry.Kind] | None = None) -> list[type[KindTarget]]:
    """The schema model of every ``type:`` the kinds declare, in registry order."""
    found: list[type[KindTarget]] = []
    for declared in registry.kinds() if kinds is None else kinds:
        for target in declared.schemas:
            module_name, _, class_name = target.partition(":")
            model = getattr(importlib.import_module(module_name), class_name)
            if not (isinstance(model, type) and issubclass(model, KindTarget)):
                raise TypeError(f"{target} (kind {declared.name}) is not a KindTarget model")
            found.append(model)
    names = [type_name(m) for m in found]
    if len(set(names)) != len(names):
        raise TypeError(f"two kinds declare the same service type: {names}")
    return found


def type_name(model: type[KindTarget]) -> str:
    """The ``type:`` value a model declares (its ``Literal``)."""
    values = get_args(model.model_fields["type"].annotation)
    if len(values) != 1 or not isinstance(values[0], str):
        raise TypeError(f"{model.__name__}.type must be one Literal string")
    return values[0]


def _tag(value: object) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) else DEFAULT_TYPE


def _union(members: list[tuple[str, type[BaseModel]]], discriminator: Any) -> Any:
    tagged = tuple(Annotated[model, Tag(name)] for name, model in members)
    return Annotated[Union[tagged], Discriminator(discriminator)]  # noqa: UP007


def _flat(model: type[KindTarget], base: type[BaseModel], suffix: str,
          target: Any) -> type[BaseModel]:
    """The flat shape of one type: the service's own keys plus the type's."""
    name = type_name(model)
    fields: dict[str, Any] = {}
    for key, info in model.model_fields.items():
        if key == "env":
            continue
        if key == "type" and name == DEFAULT_TYPE:
            fields[key] = (Literal[name] | None, None)
        else:
            fields[key] = (info.annotation, info)
    stem = model.__name__.removesuffix("Target")
    return create_model(f"{stem}{suffix}", __base__=base, __doc__=model.__doc__,
                        target=(target | None, None), **fields)


def services_model(models: list[type[KindTarget]] | None = None) -> type[BaseModel]:
    """The services.yaml model: ``services``/``tasks`` as unions over the kinds' types."""
    models = target_models() if models is None else models
    target = _union([(type_name(m), m) for m in models], "type")
    services = [(type_name(m), _flat(m, ServiceCommon, "Service", target)) for m in models]
    task_base = create_model("TaskBase", __base__=(ServiceCommon, TaskCommon))
    tasks = [(type_name(m), _flat(m, task_base, "Task", target)) for m in models]
    by_name: Any = dict[str, _union(services, _tag)]  # type: ignore[misc]
    tasks_by_name: Any = dict[str, _union(tasks, _tag)]  # type: ignore[misc]
    empty: Any = Field(default_factory=dict)
    return create_model("ServicesFile", __base__=ServicesFileBase, __doc__="services.yaml",
                        services=(by_name, empty), tasks=(tasks_by_name, empty))


def generate(models: list[type[KindTarget]] | None = None) -> dict[str, dict[str, Any]]:
    """File name in schemas/ -> JSON Schema document (services and locald)."""
    from reconciler.config.schema_locald import LocaldFile

    out: dict[str, dict[str, Any]] = {}
    for name, model in (("services.schema.json", services_model(models)),
                        ("locald.schema.json", LocaldFile)):
        schema = model.model_json_schema(mode="validation")
        out[name] = {"$schema": SCHEMA_DIALECT, **schema}
    return out


def rules(models: list[type[KindTarget]] | None = None) -> dict[str, Any]:
    """The per-type key rules of the kinds' models: keys, required alternatives, task types."""
    models = target_models() if models is None else models
    keys = {type_name(m): sorted(set(m.model_fields) - {"type", "env"} | set(m.SERVICE_KEYS))
            for m in models}
    required = {type_name(m): [list(group) for group in m.REQUIRED] for m in models}
    return {"TARGET_KEYS": keys, "TARGET_REQUIRED": required,
            "TASK_TYPES": [type_name(m) for m in models if m.TASK]}


def _set(name: str, keys: list[str]) -> list[str]:
    """``    "name": frozenset({...}),`` wrapped at 100 columns."""
    words = [f'"{k}"' for k in keys]
    lines, line = [], f'    "{name}": frozenset({{'
    for index, word in enumerate(words):
        piece = word + ("" if index == len(words) - 1 else ", ")
        if len(line) + len(piece.rstrip()) > 97:
            lines.append(line.rstrip())
            line = "        "
        line += piece
    return [*lines, line + "}),"]


def rules_text(models: list[type[KindTarget]] | None = None) -> str:
    """The text of ``reconciler/config/kind_rules.py``."""
    data = rules(models)
    lines = ['"""The per-type key rules of services.yaml, generated by scripts/gen_schemas.py from',
             "the schema models the kinds name (reconciler/actuators/schema.py): do not edit.",
             '"""', "", "from __future__ import annotations", "",
             "TARGET_KEYS: dict[str, frozenset[str]] = {"]
    for name, keys in data["TARGET_KEYS"].items():
        lines += _set(name, keys)
    lines += ["}", "# alternatives: at least one key of each tuple must be set",
              "TARGET_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {"]
    for name, groups in data["TARGET_REQUIRED"].items():
        rendered = "".join(repr(tuple(g)) + ", " for g in groups).removesuffix(", ")
        rendered += "," if len(groups) == 1 else ""
        lines.append(f'    "{name}": ({rendered}),'.replace("'", '"'))
    tasks = ", ".join(f'"{t}"' for t in data["TASK_TYPES"])
    lines += ["}", f"TASK_TYPES = frozenset({{{tasks}}})", ""]
    return "\n".join(lines)
