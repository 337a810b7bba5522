"""par ``.par.yaml`` -> one-shot task Drafts (pure).

- ``initialization.include`` becomes the task ``par-include``: it copies each listed path
  (globs expanded in the main checkout) from the repository's main worktree (the first of
  ``git worktree list``) into the project directory, as par does for a new worktree; in the
  main checkout itself there is nothing to copy and it succeeds at once.
- each of ``initialization.commands`` becomes a task named after its ``name`` (lower-case,
  words joined by ``-``), else ``par-init-<n>``; it runs through ``/bin/sh -c`` in the
  project directory, after ``par-include`` and after the command before it (par runs them in
  order).

A service of services.yaml (or any other file) that needs the worktree prepared depends on
the last task: ``depends_on: [install-deps]``.
"""

from __future__ import annotations

import re

from reconciler.actuators.task.spec import process_spec
from reconciler.config.raw import RawDocument, as_dict, as_list
from reconciler.model.build_draft import (
    DEFAULT_SHUTDOWN_TIMEOUT,
    DEFAULT_STARTUP_TIMEOUT,
    DepDraft,
    Draft,
    absolute,
)
from reconciler.model.types import Condition

INCLUDE_TASK = "par-include"
# $@: the include patterns. Globs expand (unquoted $pattern) inside the main checkout.
COPY_SCRIPT = (
    'dest=$(pwd -P); src=$(git worktree list --porcelain 2>/dev/null '
    "| sed -n '1s/^worktree //p'); "
    '[ -n "$src" ] || src="$dest"; src=$(cd "$src" && pwd -P); '
    '[ "$src" = "$dest" ] && exit 0; cd "$src" || exit 1; '
    'for pattern in "$@"; do for f in $pattern; do '
    'if [ -e "$f" ]; then mkdir -p "$dest/$(dirname "$f")" && cp -R "$f" "$dest/$f" '
    '|| exit 1; else echo "par include: $f not found in $src" >&2; fi; done; done')


def task_name(name: object, index: int) -> str:
    """``"Install frontend deps"`` -> ``install-frontend-deps``; ``par-init-<n>`` without."""
    slug = re.sub(r"[^a-z0-9_]+", "-", str(name or "").lower()).strip("-")
    return slug or f"par-init-{index + 1}"


def _task(doc: RawDocument, name: str, path: tuple[str | int, ...],
          command: list[str]) -> Draft:
    draft = Draft(name, "task", doc, path, interpolate=False)
    draft.spec = dict(process_spec(command, absolute(doc, None),
                                   shutdown_timeout=DEFAULT_SHUTDOWN_TIMEOUT,
                                   startup_timeout=DEFAULT_STARTUP_TIMEOUT))
    return draft


def par_drafts(doc: RawDocument) -> list[Draft]:
    """The tasks of one ``.par.yaml`` document, in the order par runs them."""
    init = as_dict(as_dict(doc.data).get("initialization"))
    drafts: list[Draft] = []
    include = [str(p) for p in as_list(init.get("include")) if isinstance(p, str) and p]
    if include:
        drafts.append(_task(doc, INCLUDE_TASK, ("initialization", "include"),
                            ["/bin/sh", "-c", COPY_SCRIPT, INCLUDE_TASK, *include]))
    taken = {INCLUDE_TASK}
    for index, item in enumerate(as_list(init.get("commands"))):
        body = item if isinstance(item, dict) else {"command": item}
        command = body.get("command")
        if not isinstance(command, str) or not command.strip():
            continue
        name = task_name(body.get("name"), index)
        while name in taken:
            name = f"{name}-{index + 1}"
        taken.add(name)
        draft = _task(doc, name, ("initialization", "commands", index),
                      ["/bin/sh", "-c", command])
        if drafts:
            draft.deps = [DepDraft(drafts[-1].name, Condition.COMPLETED, draft.source)]
        drafts.append(draft)
    return drafts
