"""The swarm walkthrough of docs/clusters.md, run for real: start the tests' three-node swarm
(tests/integration/infra/swarm.py), then plan / apply / status / plan / a service scaled by
hand / plan / apply / destroy on a small project, printing each command and its output.

Needs root, dockerd and the image reconciler-test/busybox:1 (scripts/setup-test-env.sh). The
swarm is removed at the end. Usage: python scripts/swarm_walkthrough.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from infra.swarm import SwarmLab  # noqa: E402

IMAGE = "reconciler-test/busybox:1"
SERVICES = """\
name: shop
clusters:
  lab:
    type: swarm
    docker_host: {docker_host}
services:
  web:
    type: docker
    cluster: lab
    image: {image}
    command: [httpd, -f, -p, "80", -h, /]
    init: true
    env: {{GREETING: {greeting}}}
    replicas: 3
    ports: ["8080:80"]
    publish_mode: host
    update: {{parallelism: 1, delay: 1, order: stop-first, failure_action: rollback}}
  worker:
    type: docker
    cluster: lab
    image: {image}
    command: [sleep, "86400"]
    init: true
    replicas: 2
    constraints: [node.role==worker]
"""


def show(argv: list[str], cwd: Path, lab: SwarmLab) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    shown = " ".join(argv).replace(sys.executable + " -m reconciler", "reconciler")
    shown = shown.replace(lab.manager.docker_host, "$MANAGER")
    print(f"$ {shown}")
    text = (done.stdout + done.stderr).replace(lab.manager.docker_host, "unix:///run/m.sock")
    print(text.rstrip())
    if done.returncode not in (0, 2):
        print(f"(exit {done.returncode})")
    print()


def watch_for(seconds: float, argv: list[str], cwd: Path, lab: SwarmLab,
              during: list[str]) -> None:
    """Run `reconciler watch` for `seconds`, running `during` (a docker command) meanwhile;
    Ctrl-C (SIGINT, by its pid) ends it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            time.sleep(3)
            show(during, cwd, lab)
            time.sleep(seconds)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
        log.seek(0)
        shown = " ".join(argv).replace(sys.executable + " -m reconciler", "reconciler")
        print(f"$ {shown}    # output of the watch, ended with Ctrl-C")
        print(log.read().rstrip())
        print()


def main() -> None:
    lab = SwarmLab(IMAGE)
    try:
        with tempfile.TemporaryDirectory(prefix="walk-") as tmp:
            project = Path(tmp) / "shop"
            project.mkdir()

            def write(greeting: str) -> None:
                (project / "services.yaml").write_text(SERVICES.format(
                    docker_host=lab.manager.docker_host, image=IMAGE, greeting=greeting))

            rcn = [sys.executable, "-m", "reconciler", "--no-color"]
            write("hello")
            for args in (["plan"], ["apply", "--auto-approve"], ["status"], ["plan"]):
                show([*rcn, *args], project, lab)
            write("bonjour")
            show([*rcn, "plan"], project, lab)
            show([*rcn, "apply", "--auto-approve"], project, lab)
            show(["docker", "-H", lab.manager.docker_host, "service", "scale", "shop_web=1"],
                 project, lab)
            for args in (["plan"], ["status", "--json"], ["apply", "--auto-approve"],
                         ["status"]):
                show([*rcn, *args], project, lab)
            show(["docker", "-H", lab.manager.docker_host, "service", "rm", "shop_worker"],
                 project, lab)
            show([*rcn, "plan"], project, lab)
            show([*rcn, "apply", "--auto-approve"], project, lab)
            watch_for(20, [*rcn, "watch", "--interval", "5"], project, lab,
                      ["docker", "-H", lab.manager.docker_host, "service", "scale",
                       "--detach", "shop_web=2"])
            for args in (["status"], ["destroy", "--auto-approve"]):
                show([*rcn, *args], project, lab)
    finally:
        lab.close()


if __name__ == "__main__":
    main()
