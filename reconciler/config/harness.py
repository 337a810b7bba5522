"""The service harness's graph-stack spellings that services.yaml folds on load (pure).

The harness writes its target types capitalised (``type: Docker``, ``type: Process``, the Rust
enum's names); reconciler's types are lower case. :func:`fold_type_case` lower-cases every
``type`` of a service or task (flat or under ``target:``) in place, before validation, so
both spellings load and every key keeps its file:line:col.
"""

from __future__ import annotations

__all__ = ["fold_type_case"]


def fold_type_case(data: object) -> None:
    """Lower-case ``services.*.type``, ``services.*.target.type`` (and the same of tasks)."""
    if not isinstance(data, dict):
        return
    for section in ("services", "tasks"):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        for entry in entries.values():
            if not isinstance(entry, dict):
                continue
            for holder in (entry, entry.get("target")):
                if isinstance(holder, dict) and isinstance(holder.get("type"), str):
                    holder["type"] = holder["type"].lower()
