"""Secret handling: which values are secret, their keyed-hash markers, and redaction.

A secret value (an env var whose name matches :data:`SECRET_NAME_PATTERN`, or a value written
as ``{secret: ...}`` in the config) is replaced in every spec by ``(sensitive:<hmac12>)``,
an HMAC-SHA256 of the value under the project's secret key (never stored in the state: a
per-user key file or ``$RECONCILER_SECRET_KEY``, see reconciler/state/keys.py, so the same
value gives the same marker after the state is lost). The marker changes when the value
changes, so plans still show that a secret changed, without its value. The clear value is kept
only in memory (``Resource.secrets``, keyed by spec path such as ``env.DB_PASSWORD``) and is
handed to actuators at apply time through :func:`reveal_env`.

:func:`secret_values` is the one place that decides which clear values every redactor masks
(events, the state journal and audit log, plan and status output, the apply failure tail,
``logs``, ``watch`` and the dashboard).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any
from urllib.parse import unquote

SECRET_NAME_PATTERN = re.compile(
    r"(PASSWORD|PASSWD|TOKEN|SECRET|(^|_)KEY($|_)|PRIVATE|CREDENTIAL|API_KEY|_PAT$)",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:([^@/\s]+)@")
MARKER_PREFIX = "(sensitive:"
DEFAULT_KEY = b"reconciler-default-secret-key"


def is_secret_name(name: str) -> bool:
    """True when an env var name looks like it holds a secret."""
    return bool(SECRET_NAME_PATTERN.search(name))


def marker(value: str, key: bytes = DEFAULT_KEY) -> str:
    """The keyed-hash marker that stands for ``value`` in specs, plans and state."""
    digest = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:12]
    return f"{MARKER_PREFIX}{digest})"


def is_marker(value: object) -> bool:
    return isinstance(value, str) and value.startswith(MARKER_PREFIX) and value.endswith(")")


def reveal_env(env: Mapping[str, str], secrets: Mapping[str, str],
               prefix: str = "env.") -> dict[str, str]:
    """The env mapping with markers replaced by their clear values (apply time only)."""
    return {k: secrets.get(prefix + k, v) for k, v in env.items()}


def record_running_env(spec: MutableMapping[str, Any], running: Mapping[str, str],
                       clear: Mapping[str, str], different: str) -> None:
    """Set ``spec["env"]`` of an adopted object to what it runs with: of the configured keys
    the running object has, the configured value (a marker for a secret) where the running
    value is the configured clear one, else the running value, or ``different`` in place of a
    secret's. ``clear``: the configured env with secrets revealed."""
    env: dict[str, str] = {}
    for key, value in dict(spec.get("env") or {}).items():
        if key not in running:
            continue
        if running[key] == clear.get(key):
            env[key] = value
        else:
            env[key] = different if value != clear.get(key) else running[key]
    if env or "env" in spec:
        spec["env"] = env


def secret_values(resources: Iterable[Mapping[str, str]], env: Mapping[str, str]) -> set[str]:
    """Every clear value a project's redactors mask, from each resource's secrets (``{secret:
    ...}`` values, secret-named variables, values interpolated from them, keyed by spec path)
    and the interpolation ``env``: each secret, the password of every URL in one, and the own
    value of each secret-named variable that went into one (the password alone, out of the
    URL built from it)."""
    values = {v for secrets in resources for v in secrets.values()}
    found = set(values)
    for value in values:
        for password in _URL_PASSWORD.findall(value):
            found |= {password, unquote(password)}
    found |= {v for name, v in env.items()
              if is_secret_name(name) and v and any(v in s for s in values)}
    return found


class Redactor:
    """Replaces known clear secret values in free text (log lines, error messages)."""

    def __init__(self, values: Iterable[str] = ()):
        self._values: list[str] = []
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        """Mask ``values`` from now on, also as they appear quoted in JSON text."""
        found = {form for v in values if len(v) >= 3 for form in (v, json.dumps(v)[1:-1])}
        self._values = sorted(set(self._values) | found, key=len, reverse=True)

    def scrub(self, value: object) -> Any:
        """``value`` with every string in it (keys aside) redacted, through mappings and lists."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.scrub(v) for v in value)
        return value

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, "(sensitive)")
        return text
