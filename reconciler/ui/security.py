"""Who may talk to the dashboard: the listen address rules, the access token and CSRF.

Pure (no I/O beyond reading a token file): a non-loopback listen address needs TLS files or an
explicit ``--insecure``; every request carries the token (query ``?token=``, the cookie set on
the first visit, or ``Authorization: Bearer``), compared in constant time; actions are POSTs
whose ``X-CSRF-Token`` header matches a token derived from the access token.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import UserError

COOKIE = "reconciler_ui"


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_listen(text: str) -> Listen:
    """``HOST:PORT`` (``[v6]:PORT`` for IPv6) -> :class:`Listen`; UserError when malformed."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host or not 0 <= int(port) <= 65535:
        raise UserError(f"bad --listen address {text!r}", hint="use HOST:PORT, "
                        "e.g. 127.0.0.1:8765")
    return Listen(host.strip("[]"), int(port))


def check_exposure(listen: Listen, *, tls: bool, insecure: bool) -> None:
    """Refuse a non-loopback address served over plain HTTP unless ``--insecure`` says so."""
    if not listen.loopback and not tls and not insecure:
        raise UserError(f"refusing to serve the dashboard on {listen.host} without TLS",
                        hint="pass --tls-cert and --tls-key, or --insecure to accept "
                             "plain HTTP on a non-loopback address")


def load_token(token_file: Path | None) -> str:
    """The access token: the first line of ``token_file``, else a fresh random one."""
    if token_file is None:
        return secrets.token_urlsafe(24)
    try:
        token = token_file.read_text().strip()
    except OSError as exc:
        raise UserError(f"cannot read the token file {token_file}: {exc.strerror}",
                        hint="pass a readable file holding the token") from exc
    if len(token) < 16:
        raise UserError(f"the token in {token_file} is too short ({len(token)} characters)",
                        hint="use at least 16 random characters")
    return token


@dataclass(frozen=True)
class Guard:
    """Checks an access token and a CSRF token against the server's secret."""

    token: str

    def valid(self, candidate: str | None) -> bool:
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode(), self.token.encode())

    @property
    def csrf(self) -> str:
        return hmac.new(self.token.encode(), b"csrf", hashlib.sha256).hexdigest()

    def csrf_valid(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(str(candidate).encode(),
                                                       self.csrf.encode())

    def request_token(self, query: str | None, cookie: str | None,
                      authorization: str | None) -> str | None:
        """The first presented token that is valid, else None."""
        bearer = authorization[7:] if authorization and authorization.startswith("Bearer ") \
            else None
        for candidate in (query, cookie, bearer):
            if self.valid(candidate):
                return candidate
        return None
