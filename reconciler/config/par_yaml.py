"""par ``.par.yaml``: parse it and check its shape (pure).

par (parallel worktree sessions) prepares each new worktree from this file:
``initialization.include`` lists files (globs allowed) copied from the main checkout, and
``initialization.commands`` lists commands run in order, each a string or ``{name,
command}``. :mod:`reconciler.model.build_par` makes one-shot tasks of both, which services
of the project's other files can depend on. Other keys are warned, never refused.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.config.raw import RawDocument, as_dict, as_list
from reconciler.config.shape import Spec, check_mapping
from reconciler.errors import Diagnostic, error

FORMAT = "par"

TOP: Spec = {"initialization": {"include": "strs", "commands": "any"}}


def parse_par(path: Path, text: str) -> tuple[RawDocument | None, list[Diagnostic]]:
    """Parse ``.par.yaml`` (an empty file is an empty mapping)."""
    from reconciler.config.services_yaml import parse_yaml

    doc, diagnostics = parse_yaml(path, text, FORMAT)
    if doc is not None and doc.data is None:
        doc = RawDocument(doc.path, doc.format, {}, doc.text, doc.positions)
    return doc, diagnostics


def check_par(doc: RawDocument) -> list[Diagnostic]:
    """Shape problems of ``doc``: each command is a string or ``{name?, command}``."""
    out = check_mapping(doc, (), doc.data, TOP, what=".par.yaml")
    init = as_dict(as_dict(doc.data).get("initialization"))
    commands = init.get("commands")
    if commands is not None and not isinstance(commands, list):
        return [*out, error("initialization.commands: expected a list",
                            doc.where("initialization", "commands"))]
    for index, item in enumerate(as_list(commands)):
        here = ("initialization", "commands", index)
        if isinstance(item, str) and item.strip():
            continue
        if isinstance(item, dict):
            out += check_mapping(doc, here, item, {"name": "str", "command": "str"},
                                 what=f"command {index + 1}")
            if isinstance(item.get("command"), str) and item["command"].strip():
                continue
        out.append(error(f"initialization.commands[{index}] needs a command",
                         doc.where(*here), hint="a string, or {name: ..., command: ...}"))
    return out
