"""Key handling rules: private keys are made ON the node and never leave it.

* A node's private key lives in ``/var/lib/reconciler/wireguard/<interface>/private.key``
  (directory 0700, file 0600), written by ``wg genkey`` run on the node itself. The engine
  never reads it: the interface is pointed at the file (``wg set <if> private-key <file>``),
  wg-quick files load it with ``PostUp``, and ``wg show <if> dump`` output has its first field
  (the private key) replaced by ``(hidden)`` on the node before the text is sent back.
* Public keys are observed facts (``wg show`` / the dump), checked with
  :func:`is_public_key` before use, and may appear in state and output.
* Rotation is explicit: ``reconciler apply --replace wireguard.<network>@<node>`` makes a new
  key on that node and installs the new public key on its peers (the old entry is removed).
* A node may instead name its own key file (``private_key_file:``, e.g. the wg-quick file
  an imported interface came from): :func:`key_from_file_script` reads the key out of it ON
  the node and pipes it into ``wg set`` (``/dev/stdin``); the same goes for a peer's
  ``preshared_key_file``. Preshared keys are blanked in the dump on the node like the
  private key.
* Or a node's key (``private_key:``) and a peer's preshared key (``preshared_key:``) come from
  a SOPS-encrypted file: the engine decrypts them in memory and sends them on the standard
  input of the apply script only (see ``render.stdin_prologue``); no key file is made.
* The directory also holds ``owner``: the ownership mark (scope and spec hash) that lets the
  engine re-adopt an interface after the state database was lost.
"""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Sequence

from reconciler.actuators.wireguard.spec import WireguardSpec

KEY_ROOT = "/var/lib/reconciler/wireguard"


def key_dir(interface: str) -> str:
    return f"{KEY_ROOT}/{interface}"


def private_key_path(interface: str) -> str:
    return f"{key_dir(interface)}/private.key"


def owner_path(interface: str) -> str:
    return f"{key_dir(interface)}/owner"


def is_public_key(text: str) -> bool:
    """True for the base64 text of a 32-byte Curve25519 key."""
    try:
        return len(base64.b64decode(text.strip(), validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def ensure_key_script(interface: str, *, rotate: bool = False) -> str:
    """Shell that makes the node's private key if it has none (or a new one: ``rotate``).

    The key is written with umask 077 to a temporary file and renamed, so a reader never
    sees a partial key; nothing is printed."""
    directory = shlex.quote(key_dir(interface))
    key = shlex.quote(private_key_path(interface))
    lines = [
        "umask 077",
        f"mkdir -p {directory}",
        f"chmod 700 {directory}",
    ]
    if rotate:
        lines.append(f"rm -f {key}")
    lines += [
        f"if [ ! -s {key} ]; then wg genkey > {key}.tmp && mv -f {key}.tmp {key}; fi",
        f"chmod 600 {key}",
    ]
    return "\n".join(lines)


def hidden_dump_script(interface: str) -> str:
    """``wg show <if> dump`` with the private key field and every peer's preshared key
    replaced by ``(hidden)`` on the node (a peer without one keeps ``(none)``)."""
    name = shlex.quote(interface)
    return (f"wg show {name} dump 2>/dev/null | {{ IFS= read -r head || exit 0; "
            "printf '(hidden)\\t%s\\n' \"${head#*\t}\"; "
            "awk -F'\\t' 'BEGIN {OFS=\"\\t\"} {if ($2 != \"(none)\") $2 = \"(hidden)\"; "
            "print}'; }")


# prints the value of `field` (in the [Peer] whose PublicKey is `peer`, if given) of a
# wg-quick file, or the first line of a bare key file; exits 1 when there is none
_EXTRACT = " ".join((
    'function value(line) { sub(/^[^=]*=[ \\t]*/, "", line);',
    'sub(/[ \\t]*(#.*)?\\r?$/, "", line); return line };',
    'function done_section() { if (peer == "" || cur == peer) { if (got != "") found = got } };',
    "NR == 1 { first = $0 };",
    '/^[ \\t]*\\[/ { done_section(); sections++; cur = ""; got = ""; next };',
    '{ split($0, kv, "="); k = tolower(kv[1]); gsub(/[ \\t]/, "", k) };',
    'k == "publickey" { cur = value($0) };',
    "k == field { got = value($0) };",
    'END { done_section(); if (found != "") print found; else if (!sections) print first;',
    "else exit 1 }"))


def remove_keys_script(interface: str) -> str:
    """Shell that deletes the node's key directory of ``interface`` (after the interface)."""
    return f"rm -rf {shlex.quote(key_dir(interface))}"


def key_from_file_script(path: str, field: str = "privatekey", peer: str = "") -> str:
    """Shell printing the key kept in ``path`` on the node (see :data:`_EXTRACT`)."""
    return (f"awk -v field={shlex.quote(field)} -v peer={shlex.quote(peer)} "
            f"{shlex.quote(_EXTRACT)} {shlex.quote(path)}")


def key_files(specs: Sequence[WireguardSpec]) -> dict[str, str]:
    """interface -> the node's own private key file, for specs that name one."""
    return {str(s["interface"]): str(s["private_key_file"]) for s in specs
            if s.get("private_key_file")}


def key_script(spec: WireguardSpec, rotate: bool) -> str:
    """Make the node's key (reconciler's own) or check its ``private_key_file`` is there."""
    name = str(spec["interface"])
    path = spec.get("private_key_file")
    if spec.get("private_key"):  # from sops: no key file, only the owner mark's directory
        return f"umask 077\nmkdir -p {shlex.quote(key_dir(name))}"
    if not path:
        return ensure_key_script(name, rotate=rotate)
    q = shlex.quote(str(path))
    return (f"mkdir -p {shlex.quote(key_dir(name))}\n"
            f"[ -s {q} ] || {{ echo 'private_key_file {path} is missing or empty' >&2; "
            "exit 1; }")
