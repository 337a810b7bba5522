"""ComposeSpec.of: the typed view the Compose actuator reads built and last-applied specs by."""

from __future__ import annotations

from reconciler.actuators.compose.spec import ComposeSpec


def test_a_built_spec_reads_field_by_field() -> None:
    spec = ComposeSpec.of({"project": "shop", "service": "web",
                           "files": ["/p/compose.yaml", "/p/compose.override.yaml"],
                           "profiles": ["debug"], "env_file": "/p/.env", "config_hash": "x"})
    assert spec == ComposeSpec("shop", "web", ("/p/compose.yaml", "/p/compose.override.yaml"),
                               ("debug",), "/p/.env")


def test_an_empty_last_applied_spec_gives_the_defaults() -> None:
    assert ComposeSpec.of({}) == ComposeSpec()
    assert ComposeSpec.of({"env_file": None}).env_file is None
