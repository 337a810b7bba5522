"""Pure translation between the Docker engine's container data and our vocabulary.

Owns both directions, with no I/O and no docker import, so it is tested on captured JSON
(tests/actuators/container/fixtures) without an engine:

* :func:`observed_from_list` — one entry of the low-level ``containers(all=True)`` list
  (``docker ps -a`` data: State, Status, Labels, Ports) -> :class:`Observed`;
* :func:`parse_status_text` — exit code and health from a Status string such as
  ``"Exited (3) 2 minutes ago"`` or ``"Up 5 seconds (healthy)"``;
* :func:`health_from_inspect` / :func:`oom_killed` — the few facts only ``inspect`` has;
* :func:`create_kwargs` — a container Resource's spec -> ``containers.create`` arguments
  (labels, ports on 127.0.0.1, named volumes scoped per project, healthcheck, restart
  policy, init, cpu/memory limits, stop signal).

The ownership labels every managed object carries are defined here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from reconciler.actuators.container.spec import ContainerSpec, ObservedPort
from reconciler.model.changes import Health, HealthStatus, Observed, Status
from reconciler.model.types import Address, HealthCheckJSON
from reconciler.transports.docker.client import ContainerInfo, ContainerSummary, PortSummary

LABEL_PROJECT = "io.reconciler.project"
LABEL_SCOPE = "io.reconciler.scope"
LABEL_ADDRESS = "io.reconciler.address"
LABEL_SPEC_HASH = "io.reconciler.spec-hash"
LABEL_VOLUME = "io.reconciler.volume"
LABEL_STATE_ID = "io.reconciler.state-id"    # the id of the state that made the object
LABEL_STATE_DIR = "io.reconciler.state-dir"  # that state's local directory (to name it)

_EXITED = re.compile(r"^Exited \((-?\d+)\)")
_RESTARTING = re.compile(r"^Restarting \((-?\d+)\)")
_HEALTH = re.compile(r"\((healthy|unhealthy|health: starting)\)\s*$")

_HEALTH_WORDS: Mapping[str, HealthStatus] = {
    "healthy": HealthStatus.HEALTHY,
    "unhealthy": HealthStatus.UNHEALTHY,
    "health: starting": HealthStatus.STARTING,
    "starting": HealthStatus.STARTING,
}


def scope_filter(scope: str) -> dict[str, str]:
    """The label filter that selects every container (or volume) owned by ``scope``."""
    return {"label": f"{LABEL_SCOPE}={scope}"}


def parse_status_text(text: str) -> tuple[int | None, HealthStatus | None]:
    """Exit code (for Exited/Restarting) and engine health (when the container has a
    HEALTHCHECK) from a list entry's human Status string."""
    code: int | None = None
    match = _EXITED.match(text) or _RESTARTING.match(text)
    if match:
        code = int(match.group(1))
    health_match = _HEALTH.search(text)
    health = _HEALTH_WORDS[health_match.group(1)] if health_match else None
    return code, health


def container_name(entry: ContainerSummary) -> str:
    """The container's name without the leading slash the list API puts on it."""
    names: Sequence[str] = entry.get("Names") or ()
    return names[0].lstrip("/") if names else str(entry.get("Id", ""))[:12]


def parse_ports(raw: Sequence[PortSummary] | None) -> list[ObservedPort]:
    """List-API port entries -> sorted ``[{container, proto, host, host_ip}]``; the IPv6
    duplicate the engine adds for a 0.0.0.0 binding is dropped."""
    seen: dict[tuple[int, str, int | None], ObservedPort] = {}
    for port in raw or ():
        container = int(port["PrivatePort"])
        proto = str(port.get("Type", "tcp"))
        host = int(port["PublicPort"]) if port.get("PublicPort") else None
        key = (container, proto, host)
        if key in seen and seen[key]["host_ip"] in ("0.0.0.0", "127.0.0.1"):
            continue
        seen[key] = {"container": container, "proto": proto, "host": host,
                     "host_ip": str(port["IP"]) if port.get("IP") else None}
    return [seen[k] for k in sorted(seen, key=lambda k: (k[0], k[1], k[2] or 0))]


def _status_and_reason(state: str, exit_code: int | None,
                       oom: bool) -> tuple[Status, str]:
    if state == "running":
        return Status.RUNNING, ""
    if state == "exited":
        reason = f"exited {exit_code}" if exit_code is not None else "exited"
        return Status.EXITED, f"{reason} (OOM killed)" if oom else reason
    if state == "restarting":
        return Status.EXITED, f"restarting after exit {exit_code}" if exit_code is not None \
            else "restarting"
    if state == "created":
        return Status.EXITED, "created but never started"
    return Status.EXITED, state or "unknown state"


