"""vendetta ``.vendetta/config.yaml`` -> Drafts (pure).

Each ``services.<name>`` becomes:

- with ``docker: {image, ports, memory, cpu}``: a ``container`` (``cpu`` is ``cpus``,
  ``memory`` the memory limit; a ``port`` without ``ports`` publishes ``port:port``);
- with ``remote: {node, user, port}``: a ``process`` on the SSH host ``node`` (``user`` and
  ``port`` are the SSH login and port; :func:`vendetta_hosts` declares the host);
- with only a ``port`` (no ``command``, no ``docker``): an ``attached`` external endpoint,
  health-checked (TCP on the port unless it has a ``healthcheck``), depended on and
  referenced (``${web.port}``) but never started, stopped or replaced;
- else a local ``process`` running ``command`` (a string through ``/bin/sh -c``) in the
  project directory (the one holding ``.vendetta/``), with ``port`` as its fixed ``$PORT``.

``env`` and ``depends_on`` (names; the dependency waits for the target to be healthy) carry
over; ``healthcheck: {url}`` is an HTTP probe and ``{command}`` a command probe, with
``interval``/``timeout`` durations (``5s``) and ``retries``.
"""

from __future__ import annotations

import os

from reconciler.actuators.attached.spec import attached_spec
from reconciler.actuators.process.spec import process_spec
from reconciler.config.raw import RawDocument, as_dict, as_list
from reconciler.config.shape import duration_seconds
from reconciler.config.vendetta_yaml import is_endpoint
from reconciler.errors import Diagnostic
from reconciler.model.build_draft import (
    DEFAULT_SHUTDOWN_TIMEOUT,
    DEFAULT_STARTUP_TIMEOUT,
    DepDraft,
    Draft,
    HealthDraft,
    HealthTiming,
    argv,
    env_of,
    parse_ports,
    shell,
)
from reconciler.model.types import LOCAL_HOST, ProbeKind

_TIMING = {"stop_signal": "SIGTERM", "shutdown_timeout": DEFAULT_SHUTDOWN_TIMEOUT,
           "startup_timeout": DEFAULT_STARTUP_TIMEOUT}  # a container's (its signal: None)


def project_dir(doc: RawDocument) -> str:
    """The directory a vendetta project lives in: the parent of ``.vendetta/``."""
    return os.path.dirname(os.path.abspath(doc.path.parent))


def _seconds(value: object, default: float) -> float:
    found = duration_seconds(value)
    return default if found is None else found


def _health(raw: object) -> HealthDraft | None:
    if not isinstance(raw, dict):
        return None
    timing: HealthTiming = {"interval": _seconds(raw.get("interval"), 30.0),
                              "timeout": _seconds(raw.get("timeout"), 10.0)}
    retries = raw.get("retries")
    if isinstance(retries, int) and not isinstance(retries, bool):
        timing["retries"] = retries
    if isinstance(raw.get("url"), str) and raw["url"]:
        return HealthDraft(ProbeKind.HTTP, str(raw["url"]), **timing)
    command = raw.get("command")
    if isinstance(command, list) and command:
        import shlex

        return HealthDraft(ProbeKind.COMMAND, shlex.join(str(c) for c in command), **timing)
    if isinstance(command, str) and command.strip():
        return HealthDraft(ProbeKind.COMMAND, command, **timing)
    return None


def _command(raw: object) -> list[str]:
    return shell(raw) if isinstance(raw, str) else (argv(raw) or [])


def _service(doc: RawDocument, name: str, svc: dict[str, object],
             problems: list[Diagnostic]) -> Draft:
    draft = Draft(name, "process", doc, ("services", name), env_path=("env",))
    draft.env = env_of(svc.get("env"))
    draft.deps = [DepDraft(str(dep), None, draft.where("depends_on", index))
                  for index, dep in enumerate(as_list(svc.get("depends_on")))]
    port = svc.get("port")
    fixed = port if isinstance(port, int) and not isinstance(port, bool) else None
    docker = svc.get("docker")
    remote = svc.get("remote")
    if is_endpoint(svc):
        draft.kind = "attached"
        draft.port_request = fixed
        on_host = isinstance(remote, dict) and isinstance(remote.get("node"), str)
        draft.host = str(remote["node"]) if on_host and isinstance(remote, dict) else LOCAL_HOST
        draft.spec = dict(attached_spec("port", port=fixed))
    elif isinstance(docker, dict):
        draft.kind = "container"
        spot = Draft(name, "container", doc, ("services", name, "docker"))
        ports, bad = parse_ports(spot, docker.get("ports"))
        problems.extend(bad)
        if not ports and fixed is not None:
            ports = [{"host": fixed, "container": fixed, "host_ip": "127.0.0.1"}]
        draft.port_request = fixed
        spec: dict[str, object] = {"image": str(docker.get("image") or ""), "ports": ports,
                                "volumes": [], "command": argv(svc.get("command")),
                                "entrypoint": None, "restart": "no", "labels": {},
                                **_TIMING, "stop_signal": None}
        cpu = docker.get("cpu")
        if isinstance(cpu, int | float) and not isinstance(cpu, bool) and cpu > 0:
            spec["cpus"] = float(cpu)
        memory = docker.get("memory")
        if isinstance(memory, str) and memory.strip():
            spec["memory"] = memory.strip().lower()
        elif isinstance(memory, int) and not isinstance(memory, bool) and memory > 0:
            spec["memory"] = memory
        draft.spec = spec
    else:
        draft.port_request = fixed
        on_host = isinstance(remote, dict) and isinstance(remote.get("node"), str)
        draft.host = str(remote["node"]) if on_host and isinstance(remote, dict) else LOCAL_HOST
        draft.spec = dict(process_spec(_command(svc.get("command")),
                                       "~" if on_host else project_dir(doc),
                                       shutdown_timeout=DEFAULT_SHUTDOWN_TIMEOUT,
                                       startup_timeout=DEFAULT_STARTUP_TIMEOUT))
    draft.health = _health(svc.get("healthcheck"))
    return draft


def vendetta_drafts(doc: RawDocument) -> tuple[list[Draft], list[Diagnostic]]:
    """Every service of one ``.vendetta/config.yaml`` document."""
    problems: list[Diagnostic] = []
    drafts = [_service(doc, str(name), svc, problems)
              for name, svc in as_dict(as_dict(doc.data).get("services")).items()
              if isinstance(svc, dict)]
    return drafts, problems


def vendetta_hosts(doc: RawDocument) -> dict[str, dict[str, object]]:
    """The SSH hosts the ``remote:`` blocks name, in the ``hosts:`` form of services.yaml."""
    found: dict[str, dict[str, object]] = {}
    for svc in as_dict(as_dict(doc.data).get("services")).values():
        remote = svc.get("remote") if isinstance(svc, dict) else None
        if not isinstance(remote, dict) or not isinstance(remote.get("node"), str):
            continue
        entry: dict[str, object] = {"address": remote["node"]}
        if isinstance(remote.get("user"), str):
            entry["user"] = remote["user"]
        if isinstance(remote.get("port"), int) and not isinstance(remote["port"], bool):
            entry["port"] = remote["port"]
        found.setdefault(str(remote["node"]), entry)
    return found
