"""SSH benchmark (issue 5), run by `just bench`: reconciler vs pyinfra vs Ansible, same run.

The job, on each of 1, 3 and 5 namespace hosts (tests/integration/infra: each host its own
network, PID and mount namespace with its own sshd; strict host key checking for every tool):
ensure a file (/srv/bench-<tool>/motd) and a long-running process (`sleep`) on every host.
Each tool gets fresh hosts' worth of paths of its own, runs the job cold (nothing there yet),
then `--repeats` times with nothing to do (no-op). Wall times are reported, never asserted.

reconciler does the file with a `type: package` service and the process with a `type: remote`
service, through `reconciler apply --auto-approve` (the `reconciler-file` row does the file
half alone, through the package actuator); after the cold run `plan
--detailed-exitcode` tells whether it converged (exit 0), which the report records.
pyinfra (`files.put` + `server.shell`) and Ansible (`copy` + `shell`, pipelining on, no fact
gathering) come from .bench-venv (scripts/bench.sh installs them). The processes live inside
the host namespaces and end with them; hosts are removed by pid and name, never by pattern.

Usage: python tests/benchmarks/bench_ssh.py [--peers .bench-venv/bin] [--sizes 1,3,5]
       [--repeats 3] [--out bench-results/ssh.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from infra.netns_hosts import SshHost, SshHostLab  # noqa: E402
from infra.netns_net import Network  # noqa: E402

RECONCILER = [sys.executable, "-m", "reconciler"]
MOTD = "managed by the SSH benchmark\n"


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
          ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env)
    took = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n"
                         f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return took, done.returncode


# -- the three tools --------------------------------------------------------------------------


def reconciler_job(work: Path, hosts: list[SshHost], *, process: bool = True) -> tuple[
        Callable[[], float], dict[str, object]]:
    pkg = work / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "manifest.toml").write_text('name = "motd"\nversion = "1"\n')
    (pkg / "motd").write_text(MOTD)
    lines = ["name: bench-ssh", "hosts:"]
    for h in hosts:
        lines += [f"  {h.name}:", f"    address: {h.address}", f"    user: {h.user}",
                  f"    identity_file: {h.key_path}", f"    known_hosts: {h.known_hosts_path}"]
    lines.append("services:")
    for h in hosts:
        lines += [f"  file-{h.name}:", "    type: package", f"    host: {h.name}",
                  "    package: ./pkg", "    install_path: /srv/bench-reconciler"]
        if process:
            lines += [f"  proc-{h.name}:", "    type: remote", f"    host: {h.name}",
                      '    command: "sleep 86402"', "    working_dir: /srv"]
    (work / "services.yaml").write_text("\n".join(lines) + "\n")
    cli = [*RECONCILER, "-C", str(work), "--no-color"]
    extra: dict[str, object] = {}

    def run() -> float:
        took, _ = timed([*cli, "apply", "--auto-approve"], work)
        if "converged" not in extra:
            _, code = timed([*cli, "plan", "--detailed-exitcode"], work, ok=(0, 2))
            extra["converged"] = code == 0
        return took

    return run, extra


def pyinfra_job(work: Path, hosts: list[SshHost], peers: Path) -> Callable[[], float]:
    (work / "motd").write_text(MOTD)
    entries = ", ".join(
        f'("{h.address}", {{"ssh_user": "{h.user}", "ssh_key": "{h.key_path}", '
        f'"ssh_known_hosts_file": "{h.known_hosts_path}", '
        '"ssh_strict_host_key_checking": "yes"})' for h in hosts)
    (work / "inventory.py").write_text(f"hosts = [{entries}]\n")
    (work / "deploy.py").write_text(
        "from pyinfra.operations import files, server\n"
        'files.directory(name="dir", path="/srv/bench-pyinfra")\n'
        'files.put(name="file", src="motd", dest="/srv/bench-pyinfra/motd")\n'
        f'server.shell(name="process", commands=[{_ensure_process("pyinfra", 86401)!r}])\n')
    argv = [str(peers / "pyinfra"), "-y", "inventory.py", "deploy.py"]
    return lambda: timed(argv, work)[0]


def ansible_job(work: Path, hosts: list[SshHost], peers: Path) -> Callable[[], float]:
    (work / "motd").write_text(MOTD)
    key = hosts[0].key_path
    known = hosts[0].known_hosts_path
    (work / "hosts.ini").write_text("[bench]\n" + "".join(
        f"{h.name} ansible_host={h.address} ansible_user={h.user}\n" for h in hosts) +
        f"[bench:vars]\nansible_ssh_private_key_file={key}\n"
        "ansible_python_interpreter=/usr/bin/python3\n")
    (work / "ansible.cfg").write_text(
        "[defaults]\nhost_key_checking = True\nforks = 10\n"
        "stdout_callback = ansible.builtin.minimal\n"
        "[ssh_connection]\npipelining = True\n"
        f"ssh_args = -o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes "
        "-o ControlMaster=auto -o ControlPersist=60s\n")
    (work / "play.yml").write_text(f"""- hosts: bench
  gather_facts: false
  tasks:
    - file: {{path: /srv/bench-ansible, state: directory}}
    - copy: {{src: motd, dest: /srv/bench-ansible/motd}}
    - shell: {json.dumps(_ensure_process("ansible", 86403))}
      register: started
      changed_when: "'running' not in started.stdout"
