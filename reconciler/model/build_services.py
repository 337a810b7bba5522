"""services.yaml -> Drafts: both harness shapes, tasks, ``uses:`` stacks and our extensions.

Flat services (``type: process|docker|remote|package|compose`` with their keys inline) and
nested ones (``target: {type: ...}``) read the same way. A ``type: compose`` entry becomes a
``compose`` Draft holding ``files``/``profiles``/``env_file``/``project_name``, which
``build_compose`` expands into one resource per Compose service. ``dependencies`` (names or
``{service|task: x}``) and ``depends_on`` (a list, or name -> ``{condition}``) both become
dependencies. ``type: docker`` keys (``restart``, ``init``, ``cpus``, ``memory``, ``pull``,
``networks``) go into the container spec through :func:`docker_options`. A ``type: package``
service is built by its kind's own builder (``Kind.builder``), as ``docker-attach``,
``process-attach``, ``file`` and ``image`` are (see :mod:`reconciler.model.kind_hooks`).
"""

from __future__ import annotations

import shlex
from typing import Any

from reconciler.actuators.container.spec import PortMapping
from reconciler.actuators.process.spec import process_spec
from reconciler.config.raw import RawDocument, as_dict, as_list
from reconciler.config.rules import normalize_signal
from reconciler.errors import Diagnostic, SourceRange, error, warning
from reconciler.model.build_draft import (
    DEFAULT_SHUTDOWN_TIMEOUT,
    DEFAULT_STARTUP_TIMEOUT,
    DepDraft,
    Draft,
    HealthDraft,
    HealthTiming,
    absolute,
    argv,
    env_of,
    number,
    parse_ports,
    shell,
    stringify,
    volumes_of,
)
from reconciler.model.build_swarm import (
    SWARM_KIND,
    clusters_of,
    misplaced_swarm_keys,
    swarm_spec,
)
from reconciler.model.host import BuildHost
from reconciler.model.kind_hooks import Build, builder
from reconciler.model.sops_refs import SopsProblem, SopsRef, resolve_file
from reconciler.model.types import LOCAL_HOST, Condition, ProbeKind

COMPOSE_KEYS = ("files", "profiles", "env_file", "project_name", "cluster")
# Common service keys that mean nothing for a whole Compose file (warned, then ignored).
COMPOSE_IGNORED = frozenset({"env", "health_check", "startup_timeout", "shutdown_timeout",
                             "network", "labels", "protect"})


def _deps(draft: Draft, svc: dict[str, object]) -> list[DepDraft]:
    out: list[DepDraft] = []
    for index, dep in enumerate(as_list(svc.get("dependencies"))):
        name = dep if isinstance(dep, str) else (dep.get("service") or dep.get("task")
                                                 if isinstance(dep, dict) else None)
        if isinstance(name, str):
            out.append(DepDraft(name, None, draft.where("dependencies", index)))
    depends_on = svc.get("depends_on")
    if isinstance(depends_on, list):
        for index, name in enumerate(depends_on):
            out.append(DepDraft(str(name), None, draft.where("depends_on", index)))
    elif isinstance(depends_on, dict):
        for name, body in depends_on.items():
            cond = body.get("condition") if isinstance(body, dict) else None
            condition = Condition(str(cond)) if cond in Condition._value2member_map_ else None
            out.append(DepDraft(str(name), condition, draft.where("depends_on", name)))
    return out


def docker_options(raw: dict[str, object]) -> dict[str, object]:
    """The docker keys ``restart``, ``init``, ``cpus``, ``memory``, ``pull``, ``networks``
    as container spec fields. Only ``restart`` is always there; the others are left out at
    their default, so the spec hash of a container that does not use them stays the same."""
    out: dict[str, object] = {"restart": str(raw.get("restart") or "no")}
    if raw.get("init") is True:
        out["init"] = True
    cpus = raw.get("cpus")
    if isinstance(cpus, int | float) and not isinstance(cpus, bool) and cpus > 0:
        out["cpus"] = float(cpus)
    memory = raw.get("memory")
    if isinstance(memory, str) and memory.strip():
        out["memory"] = memory.strip().lower()
    elif isinstance(memory, int) and not isinstance(memory, bool) and memory > 0:
        out["memory"] = memory
    if raw.get("pull") in ("always", "never"):
        out["pull"] = str(raw["pull"])
    networks = sorted({str(n) for n in as_list(raw.get("networks")) if n})
    if networks:
        out["networks"] = networks
    return out