def observed_from_list(entry: ContainerSummary,
                       recorded: Mapping[Address, Mapping[str, object]] | None = None,
                       *, oom: bool = False, imported: Address | None = None) -> Observed | None:
    """One list entry -> Observed; None when the container carries no valid address label
    (not ours). ``recorded`` tells adopted objects from objects state knows; ``oom`` comes
    from an inspect; ``imported``: the address of an imported container (by recorded id)."""
    labels: Mapping[str, str] = entry.get("Labels") or {}
    try:
        address = imported or Address.parse(labels.get(LABEL_ADDRESS, ""))
    except ValueError:
        return None
    state = str(entry.get("State", ""))
    exit_code, engine_health = parse_status_text(str(entry.get("Status", "")))
    status, reason = _status_and_reason(state, exit_code, oom)
    networks: Mapping[str, object] = (entry.get("NetworkSettings") or {}).get("Networks") or {}
    facts: dict[str, object] = {
        "id": entry.get("Id", ""),
        "name": container_name(entry),
        "image": entry.get("Image", ""),
        "state": state,
        "status_text": entry.get("Status", ""),
        "ports": parse_ports(entry.get("Ports")),
        "networks": sorted(networks),
        "created": entry.get("Created"),
    }
    return Observed(
        address=address,
        status=status,
        spec_hash=labels.get(LABEL_SPEC_HASH) or None,
        exit_code=exit_code if status is not Status.RUNNING else None,
        reason=reason,
        health=Health(engine_health, "engine HEALTHCHECK") if engine_health else None,
        facts=facts,
        adopted=recorded is not None and address not in recorded,
    )


def pick_primary(candidates: Sequence[Observed]) -> Observed:
    """Several containers claim one address (a crash between create and remove): the
    running one wins, then the newest. The others are listed in ``facts["duplicates"]``."""
    ordered = sorted(candidates, key=lambda o: (o.running, o.facts.get("created") or 0),
                     reverse=True)
    primary = ordered[0]
    if len(ordered) == 1:
        return primary
    facts = dict(primary.facts)
    facts["duplicates"] = [o.facts["id"] for o in ordered[1:]]
    return Observed(primary.address, primary.status, primary.spec_hash, primary.exit_code,
                    primary.reason, primary.health, facts, primary.adopted)


def oom_killed(inspect: ContainerInfo) -> bool:
    """Whether the kernel's OOM killer ended the container (only ``inspect`` knows)."""
    return bool((inspect.get("State") or {}).get("OOMKilled"))


def health_from_inspect(inspect: ContainerInfo) -> Health | None:
    """The engine's HEALTHCHECK verdict with the last probe's output; None when the
    container has no HEALTHCHECK at all."""
    health = (inspect.get("State") or {}).get("Health")
    if not health:
        return None
    status = _HEALTH_WORDS.get(str(health.get("Status", "")), HealthStatus.UNKNOWN)
    log = health.get("Log") or []
    detail = ""
    if log:
        last = log[-1]
        output = " ".join(str(last.get("Output", "")).split())[:200]
        detail = f"HEALTHCHECK exit {last.get('ExitCode')}" + (f": {output}" if output else "")
    return Health(status, detail or f"HEALTHCHECK {health.get('Status', '')}")


def owner_labels(project: str, scope: str, address: Address, spec_hash: str,
                 state_id: str | None = None, state_dir: str = "") -> dict[str, str]:
    """The ownership marks every container we create carries (the state's id when known)."""
    labels = {LABEL_PROJECT: project, LABEL_SCOPE: scope, LABEL_ADDRESS: str(address),
              LABEL_SPEC_HASH: spec_hash}
    if state_id:
        labels.update({LABEL_STATE_ID: state_id, LABEL_STATE_DIR: state_dir})
    return labels


def is_named_volume(source: str) -> bool:
    """``data:/x`` is a named volume; ``/abs:/x``, ``./rel:/x`` and ``~/x:/x`` are binds."""
    return not source.startswith(("/", ".", "~"))


def volume_name(scope: str, name: str) -> str:
    """Named volumes are scoped like Compose's: ``<scope>_<name>``."""
    return f"{scope}_{name}"


