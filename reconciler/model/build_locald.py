"""locald.toml and Procfile -> Drafts.

locald: ``exec`` (default) and ``worker`` are processes (exec gets ``$PORT``, auto-assigned
when omitted), ``container`` and the deprecated exec + ``image`` are containers (locald has
no restart/limit keys; a container without ``stop_signal`` keeps its image's), ``postgres``
is a use of the catalog's postgres stack (a ``stack`` Draft that
:mod:`reconciler.model.build_stacks` expands; ``port``, ``version``, ``env`` and
``depends_on`` carry over), ``site`` is a static HTTP server process. Procfile: every line is a
shell-command process; ``web`` gets an auto port; the ``.env`` values are its environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.actuators.process.spec import process_spec
from reconciler.config.raw import RawDocument, as_list
from reconciler.config.rules import normalize_signal
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
    shell,
    volumes_of,
)
from reconciler.model.types import ProbeKind


def _health(draft: Draft, raw: object) -> HealthDraft | None:
    if isinstance(raw, str) and raw.strip():
        return HealthDraft(ProbeKind.COMMAND, raw)
    if not isinstance(raw, dict):
        return None
    timing: HealthTiming = {"interval": number(raw.get("interval"), 30.0),
              "timeout": number(raw.get("timeout"), 10.0),
              "retries": int(number(raw.get("retries"), 3))}
    port = str(raw["port"]) if raw.get("port") else "${" + draft.name + ".port}"
    kind = raw.get("type")
    if kind == "http":
        path = str(raw.get("path") or "/")
        path = path if path.startswith("/") else "/" + path
        return HealthDraft(ProbeKind.HTTP, f"http://127.0.0.1:{port}{path}", **timing)
    if kind == "tcp":
        return HealthDraft(ProbeKind.TCP, f"127.0.0.1:{port}", **timing)
    if kind == "command" and raw.get("command"):
        return HealthDraft(ProbeKind.COMMAND, str(raw["command"]), **timing)
    return None


def _signal(svc: Mapping[str, object]) -> str:
    return normalize_signal(str(svc.get("stop_signal") or "TERM")) or "SIGTERM"


def _process(command: list[str] | None, cwd: str, signal: str = "SIGTERM") -> dict[str, object]:
    return dict(process_spec(command, cwd, stop_signal=signal,
                             shutdown_timeout=DEFAULT_SHUTDOWN_TIMEOUT,
                             startup_timeout=DEFAULT_STARTUP_TIMEOUT))


def _locald_service(doc: RawDocument, name: str, svc: dict[str, Any]) -> Draft:
    kind = svc.get("type") or "exec"
    draft = Draft(name, "process", doc, ("services", name), env_path=("env",))
    draft.env = env_of(svc.get("env"))
    draft.deps = [DepDraft(str(dep), None, draft.where("depends_on", index))
                  for index, dep in enumerate(as_list(svc.get("depends_on")))]
    port = svc.get("port")
    fixed = port if isinstance(port, int) and not isinstance(port, bool) else None
    if kind == "postgres":
        draft.kind = "stack"
        draft.port_request = fixed or "auto"
        version = svc.get("version")
        draft.spec = {"stack": "postgres", "version": str(version) if version else None,
                      "port": None}
        return draft
    if kind == "container" or (kind == "exec" and svc.get("image")):
        draft.kind = "container"
        container_port = svc.get("container_port") or fixed
        draft.port_request = (fixed or "auto") if container_port else None
        ports = [{"host": fixed, "container": int(container_port), "host_ip": "127.0.0.1"}] \
            if container_port else []
        draft.spec = {"image": str(svc.get("image") or ""), "ports": ports,
                      "volumes": volumes_of(doc, svc.get("volumes")),
                      "command": argv(svc.get("command")), "entrypoint": None,
                      "restart": "no", "labels": {}, "stop_signal": _signal(svc),
                      "shutdown_timeout": DEFAULT_SHUTDOWN_TIMEOUT,
                      "startup_timeout": DEFAULT_STARTUP_TIMEOUT}
        if not svc.get("stop_signal"):
            draft.spec["stop_signal"] = None  # the image's STOPSIGNAL, as for type: docker
    elif kind == "site":
        draft.port_request = fixed or "auto"
        draft.spec = _process(["python3", "-m", "http.server", "${" + name + ".port}",
                               "--bind", "127.0.0.1", "--directory",
                               absolute(doc, str(svc.get("path") or "."))],
                              absolute(doc, None), _signal(svc))
    else:
        draft.port_request = fixed or ("auto" if kind == "exec" else None)
        command = svc.get("command")
        draft.spec = _process(shell(command) if isinstance(command, str) else argv(command),
                              absolute(doc, svc.get("workdir")), _signal(svc))
    draft.health = _health(draft, svc.get("health_check"))
    return draft


def locald_drafts(doc: RawDocument) -> list[Draft]:
    """Every service of one locald.toml document."""
    services = doc.data.get("services") if isinstance(doc.data, dict) else None
    return [_locald_service(doc, str(name), svc)
            for name, svc in (services.items() if isinstance(services, dict) else [])
            if isinstance(svc, dict) and svc.get("type", "exec") in (
                "exec", "worker", "container", "postgres", "site")]


def procfile_drafts(doc: RawDocument, dotenv: Mapping[str, str],
                    env: Mapping[str, str]) -> list[Draft]:
    """Every process of a Procfile; ``dotenv`` keys become its environment (env wins)."""
    processes = doc.data.get("processes") if isinstance(doc.data, dict) else None
    drafts = []
    for name, command in (processes.items() if isinstance(processes, dict) else []):
        draft = Draft(str(name), "process", doc, ("processes", str(name)), interpolate=False)
        draft.env = {k: (env.get(k, v), False) for k, v in dotenv.items()}
        draft.port_request = "auto" if name == "web" else None
        draft.spec = _process(shell(str(command)), absolute(doc, None))
        drafts.append(draft)
    return drafts
