"""The console examples of the pages whose commands need remote hosts (issue 30): hosts.md and
wireguard.md against namespace hosts (the `ssh_lab` fixture, 198.18.0.0/15; overlay
198.19.0.0/16), clusters.md against the tests' three-node swarm (the `swarm` fixture, started
once for the page). The harness is test_docs_examples.py's (`Page`, `check_page`, the
`sandbox` fixture); the contexts here write the page's project with the fixture's addresses.

Where the page shows addresses that are not the fixture's, ``paths`` maps both to one
placeholder, explicitly per page: hosts.md's web1 (``198.18.7.11``, user ``deploy``) is the
namespace host (root); clusters.md's manager socket (``unix:///run/m.sock``), its nodes'
subnet (``198.18.104.``), the walkthrough's project directory, and the progress lines of its
two services, which apply in parallel (either order). clusters.md's walkthrough runs as one
sequence on one swarm: its hidden steps are the env change before the third `plan` block and
the `watch` started before the scale it heals (ended with Ctrl-C in the watch block).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from infra.docs_sandbox import ROOT, Sandbox
from infra.netns_hosts import SshHost, SshHostLab
from infra.swarm import SwarmLab
from test_docs_examples import Page, check_page
from testing.doc_examples import blocks, missing

KEY_ROOT = Path("/var/lib/reconciler/wireguard")
SOCKETS = Path("/var/run/wireguard")


def _known_hosts(box: Sandbox, lab: SshHostLab) -> Path:
    """A copy of the lab's known_hosts: `hosts trust` writes only to the sandbox's."""
    copy = box.tmp / "known_hosts"
    shutil.copy(lab.known_hosts_path, copy)
    return copy


def _hosts_project(box: Sandbox, lab: SshHostLab, host: SshHost) -> Path:
    project = box.tmp / "site"
    project.mkdir()
    data = {"name": "site", "settings": {"known_hosts": str(_known_hosts(box, lab))},
            "hosts": {"web1": {"address": host.address, "user": "root",
                               "identity_file": str(host.key_path), "labels": {"role": "web"}}}}
    (project / "services.yaml").write_text(json.dumps(data, indent=2))
    box.projects.append((project, "site"))
    return project


def test_hosts_page(sandbox: Sandbox, ssh_lab: SshHostLab,
                    ssh_hosts: Callable[[int], list[SshHost]]) -> None:
    [host] = ssh_hosts(1)
    page = Page("docs/hosts.md", lambda box: _hosts_project(box, ssh_lab, host),
                run=("reconciler hosts list            # name, address:port, user, sudo, "
                     "networks, labels (--json)", "reconciler hosts list"),
                # the page's web1 (198.18.7.11, user deploy) is the namespace host (root)
                paths={host.address: "<WEB1>", "198.18.7.11": "<WEB1>", "deploy": "<USER>",
                       host.user: "<USER>"},
                variants={"reconciler hosts test [NAME]     # connect + one round trip per "
                          "host, in parallel; exit 1 on failure": "reconciler hosts test web1",
                          "reconciler hosts facts NAME      # OS, kernel, arch, distro, user, "
                          "docker, wireguard, addresses": "reconciler hosts facts web1",
                          # stdin is not a terminal: the page's --yes
                          "reconciler hosts trust NAME      # show the key fingerprint, record "
                          "it (--yes: do not ask)": "reconciler hosts trust web1 --yes"})
    failures = check_page(page, sandbox)
    assert not failures, "\n\n".join(failures)


# --- wireguard.md ----------------------------------------------------------------------------


def _mesh_project(box: Sandbox, lab: SshHostLab, hosts: list[SshHost]) -> Path:
    """The page's mesh (web1, web2, db1 with db1 pinned) on namespace hosts; interfaces
    named per run (several nodes share one machine: the page's troubleshooting)."""
    project = box.tmp / "mesh"
    project.mkdir()
    octet = lab.network.octet
    nodes = [{"host": h.address, "name": name, "ssh_user": "root", "ssh_key": str(h.key_path)}
             for h, name in zip(hosts, ("web1", "web2", "db1"), strict=True)]
    nodes[2]["address"] = f"198.19.{octet}.10"
    data = {"name": "wgdocs", "settings": {"known_hosts": str(_known_hosts(box, lab))},
            "networks": {"mesh": {"type": "wireguard", "subnet": f"198.19.{octet}.0/24",
                                  "persistent_keepalive": 25,
                                  "interface": f"wg{octet}{{node}}", "nodes": nodes}}}
    (project / "services.yaml").write_text(json.dumps(data, indent=2))
    box.projects.append((project, "wgdocs"))
    return project


@pytest.fixture
def wg_names(ssh_lab: SshHostLab) -> Iterator[list[tuple[SshHost, str]]]:
    """(host, interface) pairs whose interface, key dir and socket are removed at the end."""
    made: list[tuple[SshHost, str]] = []
    yield made
    for host, name in made:
        subprocess.run(["ip", "-n", host.ns, "link", "del", name], capture_output=True,
                       timeout=30, check=False)
        shutil.rmtree(KEY_ROOT / name, ignore_errors=True)
        (SOCKETS / f"{name}.sock").unlink(missing_ok=True)


def test_wireguard_page(sandbox: Sandbox, ssh_lab: SshHostLab,
                        ssh_hosts: Callable[[int], list[SshHost]], wireguard_available: bool,
                        wg_names: list[tuple[SshHost, str]]) -> None:
    hosts = ssh_hosts(3)
    wg_names.extend((h, f"wg{ssh_lab.network.octet}{n}")
                    for h, n in zip(hosts, ("web1", "web2", "db1"), strict=True))
    page = Page("docs/wireguard.md", lambda box: _mesh_project(box, ssh_lab, hosts),
                run=("reconciler plan                 # + wireguard.mesh@web1 ... (new)",))
    failures = check_page(page, sandbox)
    assert not failures, "\n\n".join(failures)


# --- clusters.md -----------------------------------------------------------------------------

SHOP = (ROOT / "scripts" / "swarm_walkthrough.py").read_text().split('SERVICES = """\\\n')[1]
SHOP = SHOP.split('"""')[0]  # the page's services.yaml, as the walkthrough wrote it
WATCH_PID = "watch.pid"
SCALE2 = "docker -H $MANAGER service scale --detach shop_web=2"


def _shop(box: Sandbox, swarm: SwarmLab) -> Path:
    """The walkthrough's project `shop` on the swarm, outside any session (the swarm is the
    test's own; the page's names are `shop_web`, `"session": null`)."""
    project = box.tmp / "shop"
    project.mkdir()
    (project / "services.yaml").write_text(SHOP.format(
        docker_host=swarm.manager.docker_host, image="reconciler-test/busybox:1",
        greeting="hello"))
    box.projects.append((project, "shop"))
    box.quickstart()  # `-C examples/quickstart` (from the sandbox root)
    box.example(ROOT / "examples" / "kubernetes", box.tmp / "examples" / "kubernetes", "k8s")
    box.env.pop("RECONCILER_SESSION")
    box.env["MANAGER"] = swarm.manager.docker_host
    return project


# the page's one block without a command: the stderr of an export the prose runs
NOTE = next(b.key for b in blocks((ROOT / "docs" / "clusters.md").read_text())
            if not b.commands)
EXPORT = ("reconciler export kubernetes                    # one YAML stream on stdout, "
          "`---` separated")


def _stop_watch(box: Sandbox) -> None:
    """The page's watch, when a failure left it running: SIGKILL by its pid (if that pid is
    still our `reconciler ... watch`)."""
    pidfile = box.tmp / "shop" / WATCH_PID
    with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
        pid = int(pidfile.read_text().strip())
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"reconciler" in argv and b"watch" in argv:
            os.kill(pid, signal.SIGKILL)


def cluster_paths(swarm: SwarmLab) -> dict[str, str]:
    net = swarm.manager.address.rsplit(".", 1)[0] + "."
    host = socket.gethostname()
    return {swarm.manager.docker_host: "<MANAGER>", "unix:///run/m.sock": "<MANAGER>",
            net: "<NET>.", "198.18.104.": "<NET>.", f"{host}@": "<HOST>@", "vm@": "<HOST>@",
            "/tmp/walk-6xcv361u/shop": "<PROJECT>",
            # the two services are applied in parallel: their progress lines in any order
            **{f"swarm_service.{name}: {verb}": f"swarm_service.<S>: {verb}"
               for name in ("web", "worker") for verb in ("Creat", "Destr")}}


def test_clusters_page(sandbox: Sandbox, swarm: SwarmLab) -> None:
    edit = "sed -i 's/GREETING: hello/GREETING: bonjour/' services.yaml"
    page = Page(
        "docs/clusters.md", lambda box: _shop(box, swarm),
        run=("reconciler plan", "reconciler apply --auto-approve", "reconciler status",
             "docker -H $MANAGER service scale shop_web=1", "reconciler status --json",
             "docker -H $MANAGER service rm shop_worker", SCALE2,
             "reconciler watch --interval 5    # output of the watch, ended with Ctrl-C",
             "reconciler destroy --auto-approve",
             EXPORT,
             "reconciler -C examples/quickstart export kubernetes"),
        excepted={NOTE: "the stderr of the prose's `reconciler -C examples/kubernetes export "
                        "kubernetes --secrets=external`, no command: compared by "
                        "test_clusters_export_note"},
        variants={
            # watch started before the scale block (hidden `before`), ended with Ctrl-C here
            "reconciler watch --interval 5    # output of the watch, ended with Ctrl-C":
                f"(sleep 17; w=$(cat {WATCH_PID}); kill -INT $w; "
                "while kill -0 $w 2>/dev/null; do sleep 0.5; done; cat watch.out)"},
        before={SCALE2: [f"reconciler watch --interval 5 > watch.out 2>&1 & echo $! > "
                         f"{WATCH_PID}; sleep 3"],
                # the export blocks: in examples/kubernetes (the page's "Real output")
                EXPORT: ["cd ../examples/kubernetes"],
                "reconciler -C examples/quickstart export kubernetes": ["cd ../.."],
                # the third `reconciler plan` block follows the page's env change
                "reconciler plan": [f"n=$(cat .plans 2>/dev/null || echo 0); "
                                    f"echo $((n + 1)) > .plans; [ $n != 2 ] || {edit}"]},
        paths=cluster_paths(swarm))
    try:
        failures = check_page(page, sandbox)
    finally:
        _stop_watch(sandbox)
    assert not failures, "\n\n".join(failures)


def test_clusters_export_note(sandbox: Sandbox) -> None:
    """The stderr clusters.md shows for examples/kubernetes exported with --secrets=external."""
    [note] = [b for b in blocks((ROOT / "docs" / "clusters.md").read_text()) if b.key == NOTE]
    sandbox.example(ROOT / "examples" / "kubernetes", sandbox.tmp / "examples" / "kubernetes",
                    "shop")
    [ran] = sandbox.run(["reconciler -C examples/kubernetes export kubernetes "
                         "--secrets=external 2>&1 >/dev/null"])
    assert ran.code == 0, ran.output
    assert not missing(note.shown[0], ran.output, {}), ran.output
