"""``reconciler import file.X PATH`` end to end (issue 30): import, then a no-op plan.

A file already at the configured path with the configured content and mode is recorded and
the next ``plan --detailed-exitcode`` exits 0; one with other content and mode is recorded as
it is, the plan shows the exact field diffs (an in-place update) and apply rewrites it. A path
that is not the configured one, or no file at it, is refused with a hint. Nothing is written
by the import itself. Real CLI in a subprocess; every file lives under the test's tmp_path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from infra.cli import Cli

from reconciler.engine.project import Project
from reconciler.state import StateStore
from reconciler.ui.actions import perform

pytestmark = pytest.mark.integration


def _write(project: Path, motd: Path, banner: Path) -> None:
    (project / "services.yaml").write_text(
        f'version: "1.0"\nname: fimport\nservices:\n'
        f"  motd:\n    type: file\n    path: {motd}\n    content: hello\n"
        f"  banner:\n    type: file\n    path: {banner}\n    content: welcome\n"
        f'    mode: "0640"\n')


def test_import_file_then_no_op_plan_and_exact_diff(tmp_path: Path) -> None:
    project = tmp_path / "fimport"
    project.mkdir()
    cli = Cli(project, f"t{os.getpid()}fi")
    motd, banner = tmp_path / "motd", tmp_path / "banner"
    _write(project, motd, banner)
    motd.write_text("hello")
    motd.chmod(0o644)
    banner.write_text("old banner")
    banner.chmod(0o600)

    refused = cli("import", "file.motd", str(banner), expect=1)
    assert "configured with path" in refused.stderr and "hint:" in refused.stderr
    missing = tmp_path / "missing"
    _write(project, missing, banner)
    refused = cli("import", "file.motd", str(missing), expect=1)
    assert "no file is at" in refused.stderr and "hint:" in refused.stderr
    _write(project, motd, banner)

    assert "Imported file.motd (file " in cli("import", "file.motd", str(motd)).stdout
    cli("plan", "--detailed-exitcode", "--target", "file.motd", expect=0)
    shown = json.loads(cli("state", "show", "file.motd", "--json").stdout)
    assert shown["facts"]["path"] == str(motd) and shown["facts"]["imported"] is True
    refused = cli("import", "file.banner", str(motd), expect=1)
    assert "configured with path" in refused.stderr

    cli("import", "file.banner", str(banner))
    assert banner.read_text() == "old banner" and (banner.stat().st_mode & 0o777) == 0o600
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert '~ content: "old banner" -> "welcome"' in plan, plan
    assert '~ mode: "0600" -> "0640"' in plan, plan
    assert "1 to change" in plan and "0 to destroy" in plan, plan

    cli("apply", "--auto-approve")
    assert banner.read_text() == "welcome" and (banner.stat().st_mode & 0o777) == 0o640
    cli("plan", "--detailed-exitcode", expect=0)


def test_adopt_a_file_in_the_config(tmp_path: Path) -> None:
    project = tmp_path / "fadopt"
    project.mkdir()
    cli = Cli(project, f"t{os.getpid()}fa")
    motd = tmp_path / "motd"
    motd.write_text("hello")
    motd.chmod(0o644)
    (project / "services.yaml").write_text(
        f'version: "1.0"\nname: fadopt\nservices:\n'
        f"  motd:\n    type: file\n    path: {motd}\n    content: hello\n"
        f"    adopt: {{id: {motd}}}\n")
    plan = cli("plan", "--detailed-exitcode", expect=0).stdout
    assert f"file.motd will be imported (adopt: {{id: {motd}}})" in plan, plan
    cli("apply", "--auto-approve")
    shown = json.loads(cli("state", "show", "file.motd", "--json").stdout)
    assert shown["facts"]["imported"] is True and shown["facts"]["path"] == str(motd)
    cli("plan", "--detailed-exitcode", expect=0)


def test_adopt_applied_from_the_dashboard_is_recorded_once(tmp_path: Path) -> None:
    project = tmp_path / "fdash"
    project.mkdir()
    motd = tmp_path / "motd"
    motd.write_text("hello")
    motd.chmod(0o644)
    (project / "services.yaml").write_text(
        f'version: "1.0"\nname: fdash\nservices:\n'
        f"  motd:\n    type: file\n    path: {motd}\n    content: hello\n"
        f"    adopt: {{id: {motd}}}\n")
    shown = Project(project).plan(record=False).plan.inputs_hash
    done = perform(lambda: Project(project), "apply", inputs_hash=shown, client="test")
    assert done["message"] == "imported 1; nothing else to do", done
    again = perform(lambda: Project(project), "apply", inputs_hash=shown, client="test")
    assert again["message"] == "nothing to do", again  # the same plan once recorded
    store = StateStore.open_project(project)
    try:
        assert [str(a) for a in store.resources()] == ["file.motd"]
        assert [e["address"] for e in store.events() if e["kind"] == "state.import"] \
            == ["file.motd"]
    finally:
        store.close()
