"""The dashboard's pure rules: listen addresses, exposure, tokens, CSRF, masking, the hub."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.errors import UserError
from reconciler.ui.hub import Hub
from reconciler.ui.security import Guard, check_exposure, load_token, parse_listen
from reconciler.ui.views import layers, scrub


def test_listen_parsing_and_loopback() -> None:
    assert parse_listen("127.0.0.1:8765").loopback
    assert parse_listen("[::1]:80").loopback
    assert parse_listen("localhost:1").loopback
    assert not parse_listen("198.18.0.1:8765").loopback
    for bad in ("8765", "host:", ":80", "h:99999"):
        with pytest.raises(UserError):
            parse_listen(bad)


def test_non_loopback_needs_tls_or_insecure() -> None:
    public = parse_listen("198.18.0.1:8765")
    with pytest.raises(UserError, match="without TLS"):
        check_exposure(public, tls=False, insecure=False)
    check_exposure(public, tls=True, insecure=False)
    check_exposure(public, tls=False, insecure=True)
    check_exposure(parse_listen("127.0.0.1:1"), tls=False, insecure=False)


def test_tokens_and_csrf(tmp_path: Path) -> None:
    assert len(load_token(None)) >= 24 and load_token(None) != load_token(None)
    (tmp_path / "t").write_text("x" * 20 + "\n")
    assert load_token(tmp_path / "t") == "x" * 20
    (tmp_path / "short").write_text("abc")
    with pytest.raises(UserError, match="too short"):
        load_token(tmp_path / "short")
    guard = Guard("x" * 20)
    assert guard.valid("x" * 20) and not guard.valid("y" * 20) and not guard.valid(None)
    assert guard.request_token(None, None, "Bearer " + "x" * 20) == "x" * 20
    assert guard.request_token("bad", "x" * 20, None) == "x" * 20
    assert guard.request_token("bad", None, None) is None
    assert guard.csrf_valid(guard.csrf) and not guard.csrf_valid("x" * 20)
    assert not guard.csrf_valid(None)


def test_scrub_masks_by_name_marker_and_redactor() -> None:
    value = {"env": {"DB_PASSWORD": "hunter2", "MODE": "dev with s3cret inside"},
             "token": "(secret:abc)", "argv": ["--key", "s3cret"]}
    out = scrub(value, lambda text: text.replace("s3cret", "(sensitive)"))
    assert out == {"env": {"DB_PASSWORD": "(sensitive value)",
                           "MODE": "dev with (sensitive) inside"},
                   "token": "(sensitive value)", "argv": ["--key", "(sensitive)"]}


def test_layers_follow_dependencies() -> None:
    links = [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}, {"from": "a", "to": "c"}]
    assert layers(["a", "b", "c", "d"], links) == {"a": 0, "b": 1, "c": 2, "d": 0}


def test_hub_polls_once_for_many_clients() -> None:
    calls: list[int] = []

    def collect() -> dict[str, object]:
        calls.append(1)
        return {"resources": [len(calls)]}

    async def scenario() -> tuple[int, list[int]]:
        hub = Hub(collect, interval=0.05)
        task = asyncio.create_task(hub.run())

        async def client() -> int:
            seen = 0
            for _ in range(3):
                seen, _snapshot = await hub.next(seen)
            return seen

        try:
            seen = await asyncio.gather(*(client() for _ in range(20)))
        finally:
            task.cancel()
        return hub.polls, list(seen)

    polls, seen = asyncio.run(scenario())
    assert polls == len(calls) and polls <= 6  # 20 clients x 3 updates, a handful of polls
    assert min(seen) >= 3
