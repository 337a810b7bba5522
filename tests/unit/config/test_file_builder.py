"""``type: file`` built by its own package (``Kind.builder``: ``actuators/file/spec.py``
``build``), through the model's generic builder hook: paths, the host, and the problems at
their keys."""

from __future__ import annotations

from pathlib import Path

from conftest import Run

from reconciler.model.types import Address


def test_a_local_file_is_built_with_absolute_paths(run: Run, tmp_path: Path) -> None:
    result = run({"services.yaml": "services:\n  f:\n    type: file\n    path: out/a.conf\n"
                                   "    source: tpl/a.conf\n    mode: '600'\n"})
    assert result.errors == []
    resource = result.state.resources[Address("file", "f")]
    assert resource.spec == {"path": str(tmp_path / "out" / "a.conf"), "content": None,
                             "source": str(tmp_path / "tpl" / "a.conf"), "mode": "0600",
                             "owner": None}


def test_a_relative_path_on_another_host_is_an_error_at_its_key(run: Run) -> None:
    result = run({"services.yaml": "hosts:\n  box: {address: 198.18.0.9}\nservices:\n"
                                   "  f:\n    type: file\n    host: box\n    path: a.conf\n"
                                   "    content: x\n"})
    [message] = [e for e in result.errors if "not absolute" in e]
    assert message.startswith("services.yaml:7:5:")  # the `path:` key
    assert "file 'f': path 'a.conf' is not absolute (on host box)" in message
    assert "use an absolute path" in message
