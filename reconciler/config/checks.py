"""Per-type key rules of services.yaml and locald.toml, applied after the schema check.

The schemas accept the union of every type's keys; these checks say which keys make sense
for a service's ``type`` (see :mod:`reconciler.config.rules`), which are required, which are
accepted with a warning (locald's ``domain``, ``build``, deprecated ``image`` on exec, ...),
and that names and stop signals are well-formed. Pure functions over a RawDocument.
"""

from __future__ import annotations

import re

from reconciler.config import rules
from reconciler.config.raw import RawDocument, as_list
from reconciler.errors import Diagnostic, error, warning

_NAME = re.compile(rules.NAME_PATTERN)


def _name_ok(doc: RawDocument, section: str, name: str) -> list[Diagnostic]:
    if _NAME.match(name):
        return []
    return [error(f"invalid {section[:-1]} name '{name}'", doc.where(section, name),
                  hint="use letters, digits, '_' and '-' (no dots: they separate references"
                       " like ${svc.port})")]


def _applies(users: list[str]) -> str:
    """The hint of a key outside its type's set: the types that take it, if any do."""
    if users:
        return "it applies to: " + ", ".join(users)
    return "no type of service takes it here; remove it"


def _signal(doc: RawDocument, path: tuple[str, ...], value: object) -> list[Diagnostic]:
    if not isinstance(value, str) or rules.normalize_signal(value) is not None:
        return []
    return [error(f"unknown stop signal '{value}'", doc.where(*path, "stop_signal"),
                  hint="one of: " + ", ".join(sorted(rules.SIGNALS)))]


def _required(doc: RawDocument, path: tuple[str, ...], body: dict[str, object], what: str,
              needed: tuple[tuple[str, ...], ...]) -> list[Diagnostic]:
    out = []
    for options in needed:
        if not any(body.get(k) not in (None, "", []) for k in options):
            keys = " or ".join(f"'{k}'" for k in options)
            out.append(error(f"{what} '{path[-1]}' needs {keys}", doc.where(*path)))
    return out


def _one_service(doc: RawDocument, section: str, name: str,
                 svc: dict[str, object]) -> list[Diagnostic]:
    path = (section, name)
    out: list[Diagnostic] = []
    target = svc.get("target")
    if isinstance(target, dict):
        body: dict[str, object] = target
        body_path: tuple[str, ...] = (*path, "target")
        kind = target.get("type")
        outer = svc.get("type")
        if outer is not None and kind is not None and outer != kind:
            out.append(error(f"'{name}' has type '{outer}' but its target has type '{kind}'",
                             doc.where(*path, "type"), hint="keep one 'type', in 'target'"))
        for key in sorted(set(svc) & rules.ALL_TARGET_KEYS - {"port", "stop_signal"}):
            out.append(error(f"'{key}' belongs inside 'target:' when 'target' is used",
                             doc.where(*path, key), hint=f"move '{key}' under target:"))
    else:
        body, body_path, kind = svc, path, svc.get("type") or "process"
    if not isinstance(kind, str) or kind not in rules.TARGET_KEYS:
        return out
    what = "task" if section == "tasks" else f"{kind} service"
    if section == "tasks" and kind not in rules.TASK_TYPES:
        out.append(error(f"task '{name}' cannot have type '{kind}'", doc.where(*path),
                         hint="tasks are process, docker or remote commands"))
        return out
    allowed = rules.TARGET_KEYS[kind]
    for key in sorted(set(body) & rules.ALL_TARGET_KEYS - allowed):
        users = sorted(t for t, keys in rules.TARGET_KEYS.items() if key in keys)
        out.append(error(f"key '{key}' does not apply to a {kind} service",
                         doc.where(*body_path, key), hint=_applies(users)))
    out += _required(doc, path, body, what, rules.TARGET_REQUIRED[kind])
    if kind in ("process", "remote"):
        if body.get("binary") and body.get("command"):
            out.append(error(f"'{name}' has both 'binary' and 'command'",
                             doc.where(*body_path, "command"),
                             hint="use 'binary' + 'args', or one 'command' shell string"))
        if body.get("command") is not None and not isinstance(body.get("command"), str):
            out.append(error(f"'{name}': 'command' of a {kind} service is a shell string",
                             doc.where(*body_path, "command"),
                             hint="for an argv list use 'binary' + 'args'"))
        if body.get("args") and not body.get("binary"):
            out.append(error(f"'{name}' has 'args' without 'binary'",
                             doc.where(*body_path, "args")))
    if section == "tasks" and svc.get("port") is not None:
        out.append(error(f"task '{name}' cannot have a port", doc.where(*path, "port")))
    for index, dep in enumerate(as_list(svc.get("dependencies"))):
        if isinstance(dep, dict) and len([k for k in ("service", "task") if dep.get(k)]) != 1:
            out.append(error("a dependency names exactly one 'service' or 'task'",
                             doc.where(*path, "dependencies", index)))
    out += _signal(doc, path, svc.get("stop_signal"))
    return out


