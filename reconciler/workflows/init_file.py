"""``reconciler init``: a commented services.yaml to start from, or one made from an existing
Procfile, compose file or locald.toml.

The text is produced here (scalars written as JSON, which YAML reads unchanged) so the
comments survive; the result always loads and validates (a test checks each source format).
A Compose file is referenced by a ``type: compose`` entry (reconciler drives it through the
Compose CLI, so nothing is lost in translation); Procfile lines and locald's ``exec``/
``worker``/``container`` services become services; what has no equivalent is listed in a
comment instead of being dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.errors import ConfigError, UserError

HEADER = """\
# yaml-language-server: $schema={schema}
# The desired state of this project: `reconciler plan` shows what would change,
# `reconciler apply` makes it so. Reference: docs/configuration.md
version: "1.0"
name: {name}
"""

STARTER = """
services:
  web:
    type: process
    # $PORT is a free port chosen once and kept (port: auto)
    command: "exec python3 -m http.server $PORT --bind 127.0.0.1"
    port: auto
    health_check:
      http: "http://127.0.0.1:${web.port}/"
      interval: 1
"""

# the schema init writes beside services.yaml (a copy of the one shipped in the package)
SCHEMA_FILE = "services.schema.json"


def _q(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _block(name: str, fields: Mapping[str, object]) -> list[str]:
    lines = [f"  {name}:"]
    for key, value in fields.items():
        if isinstance(value, Mapping):
            lines.append(f"    {key}:")
            lines.extend(f"      {k}: {_q(v)}" for k, v in value.items())
        else:
            lines.append(f"    {key}: {_q(value)}")
    return lines


def from_procfile(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    for name, command in (data.get("processes") or {}).items():
        fields: dict[str, object] = {"type": "process", "command": command}
        if name == "web" or "$PORT" in str(command):
            fields["port"] = "auto"
        lines += _block(str(name), fields)
    return lines, []


def from_locald(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    skipped: list[str] = []
    services = data.get("services") or {}
    kinds = {n: e.get("type") or ("container" if e.get("image") and not e.get("command")
                                  else "exec") for n, e in services.items()}
    gone = {n for n, k in kinds.items() if k not in ("exec", "worker", "container")}
    for name, entry in services.items():
        kind = kinds[name]
        fields: dict[str, object] = {}
        if kind in ("exec", "worker"):
            fields = {"type": "process", "command": entry.get("command", "")}
            if kind == "exec":
                fields["port"] = "auto"
            if entry.get("workdir"):
                fields["working_dir"] = entry["workdir"]
        elif kind == "container":
            fields = {"type": "docker", "image": entry.get("image", "")}
            if entry.get("container_port"):
                fields["ports"] = [str(entry["container_port"])]
        else:
            skipped.append(f"{name} (type {kind})")
            continue
        env = {k: v for k, v in (entry.get("env") or {}).items()
               if not any(f"{g}." in str(v) for g in gone)}
        if env:
            fields["env"] = env
        if entry.get("stop_signal"):
            fields["stop_signal"] = entry["stop_signal"]
        needs = [d for d in entry.get("depends_on") or () if d not in gone]
        if needs:
            fields["depends_on"] = needs
        dropped = sorted({*(set(entry.get("depends_on") or ()) & gone),
                          *(k for k in entry.get("env") or {} if k not in env)})
        if dropped:
            skipped.append(f"{name}: {', '.join(dropped)} (they refer to what is not converted)")
        lines += _block(str(name), fields)
    return lines, skipped


def render(name: str, source: Path | None, docs_data: Any, fmt: str | None,
           schema: str = SCHEMA_FILE) -> str:
    """The services.yaml text for project ``name`` (from ``docs_data`` of format ``fmt``)."""
    text = HEADER.format(schema=schema, name=_q(name))
    if source is None or fmt is None:
        return text + STARTER
    if fmt == "compose":
        return text + "\nservices:\n" + "\n".join(_block(
            "app", {"type": "compose", "files": [source.name]})) + "\n"
    lines, skipped = from_procfile(docs_data) if fmt == "procfile" else from_locald(docs_data)
    body = (f"\n# made by `reconciler init --from {source.name}`, which is no longer loaded\n"
            f"replaces: [{_q(source.name)}]\nservices:\n")
    body += "\n".join(lines) + "\n" if lines else "  {}\n"
    if skipped:
        body += (f"\n# not converted (no services.yaml equivalent yet; to run them, drop "
                 f"`replaces:` and\n# remove the converted entries from {source.name}):\n")
        body += "".join(f"#   {s}\n" for s in skipped)
    return text + body


def init_text(directory: Path, source: Path | None) -> str:
    """Parse ``source`` (Procfile, compose file or locald.toml) and render the new file."""
    from reconciler.config import format_of, parse_file

    if source is None:
        return render(directory.resolve().name, None, None, None)
    fmt = format_of(source) or ("compose" if "compose" in source.name else None)
    if fmt not in ("procfile", "compose", "locald"):
        raise UserError(f"init --from reads a Procfile, a compose file or locald.toml, "
                        f"not {source.name}", hint="e.g. reconciler init --from Procfile")
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {source}: {exc.strerror or exc}") from None
    doc, diagnostics = parse_file(source, text, fmt)
    if doc is None:
        raise ConfigError(diagnostics)
    name = directory.resolve().name
    if fmt == "locald" and isinstance(doc.data, Mapping):
        name = str((doc.data.get("project") or {}).get("name") or name)
    return render(name, source, doc.data, fmt)


SCHEMA_NAMES = ("services", "locald", "policy", "plan")


def shipped_schema(name: str = "services") -> Path:
    """The JSON Schema file ``name`` as shipped in the installed package."""
    if name not in SCHEMA_NAMES:
        raise UserError(f"no schema named {name!r}", hint="one of: " + ", ".join(SCHEMA_NAMES))
    return Path(__file__).resolve().parent.parent / "validate" / "schemas" / \
        f"{name}.schema.json"


def write_schema(directory: Path, name: str = "services", *, force: bool = True) -> Path | None:
    """Copy the shipped schema ``name`` into ``directory`` (what a ``$schema`` line names);
    None when a copy is there already and ``force`` is off."""
    target = directory / f"{name}.schema.json"
    if target.exists() and not force:
        return None
    try:
        target.write_bytes(shipped_schema(name).read_bytes())
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target

