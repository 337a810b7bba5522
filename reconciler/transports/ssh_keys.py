"""SSH host keys: refuse unknown keys while connecting, and ``reconciler hosts trust``.

:func:`reject_unknown` is the paramiko policy the SSH transport connects with: a key that is
not in known_hosts raises :class:`UnknownHostKey` (the transport turns it into a clear
HostUnreachable with the fingerprint). :func:`fetch_host_key` asks a host for its public key
without authenticating; :func:`record_host_key` writes it into the host's known_hosts file,
replacing an older key of the same type for that host. Only public keys are handled here.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import HostUnreachable
from reconciler.model.topology import HostSpec, fingerprint, known_hosts_entry

if TYPE_CHECKING:  # paramiko has no types: named for the reader
    import paramiko


class UnknownHostKey(Exception):
    def __init__(self, key: paramiko.PKey):
        super().__init__("unknown host key")
        self.key = key


def reject_unknown() -> paramiko.MissingHostKeyPolicy:
    """A paramiko MissingHostKeyPolicy that refuses every unknown key."""
    import paramiko

    class Reject(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]
        def missing_host_key(self, client: object, hostname: str, key: object) -> None:
            raise UnknownHostKey(key)

    return Reject()


@dataclass(frozen=True)
class HostKey:
    """A host's public key as offered on the wire (public: safe to show)."""

    key_type: str
    blob_b64: str
    fingerprint: str


def fetch_host_key(spec: HostSpec) -> HostKey:
    """Ask the host for its key (no authentication, nothing trusted yet)."""
    import paramiko

    try:
        sock = socket.create_connection((spec.address, spec.port or 22),
                                        timeout=spec.connect_timeout)
    except OSError as exc:
        raise HostUnreachable(f"host {spec.name} ({spec.address}:{spec.port or 22}) "
                              f"unreachable: {exc.strerror or exc}",
                              hint="check that the host is up and sshd listens there") from None
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=spec.connect_timeout)
        key = transport.get_remote_server_key()
    except (OSError, EOFError, paramiko.SSHException) as exc:
        raise HostUnreachable(f"host {spec.name}: no SSH host key: {exc}") from None
    finally:
        transport.close()
    return HostKey(key.get_name(), key.get_base64(), fingerprint(key.asbytes()))


def record_host_key(spec: HostSpec, key: HostKey) -> Path:
    """Write ``key`` into the host's known_hosts file, replacing older keys of its type."""
    path = Path(os.path.expanduser(spec.known_hosts_file()))
    entry = known_hosts_entry(spec.address, spec.port)
    lines = path.read_text().splitlines() if path.exists() else []
    kept = [line for line in lines
            if not (line.split()[:1] == [entry] and line.split()[1:2] == [key.key_type])]
    kept.append(f"{entry} {key.key_type} {key.blob_b64}")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text("\n".join(kept) + "\n")
    return path