def check_services(doc: RawDocument) -> list[Diagnostic]:
    """Per-type rules of a services.yaml document (whose data is a mapping)."""
    out: list[Diagnostic] = []
    for section in ("services", "tasks"):
        entries = doc.data.get(section)
        if not isinstance(entries, dict):
            continue
        for name, svc in entries.items():
            out += _name_ok(doc, section, name)
            if isinstance(svc, dict):
                out += _one_service(doc, section, name, svc)
    networks = doc.data.get("networks")
    for name, net in (networks.items() if isinstance(networks, dict) else []):
        if isinstance(net, dict) and net.get("type") in ("lan", "wireguard") and not net.get(
                "subnet"):
            out.append(error(f"{net['type']} network '{name}' needs 'subnet'",
                             doc.where("networks", name)))
    return out


def _locald_service(doc: RawDocument, name: str, svc: dict[str, object]) -> list[Diagnostic]:
    path = ("services", name)
    kind = svc.get("type", "exec")
    if not isinstance(kind, str) or kind not in rules.LOCALD_TYPE_KEYS:
        return []
    out: list[Diagnostic] = []
    for key in sorted(set(svc) - rules.LOCALD_TYPE_KEYS[kind] - {"type"}):
        users = sorted(t for t, keys in rules.LOCALD_TYPE_KEYS.items() if key in keys)
        out.append(error(f"key '{key}' does not apply to a locald '{kind}' service",
                         doc.where(*path, key), hint=_applies(users)))
    out += _required(doc, path, svc, f"locald '{kind}' service", rules.LOCALD_REQUIRED[kind])
    if kind == "exec" and svc.get("image"):
        out.append(warning(f"'{name}': 'image' on an exec service is deprecated, "
                           "it means a container", doc.where(*path, "image"),
                           hint='write type = "container" with image and container_port'))
    if kind == "exec" and svc.get("container_port") is not None and not svc.get("image"):
        out.append(error(f"'{name}': 'container_port' needs 'image'",
                         doc.where(*path, "container_port")))
    if "build" in svc:
        out.append(warning(f"'{name}': [services.{name}.build] is not supported yet and is "
                           "ignored", doc.where(*path, "build")))
    if kind == "site":
        out.append(warning(f"'{name}': type 'site' runs as a static HTTP server process "
                           "(python3 -m http.server)", doc.where(*path, "type")))
    check = svc.get("health_check")
    if isinstance(check, dict) and check.get("type") == "command" and not check.get("command"):
        out.append(error(f"'{name}': a command health check needs 'command'",
                         doc.where(*path, "health_check")))
    out += _signal(doc, path, svc.get("stop_signal"))
    return out


def check_locald(doc: RawDocument) -> list[Diagnostic]:
    """Per-type rules of a locald.toml document (whose data is a mapping)."""
    out: list[Diagnostic] = []
    project = doc.data.get("project")
    if isinstance(project, dict) and project.get("domain"):
        out.append(warning("'domain' is accepted but ignored: reconciler runs no local DNS "
                           "or proxy", doc.where("project", "domain"),
                           hint="services are reached on 127.0.0.1:$PORT"))
    services = doc.data.get("services")
    for name, svc in (services.items() if isinstance(services, dict) else []):
        out += _name_ok(doc, "services", name)
        if isinstance(svc, dict):
            out += _locald_service(doc, name, svc)
    return out
