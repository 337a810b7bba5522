"""PackageSpec.of: the typed view the package actuator reads a built spec through."""

from __future__ import annotations

from reconciler.actuators.package.spec import PackageSpec


def test_a_built_spec_reads_field_by_field() -> None:
    spec = PackageSpec.of({"package": "/src/collector", "version": "1.4.2",
                           "install_path": "/opt/collector", "content_hash": "ab12",
                           "env": {"TOKEN": "(sensitive:0123456789ab)"}})
    assert spec == PackageSpec("/src/collector", "1.4.2", "/opt/collector", "ab12",
                               {"TOKEN": "(sensitive:0123456789ab)"})


def test_missing_or_null_keys_read_as_empty() -> None:
    assert PackageSpec.of({"version": None, "env": None}) == PackageSpec()
    assert PackageSpec.of({"version": 2}).version == "2"
