"""Compose documents -> model Resources: one ``compose.<name>.<service>`` per Compose service.

Pure: the Compose files, the env file and the resolved paths come from the ``host`` it is
given (a :class:`~reconciler.model.host.ComposeHost`: model.build passes its BuildHost;
without one, :class:`~reconciler.config.compose_file.ComposeDisk` reads the disk). It
interpolates ``${VAR}`` the way Compose does, merges override files, drops services outside
the selected profiles, normalizes each service's definition (environment as a dict, ports as
strings, depends_on as a mapping), masks secret-looking environment values and turns
``depends_on`` and ``healthcheck`` into
:class:`~reconciler.model.types.Dependency` and :class:`~reconciler.model.types.HealthCheck`.
The definition shown in plans is an approximation of Compose's own merge; which service is
recreated is decided by Compose's ``config --hash`` at observe time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.actuators.compose.spec import ComposeFields
from reconciler.config.compose_file import ComposeDisk, interpolate, normalize_service
from reconciler.config.compose_types import check_service
from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, SourceRange, error, warning
from reconciler.model.secrets import DEFAULT_KEY, is_secret_name, marker
from reconciler.model.types import Address, Condition, Dependency, HealthCheck, ProbeKind, Resource

if TYPE_CHECKING:
    from reconciler.model.host import ComposeHost

KIND = "compose"
_CONDITIONS = {c.value: c for c in Condition}


_CONCATENATED = frozenset({"ports", "expose", "dns", "dns_search", "tmpfs", "external_links",
                           "env_file", "cap_add", "cap_drop", "extra_hosts"})


def _target(volume: object) -> str:
    if isinstance(volume, dict):
        return str(volume.get("target", ""))
    parts = str(volume).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def merge_service(base: Mapping[str, object], override: Mapping[str, object]) -> dict[str, object]:
    """An override file's service merged onto the base, by Compose's rules: mappings merge,
    ports-like lists concatenate, volumes merge by target path, everything else replaces."""
    result = dict(base)
    for key, value in override.items():
        old = result.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            result[key] = merge_service(old, value)
        elif key in _CONCATENATED and isinstance(old, list) and isinstance(value, list):
            result[key] = old + [v for v in value if v not in old]
        elif key == "volumes" and isinstance(old, list) and isinstance(value, list):
            by_target = {_target(v): v for v in old}
            by_target.update({_target(v): v for v in value})
            result[key] = list(by_target.values())
        else:
            result[key] = value
    return result


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(value: object, default: float) -> float:
    """A Compose duration (``1m30s``, ``500ms``, a number of seconds) in seconds."""
    if value is None or isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    parts = _DURATION.findall(str(value))
    if not parts:
        return default
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def safe_project_name(text: str) -> str:
    """``text`` made a valid Compose project name (v1 and v2): ``[a-z0-9][a-z0-9_-]*``."""
    return re.sub(r"[^a-z0-9_-]", "_", text.lower()).lstrip("_-") or "reconciler"


def project_name(scope: str, name: str) -> str:
    """The Compose project name for resource ``name`` in ``scope``: ``<scope>_<name>``."""
    return safe_project_name(f"{scope}_{name}")


def service_address(name: str, service: str) -> Address:
    return Address(KIND, f"{name}.{service}")


def _enabled(definition: Mapping[str, Any], profiles: Sequence[str]) -> bool:
    wanted = definition.get("profiles")
    if not wanted:
        return True
    return "*" in profiles or any(p in profiles for p in wanted)


def _health(definition: Mapping[str, object]) -> HealthCheck | None:
    check = definition.get("healthcheck")
    if not isinstance(check, Mapping) or check.get("disable") is True:
        return None
    test = check.get("test")
    if test is None or test == ["NONE"] or test == "NONE":
        return None
    return HealthCheck(ProbeKind.DOCKER, target=" ".join(map(str, test))
                       if isinstance(test, list) else str(test),
                       interval=seconds(check.get("interval"), 30.0),
                       timeout=seconds(check.get("timeout"), 30.0),
                       retries=int(check.get("retries", 3) or 3),
                       start_period=seconds(check.get("start_period"), 0.0))


def _mask_env(definition: Mapping[str, object], key: bytes) -> dict[str, str]:
    """Replace secret-looking environment values by markers; return the clear values."""
    secrets: dict[str, str] = {}
    env = definition.get("environment")
    if not isinstance(env, dict):
        return secrets
    for var, value in env.items():
        if value is not None and is_secret_name(var):
            secrets[f"definition.environment.{var}"] = str(value)
            env[var] = marker(str(value), key)
    return secrets


def _missing_env_files(doc: RawDocument, svc: str, body: Mapping[str, Any], base: Path,
                       host: ComposeHost) -> list[Diagnostic]:
    """An error per ``env_file`` of ``svc`` that does not exist (unless ``required: false``);
    relative paths are relative to the first Compose file's directory, as Compose reads them."""
    files = body.get("env_file")
    found: list[Diagnostic] = []
    for i, item in enumerate([files] if isinstance(files, str) else files or []):
        path, required = (item.get("path"), item.get("required", True)) \
            if isinstance(item, dict) else (item, True)
        if required in (False, "false") or not isinstance(path, str):
            continue
        if not host.file_exists(base / path):
            where = doc.where("services", svc, "env_file", *([] if isinstance(files, str)
                                                             else [i]))
            found.append(error(f"service {svc!r}: env file {path} not found", where,
                               hint="create it, fix the path (relative to "
                                    f"{base}), or write `{{path: {path}, required: false}}`"))
    return found


