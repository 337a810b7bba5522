"""What every redactor masks (issue 28): one decision, :func:`secret_values`, and the event
bus redacting nested data too."""

from __future__ import annotations

from typing import Any

from reconciler.events import Event, EventBus
from reconciler.model.secrets import Redactor, secret_values

URL = "postgres://app:p%40ss-w0rd@127.0.0.1:5432/app"


def test_secret_values_adds_url_passwords_and_the_variables_that_went_into_a_secret() -> None:
    found = secret_values([{"env.DB_URL": URL}, {"env.TOKEN": "tok-123"}],
                          {"DB_PASSWORD": "p%40ss-w0rd", "OTHER_TOKEN": "unused-value",
                           "HOME": "/home/x"})
    assert found == {URL, "tok-123", "p%40ss-w0rd", "p@ss-w0rd"}


def test_a_secret_named_variable_no_secret_uses_is_not_masked() -> None:
    """A variable like ``KEY_FORMAT=json`` in the environment must not garble every output."""
    assert secret_values([{"env.API_KEY": "k-1"}], {"KEY_FORMAT": "json"}) == {"k-1"}


def test_the_bus_redacts_strings_nested_in_event_data() -> None:
    bus = EventBus(Redactor(["hunter22"]))
    seen: list[Event] = []
    bus.subscribe(seen.append)
    bus.emit("node.failed", "process.a", "pw hunter22", tail=["x hunter22"],
             detail={"url": "u:hunter22@h", "n": 3}, pair=("hunter22", 1))
    data: dict[str, Any] = dict(seen[0].data)
    assert seen[0].message == "pw (sensitive)"
    assert data == {"tail": ["x (sensitive)"], "detail": {"url": "u:(sensitive)@h", "n": 3},
                    "pair": ("(sensitive)", 1)}


def test_a_secret_is_masked_as_it_appears_quoted_in_json() -> None:
    redact = Redactor(['pa"ss\\word'])
    assert redact('{"cmd": "run pa\\"ss\\\\word"}') == '{"cmd": "run (sensitive)"}'