def _health(draft: Draft, raw: object, settings: dict[str, object],
            ports: list[PortMapping]) -> HealthDraft | None:
    if not isinstance(raw, dict):
        return None
    interval = number(raw.get("interval"), number(settings.get("health_check_interval"), 30.0))
    timing: HealthTiming = {"interval": interval, "timeout": number(raw.get("timeout"), 10.0),
              "retries": int(number(raw.get("retries"), 3)),
              "start_period": number(raw.get("start_period"), 0.0)}
    if raw.get("http"):
        return HealthDraft(ProbeKind.HTTP, str(raw["http"]), **timing)
    tcp = raw.get("tcp")
    if isinstance(tcp, dict) and tcp.get("port") is not None:
        port = stringify(tcp["port"])
        published = [m["host"] for m in ports if str(m["container"]) == port and m["host"]]
        if published:
            port = str(published[0])
        elif ports and draft.port_request is not None and str(ports[0]["container"]) == port:
            port = "${" + draft.name + ".port}"
        if tcp.get("timeout") is not None:
            timing["timeout"] = number(tcp.get("timeout"), 10.0)
        return HealthDraft(ProbeKind.TCP, f"127.0.0.1:{port}", **timing)
    if raw.get("command"):
        line = shlex.join([str(raw["command"]), *(stringify(a) for a in as_list(raw.get("args")))])
        return HealthDraft(ProbeKind.COMMAND, line, **timing)
    return None


def _sops_env_file(draft: Draft, env_file: str, nested: bool, problems: list[Diagnostic],
                   host: BuildHost) -> None:
    """Each variable of an encrypted dotenv ``env_file`` as a secret SOPS reference (the
    service's own ``env`` wins); its names are read without decrypting."""
    where = draft.where(*(("target",) if nested else ()), "env_file")
    try:
        names = host.sops_keys(resolve_file(draft.doc, env_file))
    except SopsProblem as exc:
        problems.append(error(f"env_file of '{draft.name}': {exc}", where, hint=exc.hint))
        return
    for name in sorted(names):
        draft.env.setdefault(name, (SopsRef(env_file, name), True))


def _service(doc: RawDocument, section: str, name: str, svc: dict[str, Any],
             settings: dict[str, Any], problems: list[Diagnostic], host: BuildHost,
             clusters: dict[str, dict[str, Any]]) -> Draft:
    target: dict[str, Any] = svc["target"] if isinstance(svc.get("target"), dict) else svc
    kind = str(target.get("type") or svc.get("type") or "process")
    nested_env = target is not svc and isinstance(target.get("env"), dict)
    draft = Draft(name, "process", doc, (section, name),
                  env_path=("target", "env") if nested_env else ("env",))
    draft.labels = {str(k): str(v) for k, v in as_dict(svc.get("labels")).items()}
    for role in ("service_type", "task_type"):  # the daemon shape's roles, kept as labels
        if isinstance(svc.get(role), str):
            draft.labels.setdefault(role, str(svc[role]))
    if isinstance(svc.get("name"), str):  # the daemon shape's display name
        draft.labels.setdefault("display_name", str(svc["name"]))
    if section == "tasks" and svc.get("config"):
        problems.append(warning(f"'config' of task '{name}' is the harness task's own "
                                "settings and is not read by reconciler", draft.where("config")))
    draft.protect = bool(svc.get("protect"))
    adopt = target.get("adopt")
    if isinstance(adopt, dict) and isinstance(adopt.get("id"), str | int):
        draft.adopt = str(adopt["id"])
    draft.env = env_of({**as_dict(svc.get("env")),
                        **(as_dict(target.get("env")) if nested_env else {})})
    if kind != "compose" and isinstance(target.get("env_file"), str):
        _sops_env_file(draft, str(target["env_file"]), target is not svc, problems, host)
    draft.deps = _deps(draft, svc)
    port = svc.get("port", target.get("port"))
    draft.port_request = port if isinstance(port, int | str) else None
    startup = number(svc.get("startup_timeout"),
                     number(settings.get("startup_timeout"), DEFAULT_STARTUP_TIMEOUT))
    shutdown = number(svc.get("shutdown_timeout"),
                      number(settings.get("shutdown_timeout"), DEFAULT_SHUTDOWN_TIMEOUT))
    signal = normalize_signal(str(svc.get("stop_signal") or target.get("stop_signal") or "TERM"))
    timing = {"stop_signal": signal or "SIGTERM", "shutdown_timeout": shutdown,
              "startup_timeout": startup}
    ports: list[PortMapping] = []
    if kind == "docker" and target.get("cluster") is not None:
        draft.kind = SWARM_KIND
        draft.spec = {**swarm_spec(draft, section, target, clusters, problems,
                                         svc.get("health_check")),
                      "startup_timeout": startup}
    elif kind == "docker":
        problems.extend(misplaced_swarm_keys(draft, target))
        draft.kind = "task" if section == "tasks" else "container"
        draft.host = str(target.get("host") or LOCAL_HOST)
        if section == "tasks" and draft.host != LOCAL_HOST:
            problems.append(error(f"docker task '{name}' cannot run on host {draft.host}",
                                  draft.where("host"),
                                  hint="make it a process task with `host:`, or a service"))
        ports, bad = parse_ports(draft, target.get("ports"))
        problems.extend(bad)
        draft.spec = {"image": str(target.get("image") or ""), "ports": ports,
                      "volumes": volumes_of(doc, target.get("volumes")),
                      "command": argv(target.get("command")),
                      "entrypoint": argv(target.get("entrypoint")),
                      **docker_options(target), "labels": dict(draft.labels), **timing}
        if not (svc.get("stop_signal") or target.get("stop_signal")):
            draft.spec["stop_signal"] = None  # the image's STOPSIGNAL (SIGTERM without one)
        if section == "tasks":
            draft.spec["kind"] = "container"
    elif kind == "compose":
        draft.kind = "compose"
        draft.spec = {key: target[key] for key in COMPOSE_KEYS if target.get(key) is not None}
        problems.extend(warning(f"'{key}' does not apply to compose entry '{name}' and is "
                                "ignored", draft.where(key),
                                hint="set it on the services in the Compose file")
                        for key in sorted(COMPOSE_IGNORED & set(svc)))
        return draft
    elif (built := builder(kind)) is not None:  # a kind's own builder (Kind.builder)
        entry = {**target, **{k: v for k, v in svc.items() if k != "target"}, "type": kind}
        _built(draft, entry, built, problems, host)
    else:
        draft.kind = "task" if section == "tasks" else "process"
        draft.host = str(target.get("host") or LOCAL_HOST)  # any process may name a host
        if target.get("binary"):
            command = [str(target["binary"]), *(stringify(a) for a in as_list(target.get("args")))]
        else:
            command = shell(str(target.get("command") or ""))
        workdir = target.get("working_dir")
        remote = kind == "remote" or draft.host != LOCAL_HOST
        cwd = str(workdir or "~") if remote else absolute(doc, workdir)
        draft.spec = dict(process_spec(
            command, cwd, user=str(target["user"]) if target.get("user") else None,
            stop_signal=signal or "SIGTERM", shutdown_timeout=shutdown,
            startup_timeout=startup))
    draft.health = _health(draft, svc.get("health_check"), settings, ports)
    return draft


