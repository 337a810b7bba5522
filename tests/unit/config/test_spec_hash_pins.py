"""spec_hash is pinned: a change to hashing, or to what a builder puts in a spec, would replace
every running object on upgrade, so it must never slip in unnoticed.

Two layers: ``spec_hash`` of literal specs (the canonical JSON and the excluded fields), and the
hash of each resource built from one fixed services.yaml (the builders of every kind it holds).
If a pin here changes on purpose, the state format needs a version bump and a migration test.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.model.types import HASH_EXCLUDED_FIELDS, spec_hash

LITERAL: list[tuple[dict[str, Any], str]] = [
    ({}, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),
    ({"command": ["/bin/sleep", "60"], "cwd": "/srv", "env": {"B": "2", "A": "1"},
      "user": None, "port": 8080, "stop_signal": "SIGTERM", "shutdown_timeout": 10,
      "startup_timeout": 30},
     "84cb0d623ecadee94833164f0e7d4c7ae5d6b577ed4c8d1dd4f31220d583d38a"),
    ({"image": "busybox:1", "ports": [{"host": 15432, "container": 5432}],
      "env": {"S": "(secret:abc)"}, "restart": "no", "stop_signal": None},
     "6c08347f96c2afb00cd6704eddae920e94d7058fc073930b885911458a229ab6"),
    ({"interface": "wg0", "listen_port": 51820, "address": "198.19.0.1/24", "peers": []},
     "619f1dd82e0a5235a8ed46fdb8206f3055fa9739d941aa58bc080be7ad9712bd"),
]


@pytest.mark.parametrize(("spec", "pinned"), LITERAL)
def test_spec_hash_of_literal_specs_is_pinned(spec: dict[str, Any], pinned: str) -> None:
    assert spec_hash(spec) == pinned


def test_key_order_does_not_change_the_hash() -> None:
    spec = LITERAL[1][0]
    assert spec_hash(dict(reversed(list(spec.items())))) == spec_hash(spec)


def test_excluded_fields_do_not_change_the_hash() -> None:
    spec = LITERAL[1][0]
    assert HASH_EXCLUDED_FIELDS, "nothing is excluded any more: re-check the pins"
    for key in HASH_EXCLUDED_FIELDS:
        assert spec_hash({**spec, key: "anything"}) == spec_hash(spec)


SERVICES = """
name: pins
settings: {startup_timeout: 20, shutdown_timeout: 3}
tasks:
  migrate: {command: "echo migrate", working_dir: /srv/app}
services:
  db:
    type: docker
    image: postgres:16
    ports: [5432, "15432:5432"]
    env: {POSTGRES_PASSWORD: devpw}
    restart: on-failure:3
    memory: 256M
  api:
    type: process
    binary: /usr/bin/python3
    args: [-m, api, --port, "${api.port}"]
    working_dir: /srv/app
    port: 18080
    env: {MODE: prod, PLAIN: 1}
    dependencies: [db, {task: migrate}]
  worker:
    type: process
    binary: /bin/sleep
    args: ["600"]
    working_dir: /srv/app
    stop_signal: INT
"""

BUILT: dict[str, str] = {
    "container.db":
        "0414cbd689e5e1b646412038a637d222292ca0b73c92382fce4073925da4a4ef",
    "process.api":
        "84eeb751ff41cb5d210b0751ff491a35c3a0868e3b0ee71e8951f6876c000b12",
    "process.worker":
        "d929b87cec8e5663e06047bb6e52434afd1c55c10f8b3df697b2cd793dd2c8d5",
    "task.migrate":
        "2547988a7e372e9935e867b6df02031ce5f8f8b5eadbb67b05ded4b6b566c702",
}


def test_hash_of_built_resources_is_pinned(run: Any) -> None:
    result = run({"services.yaml": SERVICES})
    assert result.errors == []
    got = {str(r.address): r.hash() for r in result.state.resources.values()}
    assert got == BUILT
