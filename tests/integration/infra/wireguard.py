"""WireGuard for integration tests: wireguard-go interfaces inside namespace hosts.

The kernel here has no WireGuard module, so tests use the userspace wireguard-go, run in the
foreground (`-f`) so its pid is ours to stop. Its control socket lives in /var/run/wireguard,
which every namespace shares: interface names must be unique per machine, hence
`unique_ifname()` (`wgrcn<6 hex>`). Stopping wireguard-go removes its interface and socket;
`close()` also deletes either by name if one is left.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .netns_net import Manifest
from .procs import InfraError, run_quiet, start_time, stop_popen, wait_until

SOCKET_DIR = Path("/var/run/wireguard")


def unique_ifname() -> str:
    """An interface name no other test uses (15 characters at most, as Linux requires)."""
    return f"wgrcn{secrets.token_hex(3)}"


def available() -> str | None:
    """Why wireguard-go cannot be used here, or None when it can."""
    for tool in ("wireguard-go", "wg"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed"
    if not Path("/dev/net/tun").is_char_device():
        return "/dev/net/tun does not exist"
    return None


@dataclass(frozen=True)
class WgInterface:
    """A running wireguard-go interface `name` in network namespace `ns`."""

    name: str
    ns: str
    pid: int

    @property
    def socket_path(self) -> Path:
        return SOCKET_DIR / f"{self.name}.sock"

    def exists(self) -> bool:
        """True while the interface is present in its namespace."""
        return run_quiet(["ip", "-n", self.ns, "link", "show", self.name])


class WireguardLab:
    """Starts wireguard-go interfaces and stops each one by pid at `close()`."""

    def __init__(self, manifest: Manifest | None = None) -> None:
        """`manifest`: the run's record, so that a killed run's wireguard-go is reaped later."""
        self.manifest = manifest
        self._procs: dict[str, tuple[WgInterface, subprocess.Popen[bytes], IO[bytes]]] = {}

    def start(self, ns: str, ifname: str | None = None) -> WgInterface:
        """Start wireguard-go for a new interface in namespace `ns`; wait until it is up."""
        name = ifname or unique_ifname()
        if (SOCKET_DIR / f"{name}.sock").exists():
            raise InfraError(f"a wireguard-go socket for {name} already exists")
        env = {**os.environ, "WG_PROCESS_FOREGROUND": "1"}
        # Its output, read back only if it fails to start; closed by stop().
        log = tempfile.TemporaryFile()  # noqa: SIM115
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "wireguard-go", "-f", name],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True,
        )  # fmt: skip
        iface = WgInterface(name, ns, proc.pid)
        self._procs[name] = (iface, proc, log)
        if self.manifest is not None:
            self.manifest.add("pids", [proc.pid, start_time(proc.pid)])

        def ready() -> bool:
            if proc.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace").strip()
                raise InfraError(f"wireguard-go {name} in {ns} exited: {err}")
            return iface.socket_path.exists() and iface.exists()

        wait_until(ready, 15, f"wireguard-go interface {name} in {ns}")
        return iface

    def stop(self, iface: WgInterface) -> None:
        """Stop `iface`'s wireguard-go (by pid) and make sure interface and socket are gone."""
        _, proc, log = self._procs.pop(iface.name)
        started = start_time(proc.pid)
        stop_popen(proc)
        if self.manifest is not None:
            self.manifest.discard("pids", [proc.pid, started])
        log.close()
        if iface.exists():
            run_quiet(["ip", "-n", iface.ns, "link", "del", iface.name])
        iface.socket_path.unlink(missing_ok=True)

    def close(self) -> None:
        for iface, *_ in list(self._procs.values()):
            self.stop(iface)
