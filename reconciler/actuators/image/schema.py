"""The services.yaml keys of ``type: image`` (kind ``image``).

The one definition of these keys: the services schema and the per-type key rules are
generated from this model (``scripts/gen_schemas.py``). ``target`` and ``args`` are taken by
the nested shape and by process services, so the image's are ``build_target`` and
``build_args``. Imports pydantic: never imported on the validate or plan path.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from reconciler.config.schema_fields import KindTarget


class ImageTarget(KindTarget):
    """A local image built from a Dockerfile context."""

    REQUIRED: ClassVar[tuple[tuple[str, ...], ...]] = (("tag",),)

    type: Literal["image"]
    tag: str | None = Field(default=None, description="image: the name:tag it is built as "
                            "(containers whose `image:` names it depend on it)")
    context: str | None = Field(default=None, description="image: the build context "
                                "directory, relative to this file (default: its directory)")
    dockerfile: str | None = Field(default=None, description="image: the Dockerfile, "
                                   "relative to the context (default: Dockerfile)")
    build_target: str | None = Field(default=None,
                                     description="image: the stage to build (--target)")
    build_args: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="image: build arguments (--build-arg)")
