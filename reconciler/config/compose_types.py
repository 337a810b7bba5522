"""The types of a Compose service, checked the way ``docker compose config`` checks them.

Owns a compact description of the Compose specification's service keys (what each key may
hold: ``ports`` a list of strings, numbers or long-form mappings, ``environment`` a mapping of
scalars or a list of ``KEY=value`` strings, ``healthcheck`` a mapping with an integer
``retries``...) and :func:`check_service`, which checks one service's body *after*
interpolation, as Compose does, and reports every problem at the position of the offending
value in the raw document with a hint. Keys with a problem are dropped from the body it
returns, so the model never meets a shape it does not expect. Also checks what Compose refuses
beyond the schema: an integer field empty after interpolation and a volume whose source (or
another part) is empty. Pure: no I/O (a missing ``env_file`` is checked by the model, through
its host).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping

from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, error

# A type is a function from a value (and its path below the service) to the problems found:
# (path, what was expected).
Problem = tuple[tuple[str | int, ...], str]
Type = Callable[[object, tuple[str | int, ...]], list[Problem]]

_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
          dict: "a mapping", list: "a list", type(None): "null"}


def _name(value: object) -> str:
    return _NAMES.get(type(value), type(value).__name__)


def _scalar(kind: str) -> Type:
    def ok(value: object) -> bool:
        if kind == "str":
            return isinstance(value, str)
        if kind == "int":
            return (isinstance(value, int) and not isinstance(value, bool)) or (
                isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value) is not None)
        if kind == "num":
            return isinstance(value, int | float | str) and not isinstance(value, bool)
        if kind == "bool":
            return isinstance(value, bool | str)
        if kind == "scalar":
            return value is None or isinstance(value, str | int | float | bool)
        return value is None  # "null"

    wanted = {"str": "a string", "int": "an integer", "num": "a number or a string",
              "bool": "a boolean", "scalar": "a string, number, boolean or null",
              "null": "null"}[kind]
    return lambda value, path: [] if ok(value) else [(path, wanted)]


STR, INT, NUM, BOOL, SCALAR, NULL = (_scalar(k) for k in
                                     ("str", "int", "num", "bool", "scalar", "null"))


def _any(value: object, path: tuple[str | int, ...]) -> list[Problem]:
    return []


def one_of(*types: Type, wanted: str) -> Type:
    """The first type without problems; else the problems of the one matching the value's
    shape (a mapping for a mapping type...), else ``wanted``."""
    def check(value: object, path: tuple[str | int, ...]) -> list[Problem]:
        results = [t(value, path) for t in types]
        if any(not r for r in results):
            return []
        deeper = [r for r in results if all(len(p) > len(path) for p, _ in r)]
        return deeper[0] if deeper else [(path, wanted)]
    return check


def list_of(item: Type) -> Type:
    def check(value: object, path: tuple[str | int, ...]) -> list[Problem]:
        if not isinstance(value, list):
            return [(path, "a list")]
        return [p for i, v in enumerate(value) for p in item(v, (*path, i))]
    return check


def map_of(item: Type) -> Type:
    def check(value: object, path: tuple[str | int, ...]) -> list[Problem]:
        if not isinstance(value, dict):
            return [(path, "a mapping")]
        return [p for k, v in value.items() for p in item(v, (*path, k))]
    return check


def obj(props: Mapping[str, Type], required: tuple[str, ...] = (), *, open_: bool = False,
        ) -> Type:
    def check(value: object, path: tuple[str | int, ...]) -> list[Problem]:
        if not isinstance(value, dict):
            return [(path, "a mapping")]
        found = [((*path, k), "present (it is required)") for k in required if k not in value]
        for key, item in value.items():
            if key in props:
                found += props[key](item, (*path, key))
            elif not open_ and not str(key).startswith("x-"):
                found.append(((*path, key), "one of the keys " + ", ".join(sorted(props))))
        return found
    return check


STRINGS = list_of(STR)
STR_OR_LIST = one_of(STR, STRINGS, wanted="a string or a list of strings")
COMMAND = one_of(NULL, STR, STRINGS, wanted="a string or a list of strings")
LIST_OR_DICT = one_of(map_of(SCALAR), STRINGS,
                      wanted="a mapping (`KEY: value`) or a list of `KEY=value` strings")
ANY_MAP = map_of(_any)
SERVICE_TYPES: dict[str, Type] = {
    "image": STR, "build": one_of(STR, ANY_MAP, wanted="a path or a mapping"),
    "command": COMMAND, "entrypoint": COMMAND,
    "environment": LIST_OR_DICT, "labels": LIST_OR_DICT, "annotations": LIST_OR_DICT,
    "sysctls": LIST_OR_DICT, "extra_hosts": LIST_OR_DICT,
    "env_file": one_of(STR, list_of(one_of(
        STR, obj({"path": STR, "required": BOOL, "format": STR}, ("path",)),
        wanted="a path or a mapping with `path`")), wanted="a path or a list of paths"),
    "ports": list_of(one_of(NUM, obj({
        "target": INT, "published": one_of(STR, INT, wanted="a string or an integer"),
        "host_ip": STR, "protocol": STR, "mode": STR, "name": STR, "app_protocol": STR},
        ("target",)), wanted="a string, a number or a mapping with `target`")),
    "expose": list_of(NUM),
    "volumes": list_of(one_of(STR, obj({"type": STR, "source": STR, "target": STR,
                                        "read_only": BOOL, "consistency": STR},
                                       ("type",), open_=True),
                              wanted="a string or a mapping with `type`")),
    "depends_on": one_of(STRINGS, map_of(obj({"condition": STR, "restart": BOOL,
                                              "required": BOOL}, ("condition",))),
                         wanted="a list of service names or a mapping of them"),
    "healthcheck": obj({"test": STR_OR_LIST, "interval": STR, "timeout": STR,
                        "start_period": STR, "start_interval": STR, "retries": INT,
                        "disable": BOOL}),
    "networks": one_of(STRINGS, map_of(one_of(NULL, ANY_MAP, wanted="a mapping or null")),
                       wanted="a list of network names or a mapping of them"),
    "profiles": STRINGS, "deploy": one_of(NULL, ANY_MAP, wanted="a mapping"),
    "dns": STR_OR_LIST, "dns_search": STR_OR_LIST, "tmpfs": STR_OR_LIST,
    "cap_add": STRINGS, "cap_drop": STRINGS, "security_opt": STRINGS, "links": STRINGS,
    "external_links": STRINGS, "volumes_from": STRINGS, "dns_opt": STRINGS,
    "logging": ANY_MAP, "secrets": list_of(one_of(STR, ANY_MAP, wanted="a name or a mapping")),
    "configs": list_of(one_of(STR, ANY_MAP, wanted="a name or a mapping")),
    **{key: STR for key in (
        "restart", "user", "working_dir", "container_name", "hostname", "domainname",
        "platform", "pull_policy", "stop_signal", "stop_grace_period", "network_mode", "ipc",
        "pid", "runtime", "cgroup", "cgroup_parent", "mac_address", "userns_mode", "uts",
        "isolation", "shm_size")},
    **{key: BOOL for key in ("init", "privileged", "read_only", "stdin_open", "tty",
                             "oom_kill_disable", "use_api_socket")},
    **{key: NUM for key in ("cpus", "cpu_shares", "cpu_quota", "cpu_period", "cpu_count",
                            "cpu_percent", "mem_limit", "mem_reservation", "memswap_limit",
                            "pids_limit", "scale", "oom_score_adj", "mem_swappiness")},
    **{key: _any for key in (
        "attach", "blkio_config", "cpu_rt_period", "cpu_rt_runtime", "cpuset",
        "credential_spec", "develop", "device_cgroup_rules", "devices", "extends", "gpus",
        "group_add", "label_file", "models", "post_start", "pre_stop", "provider",
        "pull_refresh_after", "storage_opt", "ulimits")},
}

HINTS = {
    "ports": 'a list, for example `ports: ["8080:80"]`',
    "expose": 'a list, for example `expose: ["80"]`',
    "environment": "a mapping (`KEY: value`) or a list of `KEY=value` strings",
    "labels": "a mapping (`key: value`) or a list of `key=value` strings",
    "depends_on": "a list of service names (`depends_on: [db]`) or a mapping "
                  "(`db: {condition: service_healthy}`)",
    "healthcheck": "a mapping: `test`, `interval`, `timeout`, `retries`, `start_period`",
    "volumes": 'a list, for example `volumes: ["./data:/data"]`',
    "env_file": "a path or a list of paths",
}


def _text(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def _was_interpolated(doc: RawDocument, name: str, path: tuple[str | int, ...]) -> bool:
    raw = doc.get("services", name, *path)
    return isinstance(raw, str) and "$" in raw


def _volume_problems(volumes: object) -> list[Problem]:
    found: list[Problem] = []
    for i, volume in enumerate(volumes if isinstance(volumes, list) else []):
        if isinstance(volume, str) and (volume.startswith(":") or "::" in volume
                                        or volume.endswith(":")):
            found.append((("volumes", i), "non-empty on both sides of every `:` "
                          f"(got {volume!r}: empty section between colons)"))
    return found


def check_service(doc: RawDocument, name: str, body: Mapping[str, object],
                  ) -> tuple[dict[str, object], list[Diagnostic]]:
    """Service ``name`` of ``doc`` (``body`` already interpolated) against the Compose
    types: the body without the keys that have problems, and a diagnostic per problem."""
    problems: list[Problem] = []
    for key, value in body.items():
        key_type = SERVICE_TYPES.get(str(key))
        if key_type is not None:
            problems += key_type(value, (str(key),))
        elif not str(key).startswith("x-"):
            problems.append(((str(key),), "unknown"))
    problems += _volume_problems(body.get("volumes"))
    diagnostics: list[Diagnostic] = []
    bad: set[str] = set()
    for path, wanted in problems:
        key = str(path[0])
        bad.add(key)
        where = doc.where("services", name, *path)
        field = f"services.{name}.{_text(path)}"
        if wanted == "unknown":
            close = difflib.get_close_matches(key, list(SERVICE_TYPES), 1)
            diagnostics.append(error(
                f"unknown Compose service key {field!r}", where,
                hint=f"did you mean {close[0]!r}?" if close else
                "see the Compose specification for the keys of a service"))
            continue
        hint = HINTS.get(key, "") if len(path) == 1 else ""
        if path[-1] == "condition":
            hint = "add `condition: service_started` (or service_healthy, " \
                   "service_completed_successfully)"
        hint = hint or f"see the Compose specification for `{_text(path)}`"
        if _was_interpolated(doc, name, path):
            hint = "its ${VARIABLE} is unset or empty here: set it, or give a default " \
                   "(`${VAR:-value}`)"
        value_name = _name(_at(body, path))
        diagnostics.append(error(f"{field} must be {wanted}, not {value_name}"
                                 if not wanted.startswith(("present", "non-empty", "one of"))
                                 else f"{field} must be {wanted}", where, hint=hint))
    return {k: v for k, v in body.items() if str(k) not in bad}, diagnostics


def _at(node: object, path: tuple[str | int, ...]) -> object:
    for step in path:
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return None
    return node