def _built(draft: Draft, entry: dict[str, object], built: tuple[str, Build],
           problems: list[Diagnostic], host: BuildHost) -> None:
    """Make ``draft`` the resource a kind's builder builds from ``entry`` (the target's keys
    and the service's, which win, with the resolved ``type``), on the entry's ``host`` (this
    machine by default); ``fact`` asks the host for what the builder needs. A problem is
    placed at a key of the entry, or at ``(file, line, column)`` in a file the builder read."""
    draft.kind, build = built
    draft.host = str(entry.get("host") or LOCAL_HOST)
    kind = draft.kind

    def fact(name: str, *args: str) -> object:
        return host.fact(kind, name, *args)

    spec, found = build(entry, absolute(draft.doc, None), fact)
    draft.spec = dict(spec)
    problems.extend(error(f"{kind} '{draft.name}': {message}",
                          draft.where(key) if isinstance(key, str) else SourceRange(*key),
                          hint=hint, address=str(draft.address))
                    for key, message, hint in found)


def services_drafts(doc: RawDocument, host: BuildHost) -> tuple[list[Draft], list[Diagnostic]]:
    """Every service, task and ``uses:`` stack of one services.yaml document; ``host``
    answers what the builders ask (stacks, Compose and env files, kinds' facts)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    settings: dict[str, Any] = data["settings"] if isinstance(data.get("settings"), dict) else {}
    clusters = clusters_of(data)
    drafts: list[Draft] = []
    problems: list[Diagnostic] = []
    for index, use in enumerate(as_list(data.get("uses"))):
        stack = use if isinstance(use, str) else (use.get("stack") if isinstance(use, dict)
                                                   else None)
        if not isinstance(stack, str):
            continue
        name = str(use.get("name") or stack) if isinstance(use, dict) else stack
        version = use.get("version") if isinstance(use, dict) else None
        draft = Draft(name, "stack", doc, ("uses", index), port_request="auto")
        draft.spec = {"stack": stack, "version": stringify(version) if version else None,
                      "port": None}
        drafts.append(draft)
    for section in ("tasks", "services"):
        entries = data.get(section)
        for name, svc in (entries.items() if isinstance(entries, dict) else []):
            if isinstance(svc, dict):
                drafts.append(_service(doc, section, str(name), svc, settings, problems,
                                       host, clusters))
    return drafts, problems
