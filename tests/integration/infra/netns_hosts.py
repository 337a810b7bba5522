"""SSH test hosts: each one a network namespace plus a pid/mount/uts namespace whose PID 1 is sshd.

A host looks like a separate machine to whoever logs in: its own hostname, its own /proc (pgrep
sees only its processes), a private /srv, its own address 198.18.X.(10+i) on the run's bridge and
its own sshd with its own host key, key-only root login (prohibit-password) and no PAM. The client
key is an ed25519 key generated for the run; every host key goes into the run's known_hosts file,
so tests keep strict host key checking on. Killing the `unshare` process (by pid) ends the host.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .netns_net import Network
from .procs import InfraError, kill_pid, run, start_time, wait_until

SSHD = "/usr/sbin/sshd"
SSHD_CONFIG = """\
Port 22
ListenAddress 0.0.0.0
HostKey {dir}/ssh_host_ed25519_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {authorized_keys}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 64
Subsystem sftp internal-sftp
"""


@dataclass(frozen=True, kw_only=True)
class SshHost:
    """One test host, reachable from the root namespace and from the other hosts."""

    name: str
    address: str
    port: int = 22
    user: str = "root"
    key_path: Path
    known_hosts_path: Path
    ns: str
    private_dir: Path
    pid: int = field(default=0, compare=False)

    def ssh_argv(self, *command: str, known_hosts: Path | None = None) -> list[str]:
        """The `ssh` command line that runs `command` here with strict host key checking."""
        return [
            "ssh", "-F", "/dev/null", "-i", str(self.key_path),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
            "-o", f"UserKnownHostsFile={known_hosts or self.known_hosts_path}",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
            "-p", str(self.port), f"{self.user}@{self.address}", *command,
        ]  # fmt: skip

    def run(
        self, *command: str, check: bool = True, timeout: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        """Run `command` on the host over ssh; raises CalledProcessError when `check` fails."""
        return subprocess.run(
            self.ssh_argv(*command), capture_output=True, text=True, timeout=timeout, check=check
        )


def _keygen(path: Path, comment: str) -> str:
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return path.with_suffix(".pub").read_text().strip()


def _banner_ready(address: str) -> bool:
    try:
        with socket.create_connection((address, 22), timeout=1) as conn:
            return conn.recv(4).startswith(b"SSH-")
    except OSError:
        return False


class SshHostLab:
    """Builds hosts on one `Network`; `close()` ends every host it started."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.dir = network.dir
        self.key_path = self.dir / "id_ed25519"
        self.known_hosts_path = self.dir / "known_hosts"
        self.authorized_keys = self.dir / "authorized_keys"
        client_key = _keygen(self.key_path, f"{network.run_id}-client")
        self.authorized_keys.write_text(client_key + "\n")
        self.authorized_keys.chmod(0o600)
        self.known_hosts_path.write_text("")
        self._count = 0
        self._hosts: dict[str, tuple[SshHost, subprocess.Popen[bytes], int, int | None]] = {}

    def make_hosts(self, n: int) -> list[SshHost]:
        """Start `n` new hosts (in parallel) and wait until each one's sshd answers."""
        started: list[SshHost] = []
        for _ in range(n):
            self._count += 1
            started.append(self._start(self._count))
        for host in started:
            proc = self._hosts[host.name][1]

            def ready(host: SshHost = host, proc: subprocess.Popen[bytes] = proc) -> bool:
                if proc.poll() is not None:
                    log = (self.dir / host.name / "sshd.log").read_text()[-2000:]
                    raise InfraError(f"sshd of {host.name} exited: {log}")
                return _banner_ready(host.address)

            wait_until(ready, 20, f"sshd on {host.name} ({host.address}:22)")
        return started

    def _start(self, index: int) -> SshHost:
        name = f"{self.network.run_id}h{index}"
        hdir = self.dir / name
        private = hdir / "srv"
        private.mkdir(parents=True)
        address = self.network.add_namespace(name, index)
        host_key = _keygen(hdir / "ssh_host_ed25519_key", name)
        key_type, key_b64 = host_key.split()[:2]
        with self.known_hosts_path.open("a") as known:
            known.write(f"{address} {key_type} {key_b64}\n")
        config = hdir / "sshd_config"
        config.write_text(SSHD_CONFIG.format(dir=hdir, authorized_keys=self.authorized_keys))
        script = f"hostname {name} && mount --bind {private} /srv && exec {SSHD} -D -e -f {config}"
        argv = ["ip", "netns", "exec", name, "unshare", "--pid", "--fork", "--kill-child",
                "--mount-proc", "--uts", "sh", "-c", script]  # fmt: skip
        with (hdir / "sshd.log").open("wb") as log:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        started = start_time(proc.pid)
        self.network.manifest.add("pids", [proc.pid, started])
        host = SshHost(
            name=name, address=address, key_path=self.key_path,
            known_hosts_path=self.known_hosts_path, ns=name, private_dir=private, pid=proc.pid,
        )  # fmt: skip
        self._hosts[name] = (host, proc, index, started)
        return host

    def remove(self, host: SshHost) -> list[str]:
        """End `host` (kill its unshare process by pid) and delete its namespace and veth."""
        _, proc, index, started = self._hosts.pop(host.name)
        if proc.poll() is None:  # our unreaped child: its pid cannot have been reused
            kill_pid(proc.pid, None)
        proc.wait()
        self.network.manifest.discard("pids", [proc.pid, started])
        problems = self.network.remove_namespace(host.ns, index)
        shutil.rmtree(self.dir / host.name, ignore_errors=True)
        return problems

    def close(self) -> list[str]:
        problems: list[str] = []
        for host, *_ in list(self._hosts.values()):
            problems += self.remove(host)
        return problems