def _as_docs(doc: RawDocument | Sequence[RawDocument]) -> list[RawDocument]:
    return [doc] if isinstance(doc, RawDocument) else list(doc)


def compose_resources(doc: RawDocument | Sequence[RawDocument], *, project_dir: Path | str,
                      scope: str, name: str, files: Sequence[str], profiles: Sequence[str],
                      env_file: str | None, order_start: int,
                      environ: Mapping[str, str] | None = None,
                      project_name_override: str | None = None,
                      secret_key: bytes = DEFAULT_KEY, host: ComposeHost | None = None,
                      ) -> tuple[list[Resource], list[Diagnostic]]:
    """One Resource per enabled service of the (merged) Compose documents ``doc``."""
    host = host or ComposeDisk()
    docs = _as_docs(doc)
    base = Path(project_dir)
    abs_files = [str(host.resolve(base / f)) for f in files] or [str(d.path) for d in docs]
    env_path = (base / env_file) if env_file else Path(abs_files[0]).parent / ".env"
    variables = {**host.read_env(env_path), **(os.environ if environ is None else environ)}
    diagnostics: list[Diagnostic] = []
    merged: dict[str, dict[str, Any]] = {}
    where: dict[str, SourceRange] = {}
    declared: set[str] = set()  # "svc\0key" of every key written (kept or not)
    for d in docs:
        services = d.get("services")
        if not isinstance(services, Mapping):
            continue
        for svc, body in services.items():
            if not isinstance(body, Mapping):
                continue
            pos = d.where("services", svc)
            found, problems = interpolate(body, variables, pos)
            declared.update(f"{svc}\0{key}" for key in found)
            found, wrong = check_service(d, svc, found)
            diagnostics += problems + wrong
            diagnostics += _missing_env_files(d, svc, found, Path(abs_files[0]).parent, host)
            normal = normalize_service(found)
            merged[svc] = merge_service(merged[svc], normal) if svc in merged else normal
            where.setdefault(svc, pos)
            raw_deps = body.get("depends_on")
            for i, dep in enumerate(raw_deps if isinstance(raw_deps, list | dict) else []):
                key = i if isinstance(raw_deps, list) else dep
                where.setdefault(f"{svc}\0{dep}", d.where("services", svc, "depends_on", key))
    enabled = {s for s, body in merged.items() if _enabled(body, profiles)}
    project = project_name_override or project_name(scope, name)
    resources: list[Resource] = []
    for index, svc in enumerate(s for s in merged if s in enabled):
        definition = merged[svc]
        if not {f"{svc}\0image", f"{svc}\0build"} & declared:
            diagnostics.append(error(
                f"service {svc!r} has neither an image nor a build context", where[svc],
                hint="add `image:` or `build:` (an override file alone is not a project: "
                     "list the base file first)"))
        secrets = _mask_env(definition, secret_key)
        depends, problems = _dependencies(definition, name, svc, merged, enabled, where)
        diagnostics += problems
        spec: ComposeFields = {"project": project, "files": abs_files, "service": svc,
                               "profiles": list(profiles), "definition": definition}
        if env_file:
            spec["env_file"] = str(host.resolve(env_path))
        resources.append(Resource(address=service_address(name, svc), spec=spec,
                                  depends_on=depends, health=_health(definition),
                                  source=where[svc], secrets=secrets,
                                  order=order_start + index))
    if not merged:
        source = docs[0].where() if docs else SourceRange(abs_files[0] if abs_files else "")
        diagnostics.append(warning(f"compose resource {name!r} defines no services", source))
    return resources, diagnostics


