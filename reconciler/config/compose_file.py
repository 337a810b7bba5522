"""Compose files: find them, parse them into RawDocuments with ruamel.yaml key positions.

Owns the *reading* of Compose files (``compose.yaml``, ``docker-compose.yml`` and their
override files, or the files a services.yaml ``type: compose`` entry lists) and the env file
Compose interpolates from; :class:`ComposeDisk` answers the Compose questions of
model.build's BuildHost from disk. Pure apart from reading those files
(:func:`parse_compose_text` and :func:`parse_env_text` read nothing): turning a document into
resources is :mod:`reconciler.model.compose`, running the Compose CLI is
:mod:`reconciler.actuators.compose.cli`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler.config.raw import RawDocument
from reconciler.config.services_yaml import (
    YamlConverter,
    YamlDuplicateKey,
    YamlRecursive,
    YamlTooLarge,
)
from reconciler.errors import Diagnostic, SourceRange, error, warning

FORMAT = "compose"

# Compose's own discovery order: the first base file found, then the first override found.
BASE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE_FILES = ("compose.override.yaml", "compose.override.yml",
                  "docker-compose.override.yaml", "docker-compose.override.yml")


def discover_compose_files(project_dir: Path) -> list[Path]:
    """The Compose files Compose itself would read in ``project_dir`` (base + override)."""
    found: list[Path] = []
    for group in (BASE_FILES, OVERRIDE_FILES):
        for name in group:
            candidate = project_dir / name
            if candidate.is_file():
                found.append(candidate)
                break
    return found


def _yaml_error(file: str, exc: Exception) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    source = SourceRange(file, mark.line + 1, mark.column + 1) if mark is not None \
        else SourceRange(file, 1, 1)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return error(f"invalid YAML in compose file: {problem}", source,
                 hint="check the indentation and quoting around this position")


def parse_compose_text(text: str, path: Path) -> tuple[RawDocument | None, list[Diagnostic]]:
    """Parse one Compose file's text; positions of every key, diagnostics instead of raising."""
    file = str(path)
    walker = YamlConverter(file)
    try:
        data = walker.load(text)
    except (YamlTooLarge, YamlRecursive, RecursionError):
        return None, [error("compose file is too large, too deep or recursive",
                            SourceRange(file, 1, 1),
                            hint="an alias (*name) may not refer to a node that contains it")]
    except Exception as exc:  # ruamel raises a few non-YAMLError types on odd input
        from ruamel.yaml.error import YAMLError

        if isinstance(exc, YAMLError | YamlDuplicateKey):
            return None, [_yaml_error(file, exc)]
        return None, [error(f"cannot parse compose file: {exc}", SourceRange(file, 1, 1))]
    if data is None:
        data = {}
    diagnostics: list[Diagnostic] = []
    if not isinstance(data, dict):
        diagnostics.append(error("a compose file must be a mapping at the top level",
                                 SourceRange(file, 1, 1), hint="start with `services:`"))
        data = {}
    services = data.get("services")
    if services is not None and not isinstance(services, dict):
        diagnostics.append(error("`services` must be a mapping of service names",
                                 walker.positions.get(("services",))))
    elif isinstance(services, dict):
        for name, body in services.items():
            if not isinstance(body, dict):
                diagnostics.append(error(f"service {name!r} must be a mapping",
                                         walker.positions.get(("services", name))))
    doc = RawDocument(path=path, format=FORMAT, data=data, text=text,
                      positions=walker.positions)
    return doc, diagnostics


