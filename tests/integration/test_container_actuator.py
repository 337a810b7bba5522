"""ContainerActuator against the real Docker engine with the local busybox image.

Needs dockerd and reconciler-test/busybox:1 (scripts/setup-test-env.sh). Under CI=true a
missing engine or image fails; elsewhere it skips. Every test works in its own scope and
removes the containers, network and volumes of that scope by id/name when it ends (the scope
and its call counters: infra/container_scope.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from infra.components import missing, require
from infra.container_scope import IMAGE, Scope, container_scope, get, wait_for

from reconciler.actuators.container.actuator import ContainerActuator
from reconciler.errors import TerminalError
from reconciler.model.changes import Action, Change, HealthStatus, Observed, ReasonCode, Status
from reconciler.model.types import HealthCheck, ProbeKind, Resource
from reconciler.transports.docker import socket as docker_socket

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine(busybox_image: str) -> Any:
    """The real engine (the shared `require` fails under CI=true, skips elsewhere)."""
    require("docker")
    import docker

    client = docker.from_env()
    client.images.get(busybox_image)  # the busybox_image fixture made sure it exists
    return client


@pytest.fixture
def scope(engine: Any, tmp_path: Path) -> Iterator[Scope]:
    with container_scope(engine, tmp_path) as made:
        yield made


def test_create_then_observe_is_one_list_call_and_a_noop(scope: Scope) -> None:
    web = scope.resource()
    created = scope.apply(Action.CREATE, web)
    assert created is not None and created.status is Status.RUNNING
    assert created.spec_hash == web.hash()
    info = scope.engine.api.inspect_container(created.facts["id"])
    assert info["Name"] == f"/{scope.ctx.scope}-web"
    assert info["Config"]["Labels"]["io.reconciler.address"] == "container.web"
    assert info["Config"]["Labels"]["io.reconciler.project"] == "rtest"
    assert "web" in info["NetworkSettings"]["Networks"][scope.ctx.scope]["Aliases"]

    scope.client.api.calls.clear()
    scope.reads.calls.clear()
    seen = scope.observe(web)
    assert scope.reads.calls == Counter({"containers": 1})
    assert scope.client.api.calls == Counter()  # the SDK is not used to observe
    assert seen[web.address].spec_hash == web.hash()
    assert scope.plan(web, web).action is Action.NOOP


def test_published_port_answers_on_loopback_and_http_probe_uses_it(scope: Scope) -> None:
    web = replace(
        scope.resource(), health=HealthCheck(ProbeKind.HTTP, "http://127.0.0.1:80/", timeout=2)
    )
    created = scope.apply(Action.CREATE, web)
    assert created is not None
    [port] = created.facts["ports"]
    assert port["host_ip"] == "127.0.0.1" and port["host"]
    body = wait_for(lambda: _try_get(f"http://127.0.0.1:{port['host']}/"), "httpd")
    assert body == "ok-1"
    health = wait_for(lambda: _healthy(scope, web, created), "http probe")
    assert f"127.0.0.1:{port['host']}" in health.detail


def _try_get(url: str) -> str | None:
    try:
        return get(url)
    except OSError:
        return None


def _healthy(scope: Scope, resource: Resource, seen: Observed) -> Any:
    health = scope.actuator.health(resource, seen, scope.ctx)
    return health if health.status is HealthStatus.HEALTHY else None


def test_env_change_replaces_and_named_volume_survives(scope: Scope) -> None:
    command = ["sh", "-c", "echo gen-$GEN >> /data/log && exec sleep 300"]
    first = scope.resource(command=command, ports=[], volumes=["data:/data"])
    old = scope.apply(Action.CREATE, first)
    second = scope.resource(command=command, ports=[], volumes=["data:/data"], env={"GEN": "2"})
    change = scope.plan(second, first)
    assert change.action is Action.REPLACE
    assert change.reasons[0].code is ReasonCode.SPEC_CHANGED
    new = scope.apply(Action.REPLACE, second, first)
    assert old is not None and new is not None and new.facts["id"] != old.facts["id"]
    assert new.spec_hash == second.hash()
    container = scope.engine.containers.get(new.facts["id"])
    log = wait_for(lambda: container.exec_run(["cat", "/data/log"]).output.decode(), "log")
    assert log.split() == ["gen-1", "gen-2"]
    volume = scope.engine.volumes.get(f"{scope.ctx.scope}_data")
    assert volume.attrs["Labels"]["io.reconciler.scope"] == scope.ctx.scope
    assert list(scope.observe(second)) == [second.address]  # the old container is gone


def test_stopped_then_removed_by_hand_is_drift(scope: Scope) -> None:
    web = scope.resource()
    created = scope.apply(Action.CREATE, web)
    assert created is not None
    scope.engine.api.stop(created.facts["id"], timeout=1)
    seen = scope.observe(web)[web.address]
    assert seen.status is Status.EXITED and seen.reason == "exited 143"
    change = scope.plan(web, web)
    assert change.action is Action.REPLACE and change.reasons[0].code is ReasonCode.DRIFT
    again = scope.apply(Action.REPLACE, web, web)
    assert again is not None and again.running
    scope.engine.api.remove_container(again.facts["id"], force=True)
    assert scope.observe(web) == {}
    change = scope.plan(web, web)
    assert change.action is Action.CREATE and change.reasons[0].code is ReasonCode.DRIFT
    assert (scope.apply(Action.CREATE, web) or seen).running


def test_oom_kill_is_reported(scope: Scope) -> None:
    hog = scope.resource(
        "hog", ports=[], memory="8m", command=["sh", "-c", "x=a; while true; do x=$x$x; done"]
    )
    scope.apply(Action.CREATE, hog)
    seen = wait_for(lambda: _exited(scope, hog), "the OOM kill")
    assert seen.reason == "exited 137 (OOM killed)" and seen.exit_code == 137


def _exited(scope: Scope, resource: Resource) -> Observed | None:
    seen = scope.observe(resource).get(resource.address)
    return seen if seen is not None and seen.status is Status.EXITED else None


def test_command_health_check_becomes_the_engine_healthcheck(scope: Scope) -> None:
    check = HealthCheck(ProbeKind.COMMAND, "test -f /tmp/ready", interval=1, timeout=2)
    slow = replace(
        scope.resource(ports=[], command=["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 300"]),
        health=check,
    )
    created = scope.apply(Action.CREATE, slow)
    assert created is not None
    first = scope.actuator.health(slow, created, scope.ctx)
    assert first.status is HealthStatus.STARTING
    assert wait_for(lambda: _healthy(scope, slow, created), "health").status is HealthStatus.HEALTHY
    seen = wait_for(lambda: _engine_says_healthy(scope, slow), "engine health in the list")
    assert seen.health.detail == "engine HEALTHCHECK"
    docker_kind = replace(slow, health=HealthCheck(ProbeKind.DOCKER))
    assert scope.actuator.health(docker_kind, seen, scope.ctx).status is HealthStatus.HEALTHY


def _engine_says_healthy(scope: Scope, resource: Resource) -> Observed | None:
    seen = scope.observe(resource).get(resource.address)
    ok = seen is not None and seen.health is not None and seen.health.status is HealthStatus.HEALTHY
    return seen if ok else None


def test_missing_image_is_a_clear_terminal_error(scope: Scope) -> None:
    absent = "reconciler-test/absent:1"
    with pytest.raises(TerminalError) as info:
        scope.apply(Action.CREATE, scope.resource(image=absent))
    assert f"image {absent} could not be pulled" in info.value.message
    assert info.value.hint == "docker load/build it, or set pull: never"
    with pytest.raises(TerminalError, match="pull is 'never'"):
        scope.apply(Action.CREATE, scope.resource(image=absent, pull="never"))
    assert scope.observe(scope.resource()) == {}


def test_unowned_container_with_our_name_is_not_touched(scope: Scope) -> None:
    name = f"{scope.ctx.scope}-web"
    foreign = scope.engine.api.create_container(IMAGE, ["sleep", "1"], name=name)
    try:
        with pytest.raises(TerminalError, match="not managed by this project"):
            scope.apply(Action.CREATE, scope.resource())
        assert scope.engine.api.inspect_container(foreign["Id"])["Name"] == f"/{name}"
    finally:
        scope.engine.api.remove_container(foreign["Id"], force=True)


def test_delete_keeps_volumes_unless_asked_and_drops_the_network(scope: Scope) -> None:
    data = scope.resource("db", ports=[], volumes=["data:/data"], command=["sleep", "300"])
    scope.apply(Action.CREATE, data)
    assert scope.apply(Action.DELETE, data, data) is None
    assert scope.observe(data) == {}
    volume_name = f"{scope.ctx.scope}_data"
    assert scope.engine.volumes.get(volume_name).name == volume_name
    assert not [
        n for n in scope.engine.networks.list(names=[scope.ctx.scope]) if n.name == scope.ctx.scope
    ]
    scope.apply(Action.CREATE, data)
    destroy = replace(scope.ctx, remove_volumes=True)
    scope.actuator.apply(Change(data.address, Action.DELETE, dict(data.spec), None), None, destroy)
    assert not scope.engine.volumes.list(filters={"name": volume_name})


OBSERVE_IN_A_FRESH_PROCESS = """
import json, sys
from pathlib import Path
from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.container.actuator import ContainerActuator
from reconciler.transports.local import LocalTransport
ctx = ActuatorContext(project="rtest", scope=sys.argv[1], state_dir=Path(sys.argv[2]),
                      transport=LocalTransport(), project_dir=sys.argv[2])
