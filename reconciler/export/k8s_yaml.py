"""Manifests as text: one YAML stream (``---`` between documents) or one file per resource
(``kind-name.yaml``, the kind in lower case). Keys are sorted, no ``&anchors`` are written and
the documents come in the order given, so the same manifests always give the same bytes."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from reconciler.export.k8s_manifests import Manifest

__all__ = ["file_name", "files", "stream", "to_yaml"]


def _sorted(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_sorted(v) for v in value]
    return value


def to_yaml(manifest: Mapping[str, object]) -> str:
    from ruamel.yaml import YAML  # at call time: only `export` needs it

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 100
    yaml.allow_unicode = True
    yaml.representer.ignore_aliases = lambda _data: True  # a shared probe is written twice
    out = io.StringIO()
    yaml.dump(_sorted(manifest), out)
    return out.getvalue()


def file_name(manifest: Manifest) -> str:
    return f"{str(manifest['kind']).lower()}-{manifest['metadata']['name']}.yaml"


def stream(manifests: Sequence[Manifest]) -> str:
    """One YAML stream, ``---`` before every document."""
    return "".join(f"---\n{to_yaml(m)}" for m in manifests)


def files(manifests: Sequence[Manifest]) -> dict[str, str]:
    """File name -> its text, one file per manifest."""
    return {file_name(m): to_yaml(m) for m in manifests}
