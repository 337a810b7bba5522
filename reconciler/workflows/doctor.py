"""``reconciler doctor``: what this project needs, and whether this machine has it.

Each check answers one question with ``ok``, ``warn`` or ``fail``; a ``fail`` of a check the
project cannot do without (its config, the Docker engine when it has containers, Compose when
it has Compose projects, a readable state database) is critical and makes ``doctor`` exit 1.
Checks only look: nothing is started, created or changed (the state database is opened
read-only).
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.errors import ConfigError, ReconcilerError

if TYPE_CHECKING:
    from reconciler.engine.project import Project
    from reconciler.model.types import DesiredState


@dataclass(frozen=True)
class Check:
    """One answer: ``status`` is ok, warn or fail; ``critical`` failures set the exit code."""

    name: str
    status: str
    detail: str
    critical: bool = False

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def _run(argv: list[str], timeout: float = 10.0) -> tuple[int, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, str(exc)
    return done.returncode, (done.stdout.strip() or done.stderr.strip())


def check_docker(needed: bool) -> Check:
    """The engine answers, and with which API version."""
    if shutil.which("docker") is None:
        return Check("docker engine", "fail" if needed else "warn", "no docker CLI on PATH",
                     critical=needed)
    code, out = _run(["docker", "version", "--format", "{{.Server.Version}} (API "
                      "{{.Server.APIVersion}})"])
    if code != 0:
        detail = out.splitlines()[-1] if out else "the engine does not answer"
        return Check("docker engine", "fail" if needed else "warn", detail, critical=needed)
    return Check("docker engine", "ok", f"Docker {out}")


def check_compose(needed: bool) -> Check:
    from reconciler.actuators.compose.cli import detect_compose
    from reconciler.transports.local import LocalTransport

    try:
        found = detect_compose(LocalTransport())
    except ReconcilerError as exc:
        return Check("compose", "fail" if needed else "warn", exc.message, critical=needed)
    return Check("compose", "ok", f"Compose {found.version} {found.release} "
                                  f"({' '.join(found.argv)})")


def check_hosts(desired: DesiredState) -> list[Check]:
    """Per SSH host: its key file is readable and its host key is in known_hosts."""
    from reconciler.model.topology import hosts_from_settings

    checks = []
    for host in hosts_from_settings(desired.settings).values():
        problems = []
        if host.identity_file and not os.access(os.path.expanduser(host.identity_file),
                                                os.R_OK):
            problems.append(f"key {host.identity_file} is not readable")
        target = host.address if not host.port or host.port == 22 else \
            f"[{host.address}]:{host.port}"
        known = os.path.expanduser(host.known_hosts_file())
        code, _ = _run(["ssh-keygen", "-F", target, "-f", known])
        if code != 0:
            problems.append(f"{target} is not in {known} (run `reconciler hosts trust "
                            f"{host.name}`)")
        checks.append(Check(f"host {host.name}", "warn" if problems else "ok",
                            "; ".join(problems) or f"{host.address}: key and known_hosts ok"))
    return checks


def check_wireguard() -> Check:
    kernel = os.path.isdir("/sys/module/wireguard")
    userspace = shutil.which("wireguard-go") is not None
    tools = shutil.which("wg") is not None
    if not tools or not (kernel or userspace):
        return Check("wireguard", "fail", "need `wg` (wireguard-tools) and the kernel module "
                     "or wireguard-go", critical=True)
    return Check("wireguard", "ok", "kernel module" if kernel else "wireguard-go (userspace)")


def check_ports(project: Project, desired: DesiredState) -> list[Check]:
    """Fixed ports of services not yet ours that something else already listens on."""
    recorded = {str(a) for a in project.store.resources()}
    busy = []
    for address, resource in desired.resources.items():
        port = resource.spec.get("port")
        if not isinstance(port, int) or str(address) in recorded:
            continue
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(f"{address} wants {port}")
    if not busy:
        return [Check("ports", "ok", "every configured port is free or ours")]
    return [Check("ports", "warn", "already in use: " + ", ".join(busy))]


def check_state(project: Project) -> list[Check]:
    path = project.store.path
    if path is None:  # PostgreSQL: reachable and migrated, or a clear error
        store = project.store
        return [Check("state", "ok", f"{store.location}: serial {store.serial()}")]
    if not path.exists():
        return [Check("state", "ok", f"{path}: not created yet (nothing applied)")]
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            last = conn.execute("SELECT MAX(applied_at) FROM resources").fetchone()[0]
    except sqlite3.Error as exc:
        return [Check("state", "fail", f"{path}: {exc}", critical=True)]
    checks = [Check("state", "ok" if verdict == "ok" else "fail", f"{path}: {verdict}",
                    critical=verdict != "ok")]
    lease = project.store.lease_info()
    if lease is not None and lease.get("alive"):
        checks.append(Check("lease", "warn", f"held by {lease.get('holder')} "
                                             f"(pid {lease.get('pid')})"))
    else:
        checks.append(Check("lease", "ok", "free"))
    if last is not None and float(last) > time.time() + 5:
        checks.append(Check("clock", "warn", "the clock is behind the last recorded apply"))
    else:
        checks.append(Check("clock", "ok", time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                                         time.gmtime())))
    return checks


def diagnose(project: Project) -> list[Check]:
    """Every check that applies to ``project``."""
    checks = [Check("reconciler", "ok", f"{__version__} on Python {sys.version.split()[0]}")]
    try:
        desired, _ = project.desired(allocate=False)
    except ConfigError as exc:
        first = exc.diagnostics[0].render() if exc.diagnostics else str(exc)
        return [*checks, Check("config", "fail", first, critical=True), *check_state(project)]
    kinds = {a.kind for a in desired.resources}
    checks.append(Check("config", "ok", f"{len(desired.resources)} resources "
                                        f"({', '.join(sorted(kinds)) or 'none'})"))
    steps: list[Callable[[], list[Check]]] = [
        lambda: [check_docker("container" in kinds or "compose" in kinds)],
        lambda: [check_compose(True)] if "compose" in kinds else [],
        lambda: [check_wireguard()] if "wireguard" in kinds else [],
        lambda: check_hosts(desired),
        lambda: check_ports(project, desired),
        lambda: check_state(project),
    ]
    for step in steps:
        checks.extend(step())
    return checks
