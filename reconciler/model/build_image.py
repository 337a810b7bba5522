"""``type: image`` entries of services.yaml, and the containers that run what they build.

:func:`image_draft` fills an image Draft through the kind's own builder
(:func:`reconciler.actuators.image.spec.image_spec`; the ``BuildHost`` hashes the context).
:func:`link_images` makes every container whose ``image:`` names an image entry's tag depend
on it (built first, removed last) and carry the build's digest as ``image_build`` in its spec,
so a rebuild replaces it. Pure.
"""

from __future__ import annotations

from reconciler.actuators.image.spec import KIND, build_digest, image_spec, spec_of
from reconciler.errors import Diagnostic, error
from reconciler.model.build_draft import DepDraft, Draft, absolute
from reconciler.model.host import BuildHost

__all__ = ["image_draft", "link_images"]


def image_draft(draft: Draft, target: dict[str, object], problems: list[Diagnostic],
                host: BuildHost) -> None:
    """Make ``draft`` the image resource of its ``type: image`` entry."""
    draft.kind = KIND
    spec, found = image_spec(target, absolute(draft.doc, None), host.hash_context)
    draft.spec = dict(spec)
    problems.extend(error(f"image '{draft.name}': {message}", draft.where(key),
                          hint="paths are relative to this file (dockerfile: to the context)")
                    for key, message in found)


def _normal(tag: str) -> str:
    return tag if ":" in tag.rsplit("/", 1)[-1] or "@" in tag else f"{tag}:latest"


def link_images(drafts: list[Draft]) -> None:
    """Containers (services and docker tasks) naming an image entry's tag depend on it."""
    images = {_normal(str(d.spec.get("tag"))): d for d in drafts
              if d.kind == KIND and d.spec.get("tag")}
    if not images:
        return
    for draft in drafts:
        image = draft.spec.get("image") if draft.kind in ("container", "task") else None
        built = images.get(_normal(image)) if isinstance(image, str) and image else None
        if built is None:
            continue
        draft.spec["image_build"] = build_digest(spec_of(built.spec))
        if all(dep.name != built.name for dep in draft.deps):
            draft.deps.append(DepDraft(built.name, None, draft.where("image")))
