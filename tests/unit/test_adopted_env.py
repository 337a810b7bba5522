"""The env an adopted process or container records (``import``): of the configured keys the
running object has, the configured value where it runs with it (a secret stays its marker),
the running value where it differs, and a fixed note in place of a differing secret; one
helper, :func:`record_running_env`, for both kinds."""

from __future__ import annotations

from typing import Any

from reconciler.model.secrets import record_running_env

DIFFERENT = "(secret: the running object has another value)"


def test_each_configured_key_is_recorded_as_the_object_runs_it() -> None:
    spec: dict[str, Any] = {"command": ["x"],
                            "env": {"SAME": "1", "MOVED": "2", "TOKEN": "(sensitive:abc)",
                                    "API_KEY": "(sensitive:def)", "ABSENT": "3"}}
    clear = {"SAME": "1", "MOVED": "2", "TOKEN": "tok", "API_KEY": "key", "ABSENT": "3"}
    running = {"SAME": "1", "MOVED": "20", "TOKEN": "tok", "API_KEY": "other", "PATH": "/bin"}
    record_running_env(spec, running, clear, DIFFERENT)
    assert spec == {"command": ["x"],
                    "env": {"SAME": "1", "MOVED": "20", "TOKEN": "(sensitive:abc)",
                            "API_KEY": DIFFERENT}}


def test_no_env_key_is_added_when_none_was_configured() -> None:
    spec: dict[str, Any] = {"command": ["x"]}
    record_running_env(spec, {"PATH": "/bin"}, {}, DIFFERENT)
    assert spec == {"command": ["x"]}


def test_a_configured_env_the_object_lacks_records_as_empty() -> None:
    spec: dict[str, Any] = {"env": {"GONE": "1"}}
    record_running_env(spec, {}, {"GONE": "1"}, DIFFERENT)
    assert spec == {"env": {}}