def parse_compose_file(path: Path) -> tuple[RawDocument | None, list[Diagnostic]]:
    """Read and parse one Compose file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [error(f"cannot read compose file: {exc.strerror or exc}",
                            SourceRange(str(path)))]
    return parse_compose_text(text, path)


def load_compose_files(files: Sequence[Path]) -> tuple[list[RawDocument], list[Diagnostic]]:
    """Parse several Compose files (a base and its overrides), in order."""
    docs: list[RawDocument] = []
    diagnostics: list[Diagnostic] = []
    for path in files:
        doc, found = parse_compose_file(path)
        diagnostics += found
        if doc is not None:
            docs.append(doc)
    return docs, diagnostics


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value.split(" #", 1)[0].rstrip()


def parse_env_text(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines as Compose reads an env file (comments, ``export``, quotes)."""
    result: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export "):]
        key, _, value = line.partition("=")
        result[key.strip()] = _unquote(value)
    return result


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of an env file; empty when it does not exist."""
    try:
        return parse_env_text(path.read_text(encoding="utf-8"))
    except OSError:
        return {}


class ComposeDisk:
    """The Compose questions of :class:`reconciler.model.host.BuildHost`, answered from disk.

    :class:`reconciler.engine.local_host.LocalHost` inherits these; called directly (tests, tools),
    :mod:`reconciler.model.compose` falls back to one when given no host.
    """

    def resolve(self, path: Path) -> Path:
        """``path`` made absolute with symlinks resolved (what Compose's paths are keyed by)."""
        return path.resolve()

    def compose_files(self, directory: Path) -> list[Path]:
        return discover_compose_files(directory)

    def load_compose(self, paths: Sequence[Path]) -> tuple[list[RawDocument], list[Diagnostic]]:
        return load_compose_files(paths)

    def read_env(self, path: Path) -> dict[str, str]:
        return read_env_file(path)

    def file_exists(self, path: Path) -> bool:
        return path.is_file()


# -- interpolation and normalization of one service ----------------------------------------

_VAR = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}"
                  r"|([A-Za-z_][A-Za-z0-9_]*))")


def _substitute(text: str, env: Mapping[str, str], unset: set[str],
                failures: list[str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return "$"
        var = match.group(2) or match.group(5)
        op, arg = match.group(3), match.group(4) or ""
        value = env.get(var)
        present = value is not None and (value != "" or not (op or "").startswith(":"))
        if op in ("-", ":-"):
            return value if present and value is not None else arg
        if op in ("+", ":+"):
            return arg if present else ""
        if op in ("?", ":?"):
            if not present:
                failures.append(f"{var}: {arg or 'required variable is not set'}")
            return value or ""
        if value is None:
            unset.add(var)
        return value or ""
    return _VAR.sub(one, text)


def interpolate(value: object, env: Mapping[str, str], source: SourceRange | None,
                ) -> tuple[Any, list[Diagnostic]]:
    """``value`` with ``${VAR}``, ``${VAR:-default}``, ``${VAR:?err}``, ``$$`` substituted in
    every string (keys untouched), as Compose does; unset variables warn, ``?`` errors."""
    unset: set[str] = set()
    failures: list[str] = []

    def walk(node: object) -> object:
        if isinstance(node, str):
            return _substitute(node, env, unset, failures) if "$" in node else node
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result = walk(value)
    found = [warning(f"variable {var} is not set; defaulting to a blank string", source,
                     hint="set it in the environment or the env file")
             for var in sorted(unset)]
    found += [error(f"required variable missing: {text}", source) for text in failures]
    return result, found


def _scalar(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pairs(value: object) -> dict[str, str | None]:
    """``environment`` / ``labels`` in either form as a dict (``["A=1", "B"]`` or a mapping)."""
    if isinstance(value, dict):
        return {str(k): _scalar(v) for k, v in value.items()}
    result: dict[str, str | None] = {}
    for item in value if isinstance(value, list) else []:
        key, eq, text = str(item).partition("=")
        result[key] = text if eq else None
    return result


def _port(value: object) -> str:
    if not isinstance(value, dict):
        return str(value)
    text = str(value.get("target", ""))
    if value.get("published") not in (None, ""):
        text = f"{value['published']}:{text}"
    if value.get("host_ip"):
        text = f"{value['host_ip']}:{text}" if ":" in text else f"{value['host_ip']}::{text}"
    protocol = value.get("protocol")
    return f"{text}/{protocol}" if protocol and protocol != "tcp" else text


def normalize_service(body: Mapping[str, Any]) -> dict[str, object]:
    """One service's mapping in canonical form: environment/labels as dicts, ports/expose as
    strings, depends_on as ``{service: {condition: ...}}``, env_file as a list."""
    result = dict(body)
    for key in ("environment", "labels"):
        if key in result:
            result[key] = _pairs(result[key])
    for key in ("ports", "expose"):
        if isinstance(result.get(key), list):
            result[key] = [_port(p) for p in result[key]]
    if isinstance(result.get("env_file"), str):
        result["env_file"] = [result["env_file"]]
    depends = result.get("depends_on")
    if isinstance(depends, list):
        result["depends_on"] = {str(d): {"condition": "service_started"} for d in depends}
    elif isinstance(depends, dict):
        result["depends_on"] = {str(d): {"condition": "service_started",
                                         **(o if isinstance(o, dict) else {})}
                                for d, o in depends.items()}
    return result
