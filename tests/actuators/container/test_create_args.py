"""Spec -> docker create arguments, probe targets, and engine error mapping (no engine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import requests

from reconciler.actuators.container import parse as cp
from reconciler.actuators.container.health import published_target
from reconciler.actuators.container.spec import spec_of
from reconciler.config import load
from reconciler.errors import ReconcilerError, TerminalError, TransientError
from reconciler.model.build import build
from reconciler.model.changes import Observed, Status
from reconciler.model.types import Address, ProbeKind
from reconciler.transports.docker import engines
from reconciler.transports.docker import errors as de

SPEC: dict[str, Any] = {
    "image": "reconciler-test/busybox:1",
    "ports": [{"host": 8080, "container": 80, "host_ip": "127.0.0.1"},
              {"host": None, "container": 53, "host_ip": "127.0.0.1", "protocol": "udp"}],
    "volumes": ["data:/data", "./conf:/etc/app:ro", "/srv/logs:/logs"],
    "command": ["sleep", "60"], "entrypoint": None,
    "env": {"A": "1", "DB_PASSWORD": "(sensitive:abc)"},
    "restart": "unless-stopped", "labels": {"team": "x"},
    "init": True, "cpus": 0.5, "memory": "256m",
}


def kwargs(**over: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "name": "proj-web", "spec": SPEC, "env": {"A": "1", "DB_PASSWORD": "clear"},
        "labels": {"io.reconciler.scope": "proj"}, "network": "proj", "alias": "web",
        "healthcheck": None, "scope": "proj", "project_dir": "/work/p"}
    args.update(over)
    return cp.create_kwargs(**args)


def test_create_kwargs_translate_every_spec_key() -> None:
    out = kwargs()
    assert out["image"] == "reconciler-test/busybox:1" and out["name"] == "proj-web"
    assert out["ports"] == {"80/tcp": ("127.0.0.1", 8080), "53/udp": ("127.0.0.1", None)}
    assert out["volumes"] == ["proj_data:/data:rw", "/work/p/conf:/etc/app:ro",
                              "/srv/logs:/logs:rw"]
    assert out["environment"] == {"A": "1", "DB_PASSWORD": "clear"}
    assert out["restart_policy"] == {"Name": "unless-stopped"}
    assert out["network"] == "proj"
    assert out["networking_config"] == {"proj": {"Aliases": ["web"]}}
    assert (out["init"], out["nano_cpus"], out["mem_limit"]) == (True, 500_000_000, "256m")
    assert out["command"] == ["sleep", "60"] and "entrypoint" not in out
    assert "healthcheck" not in out


def test_a_udp_port_from_services_yaml_is_published_as_udp(tmp_path: Path) -> None:
    # the builder writes ``protocol: udp``; create_kwargs read ``proto`` and published tcp
    (tmp_path / "services.yaml").write_text(
        "services:\n  dns:\n    type: docker\n    image: reconciler-test/busybox:1\n"
        "    ports: ['15353:53/udp', '8080:80']\n")
    docs, problems = load(tmp_path)
    assert problems == []
    desired, diagnostics = build(docs, env={})
    assert diagnostics == []
    (resource,) = desired.resources.values()
    out = kwargs(spec=spec_of(resource.spec))
    assert out["ports"] == {"53/udp": ("127.0.0.1", 15353), "80/tcp": ("127.0.0.1", 8080)}


def test_restart_no_and_missing_optionals_are_left_out() -> None:
    out = kwargs(spec={"image": "i", "restart": "no"})
    assert set(out) == {"image", "name", "labels", "environment", "detach", "network",
                        "networking_config"}


def test_command_health_check_becomes_cmd_shell_healthcheck() -> None:
    check = {"kind": "command", "target": "wget -q -O- http://127.0.0.1/", "interval": 2.0,
             "timeout": 1.5, "retries": 4, "start_period": 0.0}
    assert kwargs(healthcheck=check)["healthcheck"] == {
        "test": ["CMD-SHELL", "wget -q -O- http://127.0.0.1/"], "interval": 2_000_000_000,
        "timeout": 1_500_000_000, "retries": 4, "start_period": 0}


@pytest.mark.parametrize(("text", "expected"), [
    ("data:/data", ("s_data", "/data", "rw", True)),
    ("cache:/c:ro", ("s_cache", "/c", "ro", True)),
    ("./a/../b:/b", ("/p/b", "/b", "rw", False)),
    ("rel:/r", ("s_rel", "/r", "rw", True)),
    ("/abs:/x:ro", ("/abs", "/x", "ro", False)),
])
def test_parse_volume(text: str, expected: tuple[str, str, str, bool]) -> None:
    assert cp.parse_volume(text, "s", "/p") == expected


@pytest.mark.parametrize("text", ["/only", "a:/b:rx", "~/x:/x", ":/x"])
def test_bad_volume_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="volume"):
        cp.parse_volume(text, "s", "/p")


def test_named_volumes_are_scoped() -> None:
    assert cp.named_volumes(SPEC, "proj") == ["proj_data"]


def test_probe_targets_use_the_published_host_port() -> None:
    seen = Observed(Address("container", "web"), Status.RUNNING, facts={"ports": [
        {"container": 80, "proto": "tcp", "host": 32771, "host_ip": "0.0.0.0"}]})
    assert published_target(ProbeKind.TCP, "127.0.0.1:80", seen) == "127.0.0.1:32771"
    assert published_target(ProbeKind.HTTP, "http://localhost/health", seen) == \
        "http://127.0.0.1:32771/health"
    assert published_target(ProbeKind.TCP, "127.0.0.1:9000", seen) == "127.0.0.1:9000"


def test_importing_the_actuator_does_not_import_docker() -> None:
    code = ("import sys, reconciler.actuators.container.actuator; "
            "sys.exit(1 if 'docker' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_unreachable_engine_is_a_terminal_error_with_a_hint(tmp_path: Any) -> None:
    url = f"unix://{tmp_path}/no-such-docker.sock"
    with pytest.raises(TerminalError) as info:
        engines.connect(url)
    assert info.value.message.startswith(f"cannot reach the Docker engine at {url}")
    assert "systemctl start docker" in info.value.hint


def _api_error(status: int, explanation: str) -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = status
    return docker.errors.APIError("engine said no", response=response, explanation=explanation)


def mapped(exc: BaseException, image: str | None = None) -> ReconcilerError:
    """The error engine_errors turns ``exc`` into."""
    try:
        with de.engine_errors(None, "creating container web", image=image):
            raise exc
    except ReconcilerError as out:
        return out
    raise AssertionError("engine_errors swallowed the exception")


def test_engine_errors_map_5xx_to_transient_and_4xx_to_terminal() -> None:
    server = mapped(_api_error(500, "driver failed"))
    assert isinstance(server, TransientError)
    assert server.message == "creating container web: Docker engine error 500: driver failed"
    client = mapped(_api_error(400, "invalid mount config"))
    assert isinstance(client, TerminalError) and "invalid mount config" in client.message
    port = mapped(_api_error(500, "Bind for 127.0.0.1:8080 failed: port is already allocated"))
    assert isinstance(port, TerminalError) and port.hint == de.PORT_HINT
    slow = mapped(requests.exceptions.ReadTimeout("read timed out"))
    assert isinstance(slow, TransientError) and "did not answer in time" in slow.message


def test_missing_image_error_names_the_image() -> None:
    err = mapped(docker.errors.ImageNotFound("no such image: nosuch/img:1"), "nosuch/img:1")
    assert isinstance(err, TerminalError)
    assert "image nosuch/img:1 not found" in err.message
    assert err.hint == de.IMAGE_HINT