def _dependencies(definition: Mapping[str, Any], name: str, svc: str,
                  merged: Mapping[str, Any], enabled: set[str],
                  where: Mapping[str, SourceRange],
                  ) -> tuple[tuple[Dependency, ...], list[Diagnostic]]:
    result: list[Dependency] = []
    problems: list[Diagnostic] = []
    address = str(service_address(name, svc))
    for dep, options in (definition.get("depends_on") or {}).items():
        source = where.get(f"{svc}\0{dep}", where[svc])
        condition_text = str((options or {}).get("condition", Condition.STARTED.value))
        condition = _CONDITIONS.get(condition_text)
        if condition is None:
            problems.append(error(f"service {svc!r}: unknown depends_on condition "
                                  f"{condition_text!r}", source, address=address,
                                  hint="use " + ", ".join(sorted(_CONDITIONS))))
            continue
        if dep not in merged:
            problems.append(error(f"service {svc!r} depends on undefined service {dep!r}",
                                  source, address=address))
            continue
        if dep not in enabled:  # Compose refuses this, unless the dependency is optional
            if (options or {}).get("required") not in (False, "false"):
                problems.append(error(f"service {svc!r} depends on {dep!r}, which no selected "
                                      "profile enables", source, address=address,
                                      hint=f"select a profile of {dep!r}, or write "
                                           f"`{dep}: {{condition: ..., required: false}}`"))
            continue
        result.append(Dependency(service_address(name, dep), condition, source))
    return tuple(result), problems


def discovered_compose_resources(docs: Sequence[RawDocument], *, project_dir: Path, scope: str,
                                 order_start: int, environ: Mapping[str, str] | None = None,
                                 secret_key: bytes = DEFAULT_KEY,
                                 host: ComposeHost | None = None,
                                 ) -> tuple[list[Resource], list[Diagnostic]]:
    """Resources of the auto-discovered Compose files among ``docs`` (resource name
    ``compose``), using only the base + override pair Compose itself would read."""
    host = host or ComposeDisk()
    wanted = {str(host.resolve(p)) for p in host.compose_files(project_dir)}
    chosen = [d for d in docs if d.format == "compose" and str(host.resolve(d.path)) in wanted]
    if not chosen:
        return [], []
    return compose_resources(chosen, project_dir=project_dir, scope=scope, name="compose",
                             files=[str(host.resolve(d.path)) for d in chosen], profiles=[],
                             env_file=None, order_start=order_start, environ=environ,
                             secret_key=secret_key, host=host)


def entry_compose_resources(name: str, entry: Mapping[str, Any], *, project_dir: Path,
                            scope: str, order_start: int, source: SourceRange | None = None,
                            environ: Mapping[str, str] | None = None,
                            secret_key: bytes = DEFAULT_KEY, host: ComposeHost | None = None,
                            ) -> tuple[list[Resource], list[Diagnostic]]:
    """Resources of a services.yaml ``type: compose`` entry (``files``, ``profiles``,
    ``env_file``, ``project_name``); reads the listed files through ``host``."""
    host = host or ComposeDisk()
    raw_files = entry.get("files") or []
    files = [raw_files] if isinstance(raw_files, str) else [str(f) for f in raw_files]
    paths = [(project_dir / f) for f in files] or host.compose_files(project_dir)
    if not paths:
        return [], [error(f"compose entry {name!r} lists no files and the project has no "
                          "compose.yaml", source, hint="add `files: [compose.yaml]`")]
    docs, diagnostics = host.load_compose(paths)
    if len(docs) != len(paths):
        return [], diagnostics
    raw_profiles = entry.get("profiles") or []
    profiles = [raw_profiles] if isinstance(raw_profiles, str) else [str(p) for p in raw_profiles]
    env_file = entry.get("env_file")
    override = entry.get("project_name")
    resources, more = compose_resources(
        docs, project_dir=project_dir, scope=scope, name=name,
        files=[str(host.resolve(p)) for p in paths], profiles=profiles,
        env_file=str(env_file) if env_file else None, order_start=order_start,
        environ=environ, secret_key=secret_key, host=host,
        project_name_override=safe_project_name(str(override)) if override else None)
    return resources, diagnostics + more