def parse_volume(text: str, scope: str, project_dir: str) -> tuple[str, str, str, bool]:
    """``src:dst[:ro|rw]`` -> (engine source, target, mode, named). Relative bind paths
    resolve against ``project_dir``; named volumes get the scope prefix."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise ValueError(f"volume {text!r} is not src:dst[:ro]")
    source, target = parts[0], parts[1]
    mode = parts[2] if len(parts) == 3 else "rw"
    if mode not in ("ro", "rw"):
        raise ValueError(f"volume {text!r}: mode must be ro or rw, not {mode!r}")
    if is_named_volume(source):
        return volume_name(scope, source), target, mode, True
    if source.startswith("~"):
        raise ValueError(f"volume {text!r}: write the home directory out, '~' is not expanded")
    if not source.startswith("/"):
        base = project_dir.rstrip("/") or "/"
        source = _normpath(f"{base}/{source}")
    return source, target, mode, False


def _normpath(path: str) -> str:
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/" + "/".join(out)


def named_volumes(spec: ContainerSpec, scope: str) -> list[str]:
    """Engine names of the named volumes a spec uses (to create them with labels)."""
    return [volume_name(scope, v.split(":")[0]) for v in spec.get("volumes", [])
            if ":" in v and is_named_volume(v.split(":")[0])]


def _nanos(seconds: float) -> int:
    return int(seconds * 1_000_000_000)


def restart_policy(text: str) -> dict[str, object] | None:
    """``no`` -> None, ``always`` -> ``{"Name": "always"}``, ``on-failure:5`` ->
    ``{"Name": "on-failure", "MaximumRetryCount": 5}``. Raises ValueError on anything else."""
    name, _, count = text.partition(":")
    if name not in ("no", "always", "unless-stopped", "on-failure") or (
            count and (name != "on-failure" or not count.isdigit())):
        raise ValueError(f"restart {text!r} is not no, always, unless-stopped or "
                         "on-failure[:N]")
    if name == "no":
        return None
    policy: dict[str, object] = {"Name": name}
    if count:
        policy["MaximumRetryCount"] = int(count)
    return policy


def create_kwargs(*, name: str, spec: ContainerSpec, env: Mapping[str, str],
                  labels: Mapping[str, str], network: str, alias: str,
                  healthcheck: HealthCheckJSON | None, scope: str,
                  project_dir: str) -> dict[str, object]:
    """Keyword arguments for ``client.containers.create`` from a container spec.

    ``env`` holds clear values (apply time only); ``healthcheck`` is a HealthCheck's
    ``to_json()`` for a command probe (set as CMD-SHELL) or None. Raises ValueError on a
    malformed volume or port."""
    ports: dict[str, tuple[str, int | None]] = {}
    for port in spec.get("ports", []):
        key = f"{int(port['container'])}/{port.get('protocol', 'tcp')}"
        host = port["host"]
        ports[key] = (port.get("host_ip") or "127.0.0.1", int(host) if host is not None else None)
    binds = []
    for text in spec.get("volumes", []):
        source, target, mode, _ = parse_volume(text, scope, project_dir)
        binds.append(f"{source}:{target}:{mode}")
    kwargs: dict[str, object] = {
        "image": spec["image"],
        "name": name,
        "labels": dict(labels),
        "environment": dict(env),
        "detach": True,
        "network": network,
        "networking_config": {network: {"Aliases": [alias]}},
        "restart_policy": restart_policy(spec.get("restart") or "no"),
    }
    optional: dict[str, object] = {
        "command": spec.get("command"), "entrypoint": spec.get("entrypoint"),
        "ports": ports or None, "volumes": binds or None,
        "init": True if spec.get("init") else None,
        "nano_cpus": _nanos(spec["cpus"]) if spec.get("cpus") else None,
        "mem_limit": spec.get("memory"),
        # the engine sends it on every stop (ours and `docker stop`); with init: true it
        # reaches the process instead of a PID 1 that ignores it
        "stop_signal": spec.get("stop_signal"),
    }
    kwargs.update({k: v for k, v in optional.items() if v is not None})
    if healthcheck is not None:
        kwargs["healthcheck"] = {
            "test": ["CMD-SHELL", str(healthcheck["target"])],
            "interval": _nanos(float(healthcheck["interval"])),
            "timeout": _nanos(float(healthcheck["timeout"])),
            "retries": int(healthcheck["retries"]),
            "start_period": _nanos(float(healthcheck["start_period"])),
        }
    return {k: v for k, v in kwargs.items() if v is not None}
