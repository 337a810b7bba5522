"""The services.yaml docker keys against the real engine, through the CLI.

`init`, `stop_signal`, `restart`, `cpus`, `memory`, `networks` and `labels` reach the
container (inspect: HostConfig, Config.StopSignal, NetworkSettings); destroy stops each
container with its signal, never with the SIGKILL at the end of `shutdown_timeout` (the
engine's `die` events carry the exit codes, so nothing here is timed). An invalid value is a
validate error at its file:line:col, and `pull: never` with an absent image (or a missing
network in `networks:`) is an error that names it. Finalizers remove what the scope owns,
by label and name.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from infra.docker_env import DockerCleanup, unique_name

SERVICES = """\
name: keys
settings: {{shutdown_timeout: 30}}
services:
  trapper:
    type: docker
    image: {image}
    # ignores SIGTERM, exits 0 on SIGINT: only its stop_signal ends it before the timeout
    command: ["sh", "-c", "trap '' TERM; trap 'exit 0' INT; while :; do sleep 0.2; done"]
    init: true
    stop_signal: INT
    restart: "on-failure:2"
    cpus: 0.5
    memory: 64m
    pull: never
    networks: [{extra}]
    labels: {{team: keys}}
  sleeper:
    type: docker
    image: {image}
    command: ["sleep", "3600"]
    init: true
"""


def cli(project: Path, session: str, *args: str, expect: int = 0) -> str:
    proc = subprocess.run([sys.executable, "-m", "reconciler", "-C", str(project),
                           "--session", session, "--no-color", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def cleanup(client: Any, cleaner: DockerCleanup, scope: str) -> None:
    for container in client.containers.list(
            all=True, filters={"label": f"io.reconciler.scope={scope}"}):
        cleaner.container(container.id)
    for network in client.networks.list(names=[scope]):
        cleaner.network(network.id)


def exit_codes(client: Any, scope: str, since: int) -> dict[str, str]:
    """Container name -> exit code of its `die` events since ``since``."""
    events = client.events(since=since, until=int(time.time()) + 1, decode=True,
                           filters={"event": "die", "label": f"io.reconciler.scope={scope}"})
    return {e["Actor"]["Attributes"]["name"]: e["Actor"]["Attributes"]["exitCode"]
            for e in events}


def test_keys_reach_the_engine_and_stops_use_the_signal(
        tmp_path: Path, busybox_image: str, docker_cleanup: DockerCleanup,
        docker_client: Any) -> None:
    session = unique_name("keys")
    scope = f"keys_{session}"
    extra = f"{session}-extra"
    docker_cleanup.network(docker_client.networks.create(
        extra, labels={"io.reconciler.test": session}).id)
    (tmp_path / "services.yaml").write_text(SERVICES.format(image=busybox_image, extra=extra))
    try:
        cli(tmp_path, session, "apply", "--auto-approve")
        cli(tmp_path, session, "plan", "--detailed-exitcode")  # 0: nothing to change
        trapper = docker_client.api.inspect_container(f"{scope}-trapper")
        host = trapper["HostConfig"]
        assert host["Init"] is True
        assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
        assert (host["NanoCpus"], host["Memory"]) == (500_000_000, 64 * 1024 * 1024)
        assert trapper["Config"]["StopSignal"] == "SIGINT"
        assert trapper["Config"]["Labels"]["team"] == "keys"
        joined = trapper["NetworkSettings"]["Networks"]
        assert set(joined) == {scope, extra}
        assert "trapper" in (joined[extra]["Aliases"] or [])
        sleeper = docker_client.api.inspect_container(f"{scope}-sleeper")
        assert sleeper["HostConfig"]["Init"] is True
        assert sleeper["Config"].get("StopSignal") in (None, "", "SIGTERM")
        since = int(time.time()) - 1
        cli(tmp_path, session, "destroy", "--auto-approve")
        assert docker_client.containers.list(
            all=True, filters={"label": f"io.reconciler.scope={scope}"}) == []
        # 0: the trap ran on SIGINT; 143: docker-init passed SIGTERM on to sleep. A stop that
        # had waited out shutdown_timeout would show 137 (SIGKILL).
        assert exit_codes(docker_client, scope, since) == {
            f"{scope}-trapper": "0", f"{scope}-sleeper": "143"}
    finally:
        cleanup(docker_client, docker_cleanup, scope)


def test_invalid_memory_is_a_validate_error_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(
        "services:\n  web:\n    type: docker\n    image: x\n    memory: lots\n")
    out = cli(tmp_path, unique_name("bad"), "validate", expect=1)
    assert f"{tmp_path / 'services.yaml'}:5:5: error: services.web.memory: 'lots'" in out


def test_pull_never_with_an_absent_image_and_a_missing_network_name_what_is_missing(
        tmp_path: Path, busybox_image: str, docker_cleanup: DockerCleanup,
        docker_client: Any) -> None:
    session = unique_name("pull")
    scope = f"pull_{session}"
    image = f"reconciler-test/absent-{session}:1"
    (tmp_path / "services.yaml").write_text(
        f"name: pull\nservices:\n  gone:\n    type: docker\n    image: {image}\n"
        f"    pull: never\n  lost:\n    type: docker\n    image: {busybox_image}\n"
        f"    networks: [{session}-nowhere]\n")
    try:
        out = cli(tmp_path, session, "apply", "--auto-approve", expect=1)
        assert f"image {image} is not present on the Docker engine" in out
        assert "pull is 'never'" in out and "Traceback" not in out
        assert f"network {session}-nowhere does not exist on the Docker engine" in out
        assert docker_client.containers.list(
            all=True, filters={"label": f"io.reconciler.scope={scope}"}) == []
    finally:
        cleanup(docker_client, docker_cleanup, scope)
