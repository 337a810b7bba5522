"""Round trips to a WireGuard node: run a script and report its interfaces in the same trip.

:func:`report_of` observes interfaces; :func:`run_and_host_report` runs ``set -e`` steps
then observes. Keys from sops travel only on the script's standard input: the ``secrets``
mapping (shell variable -> clear key, see :func:`private_key` and :func:`preshared_keys`)
is read by the script's prologue before any step runs, so no key is in a command line, an
environment or a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.actuators.wireguard.parse import HostReport, InterfaceReport, parse_report
from reconciler.actuators.wireguard.render import (
    PRIVATE_KEY_VAR,
    observe_script,
    stdin_prologue,
)
from reconciler.actuators.wireguard.spec import WireguardSpec, secret_path
from reconciler.errors import TerminalError, TransientError
from reconciler.model.types import Resource
from reconciler.transports.base import Transport

HINT = "check that wireguard-tools (and wireguard-go without the kernel module) are installed"


def run(transport: Transport, script: str, what: str, stdin: Sequence[str] = ()) -> str:
    """Run ``script``; ``stdin`` are the lines (keys from sops) its prologue reads."""
    data = "".join(f"{line}\n" for line in stdin).encode() if stdin else None
    done = transport.run(["sh", "-c", script], timeout=60, input=data)
    if not done.ok:
        detail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise TerminalError(f"{what} on {transport.host} failed: {detail[0]}", hint=HINT)
    return done.stdout


def run_and_report(transport: Transport, steps: Sequence[str], interface: str,
                    what: str, key_files: Mapping[str, str] | None = None) -> InterfaceReport:
    """Run ``steps`` (silent shell) and report ``interface`` after them: one round trip."""
    return run_and_host_report(transport, steps, interface, what,
                                key_files).interfaces[interface]


def run_and_host_report(transport: Transport, steps: Sequence[str], interface: str,
                         what: str, key_files: Mapping[str, str] | None = None,
                         secrets: Mapping[str, str] | None = None) -> HostReport:
    """``secrets``: shell variable -> clear key, read from stdin before the steps run."""
    script = "\n".join(["set -e", stdin_prologue(list(secrets or {})), *steps, "set +e",
                         observe_script([interface], key_files)])
    return parse_report(run(transport, script, what, list((secrets or {}).values())))


def report_of(transport: Transport, interfaces: Sequence[str],
              key_files: Mapping[str, str] | None = None) -> HostReport:
    """One round trip: everything about ``interfaces`` on the transport's host."""
    done = transport.run(["sh", "-c", observe_script(interfaces, key_files)], timeout=60)
    if not done.ok:
        raise TransientError(f"observing WireGuard on {transport.host} failed: "
                             f"exit {done.returncode}", retry_after=1.0, hint=HINT)
    return parse_report(done.stdout)


def secret(resource: Resource, path: str) -> str:
    value = resource.secrets.get(path)
    if not value:
        raise TerminalError(f"{resource.address}: the key from sops ({path}) was not decrypted",
                            hint="give the age key (--age-key-file, SOPS_AGE_KEY_FILE or "
                                 "SOPS_AGE_KEY)")
    return value


def private_key(spec: WireguardSpec, resource: Resource) -> dict[str, str]:
    """The prologue variable of the node's key from sops (none for other nodes)."""
    return {PRIVATE_KEY_VAR: secret(resource, secret_path())} if spec.get("private_key") \
        else {}


def preshared_keys(spec: WireguardSpec, resource: Resource) -> dict[str, str]:
    """shell variable -> public key of each external peer whose preshared key is from sops
    (the clear key is looked up when the script is sent)."""
    return {f"wg_psk_{index}": p["public_key"]
            for index, p in enumerate(spec.get("external_peers", [])) if p.get("preshared_key")}
