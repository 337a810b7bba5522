"""Remote processes through the whole pipeline on real sshd namespace hosts: create / no-op /
replace / drift / destroy, one round trip per host for observe, a local process depending on a
remote one through ${svc.ip}/${svc.port}, and an unreachable host failing only its own part."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from infra.netns_hosts import SshHost

from reconciler.engine.project import PlanRun, Project
from reconciler.model.changes import Action
from reconciler.transports.ssh import SshTransport


def host_yaml(host: SshHost, **extra: Any) -> str:
    lines = [f"  {host.name}:", f"    address: {host.address}", "    user: root",
             f"    identity_file: {host.key_path}", f"    known_hosts: {host.known_hosts_path}"]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)


def write_project(directory: Path, name: str, hosts: list[SshHost], services: str,
                  ghost: bool = False) -> None:
    body = [f"name: {name}", "hosts:", *(host_yaml(h) for h in hosts)]
    if ghost:
        body += ["  ghost:", "    address: 198.18.0.254", "    connect_timeout: 1",
                 f"    known_hosts: {hosts[0].known_hosts_path}"]
    body += ["services:", services]
    (directory / "services.yaml").write_text("\n".join(body) + "\n")


def apply(project: Project) -> tuple[PlanRun, Any]:
    run = project.plan()
    with project.locked():
        return run, project.execute(run)


def actions(run: PlanRun) -> dict[str, str]:
    return {str(c.address): c.action.verb for c in run.plan.changes}


@pytest.fixture
def hosts(ssh_hosts: Callable[[int], list[SshHost]]) -> list[SshHost]:
    return ssh_hosts(3)


@contextmanager
def destroyed_after(tmp_path: Path, prefix: str) -> Iterator[tuple[Path, str]]:
    """A project directory named ``<prefix><random>`` (and that name); whatever its state
    holds then is destroyed through the engine when the block ends."""
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    directory = tmp_path / name
    directory.mkdir()
    yield directory, name
    project = Project(directory)
    try:
        run = project.plan(destroy=True)
        with project.locked():
            project.execute(run)
    finally:
        project.transports.close()


@pytest.fixture
def project_dir(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    with destroyed_after(tmp_path, "rmt") as found:
        yield found


SERVICES = """\
  web:
    type: remote
    host: {h0}
    command: python3 -c "import socketserver as s, http.server as h;\
 s.TCPServer.allow_reuse_address = True;\
 s.TCPServer(('', 18080), h.SimpleHTTPRequestHandler).serve_forever()"
    port: 18080
    env: {{GREETING: "{greeting}"}}
    health_check: {{tcp: {{port: 18080}}, interval: 0.2, retries: 50}}
    startup_timeout: 20
  worker:
    type: remote
    host: {h1}
    command: sleep 1000
  client:
    type: process
    command: python3 -c "import os, time, urllib.request as u; u.urlopen(os.environ['WEB']);\
 print('reached', flush=True); time.sleep(1000)"
    env: {{WEB: "http://${{web.ip}}:${{web.port}}/"}}
    depends_on: [web]
"""


def test_remote_process_lifecycle_and_local_dependant(
        hosts: list[SshHost], project_dir: tuple[Path, str]) -> None:
    directory, name = project_dir
    h0, h1, _ = hosts
    write_project(directory, name, hosts,
                  SERVICES.format(h0=h0.name, h1=h1.name, greeting="hello"))
    project = Project(directory)
    run, result = apply(project)
    assert result.ok, [r.message for r in result.results.values()]
    assert actions(run) == {f"process.web@{h0.name}": "create",
                            f"process.worker@{h1.name}": "create", "process.client": "create"}
    client = run.desired.resources[next(a for a in run.desired.resources
                                        if a.name == "client")]
    assert client.spec["env"]["WEB"] == f"http://{h0.address}:18080/"
    marks = h0.run("sh -c 'for f in /proc/[0-9]*/environ; do tr \"\\0\" \"\\n\" < $f "
                   "2>/dev/null | grep -q ^RECONCILER_ADDRESS=process.web@ && "
                   "tr \"\\0\" \"\\n\" < $f; done; true'").stdout
    assert f"RECONCILER_PROJECT={name}" in marks and "GREETING=hello" in marks

    again = Project(directory)
    noop = again.plan()
    assert {c.action for c in noop.plan.changes} == {Action.NOOP}
    by_host = {h: t for h, t in again.transports._open.items() if isinstance(t, SshTransport)}
    assert {h: t.round_trips for h, t in by_host.items()} == {h0.name: 1, h1.name: 1}
    again.transports.close()

    h1.run("pkill -KILL -x sleep")  # inside the host's own pid namespace only
    write_project(directory, name, hosts,
                  SERVICES.format(h0=h0.name, h1=h1.name, greeting="changed"))
    third = Project(directory)
    run, result = apply(third)
    assert result.ok, [r.message for r in result.results.values()]
    assert actions(run)[f"process.web@{h0.name}"] == "replace"
    assert actions(run)[f"process.worker@{h1.name}"] == "create"
    assert "drift" in next(c for c in run.plan.changes
                           if c.address.name == "worker").reason_text()
    third.transports.close()

    (directory / "services.yaml").write_text(f"name: {name}\nservices: {{}}\n")
    gone = Project(directory)
    gone.transports.configure_settings({"hosts": {h.name: {
        "address": h.address, "user": "root", "identity_file": str(h.key_path),
        "known_hosts": str(h.known_hosts_path)} for h in hosts}})
    run, result = apply(gone)
    assert result.ok, [r.message for r in result.results.values()]
    assert set(actions(run).values()) == {"delete"}
    assert h0.run("pgrep -f http.server", check=False).returncode == 1
    gone.transports.close()


def test_unreachable_host_fails_only_its_own_part(
        hosts: list[SshHost], project_dir: tuple[Path, str]) -> None:
    directory, name = project_dir
    services = (f"  up:\n    type: remote\n    host: {hosts[2].name}\n    command: sleep 1000\n"
                "  down:\n    type: remote\n    host: ghost\n    command: sleep 1000\n"
                "  here:\n    type: process\n    command: sleep 1000\n")
    write_project(directory, name, [hosts[2]], services, ghost=True)
    project = Project(directory)
    run, result = apply(project)
    assert actions(run)["process.down@ghost"] == "update"
    assert "host unreachable" in next(c for c in run.plan.changes
                                      if c.address.host == "ghost").reason_text()
    assert not result.ok
    assert result.results["process.down@ghost"].outcome == "failed"
    assert "unreachable" in result.results["process.down@ghost"].message
    assert result.results[f"process.up@{hosts[2].name}"].outcome == "applied"
    assert result.results["process.here"].outcome == "applied"
    project.transports.close()
    write_project(directory, name, [hosts[2]], services.split("  down:")[0]
                  + "  here:" + services.split("  here:")[1])