""")
    env = {**os.environ, "ANSIBLE_CONFIG": str(work / "ansible.cfg"), "LC_ALL": "C.UTF-8",
           "ANSIBLE_LOCAL_TEMP": str(work / "tmp"), "ANSIBLE_SSH_CONTROL_PATH_DIR":
           str(work / "cp"), "ANSIBLE_HOME": str(work / "home")}
    argv = [str(peers / "ansible-playbook"), "-i", "hosts.ini", "play.yml"]
    return lambda: timed(argv, work, env)[0]


def _ensure_process(tool: str, seconds: int) -> str:
    """Shell that starts `sleep` once and records its pid; says 'running' when it runs."""
    pid = f"/srv/bench-{tool}/pid"
    return (f'if [ -f {pid} ] && kill -0 "$(cat {pid})" 2>/dev/null; then echo running; '
            f"else nohup setsid sleep {seconds} >/dev/null 2>&1 </dev/null & echo $! > {pid}; "
            "echo started; fi")


# -- driver -----------------------------------------------------------------------------------


def measure(run: Callable[[], float], repeats: int) -> dict[str, float]:
    cold = run()
    noop = [run() for _ in range(repeats)]
    return {"cold_s": round(cold, 3), "noop_s": round(statistics.median(noop), 3),
            "noop_min_s": round(min(noop), 3)}


def bench_size(lab: SshHostLab, size: int, peers: Path, repeats: int,
               tools: list[str]) -> dict[str, object]:
    hosts = lab.make_hosts(size)
    row: dict[str, object] = {"hosts": size}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ssh-") as tmp:
            for tool in tools:
                work = Path(tmp) / tool
                work.mkdir()
                extra: dict[str, object] = {}
                if tool.startswith("reconciler"):
                    run, extra = reconciler_job(work, hosts, process=tool == "reconciler")
                elif tool == "pyinfra":
                    run = pyinfra_job(work, hosts, peers)
                else:
                    run = ansible_job(work, hosts, peers)
                try:
                    row[tool] = {**measure(run, repeats), **extra}
                except SystemExit as exc:  # one tool failing must not hide the others
                    row[tool] = {"error": str(exc)[-1500:]}
                print(f"{size} host(s) {tool}: {row[tool]}", file=sys.stderr)
    finally:
        for host in hosts:
            lab.remove(host)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=Path, default=ROOT / ".bench-venv" / "bin")
    parser.add_argument("--sizes", default="1,3,5")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tools", default="reconciler,reconciler-file,pyinfra,ansible")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "ssh.json")
    args = parser.parse_args()
    args.peers = args.peers.resolve()  # the tools run in their own work directories
    network = Network()
    try:
        lab = SshHostLab(network)
        try:
            rows = [bench_size(lab, int(n), args.peers, args.repeats, args.tools.split(","))
                    for n in args.sizes.split(",")]
        finally:
            lab.close()
    finally:
        network.close()
    versions = {"pyinfra": _version([str(args.peers / "pyinfra"), "--version"]),
                "ansible": _version([str(args.peers / "ansible-playbook"), "--version"])}
    report = {"benchmark": "ssh", "job": "ensure a file and a long-running process per host",
              "repeats": args.repeats, "peers": versions, "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def _version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except OSError:
        return "missing"
    return (done.stdout.strip().splitlines() or ["?"])[0]


if __name__ == "__main__":
    main()