seen = ContainerActuator().observe((), {}, ctx)
print(json.dumps({"modules": [m for m in ("docker", "requests", "urllib3") if m in sys.modules],
                  "seen": {str(a): [o.running, o.spec_hash] for a, o in seen.items()}}))
"""


def test_observe_in_a_fresh_process_imports_no_sdk_and_sees_what_the_sdk_sees(
    scope: Scope,
) -> None:
    if docker_socket.for_url(None) is None:
        missing("the environment's engine is not a local unix socket (DOCKER_HOST/context)")
    web, idle = scope.resource(), scope.resource("idle", ports=[], command=["sleep", "300"])
    scope.apply(Action.CREATE, web)
    stopped = scope.apply(Action.CREATE, idle)
    assert stopped is not None
    scope.engine.api.stop(stopped.facts["id"], timeout=1)
    argv = [sys.executable, "-c", OBSERVE_IN_A_FRESH_PROCESS, scope.ctx.scope]
    done = subprocess.run([*argv, str(scope.ctx.state_dir)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    fresh = json.loads(done.stdout)
    assert fresh["modules"] == []
    sdk = ContainerActuator(client_factory=lambda url: scope.engine).observe((), {}, scope.ctx)
    assert fresh["seen"] == {str(a): [o.running, o.spec_hash] for a, o in sdk.items()}
    assert fresh["seen"] == {"container.web": [True, web.hash()],
                             "container.idle": [False, idle.hash()]}
