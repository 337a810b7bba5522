"""`config show`: every value written in the config is shown with its file:line:col."""

from __future__ import annotations

from pathlib import Path

from reconciler.config import load
from reconciler.model.build import build
from reconciler.model.types import Address
from reconciler.render.desired import desired_document, render_desired

SERVICES = """\
name: demo
services:
  api:
    binary: python3
    args: ["-m", "http.server"]
    working_dir: ./srv
    env:
      LOG_LEVEL: info
      API_TOKEN: {secret: s3cr3t-value}
  nested:
    target: {type: process, command: "sleep 1"}
"""


def test_each_written_value_has_its_position(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(SERVICES)
    docs, problems = load(tmp_path)
    assert problems == []
    desired, diagnostics = build(docs, env={})
    assert [d for d in diagnostics if d.severity.value == "error"] == []
    document = desired_document(desired, docs)
    api = next(r for r in document["resources"] if r["address"] == "process.api")
    file = str(tmp_path / "services.yaml")
    assert api["sources"]["command"] == f"{file}:4:5"
    assert api["sources"]["cwd"] == f"{file}:6:5"
    assert api["sources"]["env.LOG_LEVEL"] == f"{file}:8:7"
    assert api["sources"]["env.API_TOKEN"] == f"{file}:9:7"
    assert "port" not in api["sources"]  # not written: no position
    nested = next(r for r in document["resources"] if r["address"] == "process.nested")
    assert nested["sources"]["command"].startswith(f"{file}:11:")
    text = render_desired(desired, docs)
    assert f'env.LOG_LEVEL = "info"  # {file}:8:7' in text
    assert "s3cr3t-value" not in text and "(sensitive value)" in text
    assert desired.resources[Address("process", "api")].source is not None
