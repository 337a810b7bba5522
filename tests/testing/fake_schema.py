"""The services.yaml schema model of the test kind "fake" (``type: fake``, one key ``size``):
what a kind package's ``schema.py`` holds, for the recipe test of the generated schema."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from reconciler.config.schema_fields import KindTarget


class FakeTarget(KindTarget):
    """An in-memory object of the fake kind."""

    REQUIRED: ClassVar[tuple[tuple[str, ...], ...]] = (("size",),)
    SERVICE_KEYS: ClassVar[tuple[str, ...]] = ("port",)

    type: Literal["fake"]
    size: int | None = Field(default=None, description="fake: how big it is")
