"""``type: file`` end to end through the pipeline on this machine (real files in a temp dir).

Create, no-op, drift when edited by hand (and when mode changes), a content change as an
in-place update, a `source:` file whose edit is noticed, a foreign file left alone, adoption
after the state database is lost, a path change, destroy, and the validation errors.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.actuators import registry
from reconciler.actuators.file.actuator import owner_matches, parse_stat
from reconciler.engine.project import Project
from reconciler.errors import ConfigError
from reconciler.model.changes import Action


def write(root: Path, body: str) -> None:
    (root / "services.yaml").write_text("name: filetest\nservices:\n" + body)


def entry(path: Path | str, content: str = "a = 1\n", mode: str = "0640",
          extra: str = "") -> str:
    return (f"  conf:\n    type: file\n    path: {path}\n    content: {json.dumps(content)}\n"
            f"    mode: '{mode}'\n{extra}")


def plan(project: Project) -> list[tuple[Action, str]]:
    return [(c.action, c.reason_text()) for c in project.plan().plan.changes]


def apply(project: Project, destroy: bool = False) -> None:
    run = project.plan(destroy=destroy)
    with project.locked():
        result = project.execute(run)
    assert result.ok, [r.message for r in result.root_causes()]


def test_file_is_a_registered_kind() -> None:
    declared = registry.kind("file")
    assert declared is not None and declared.in_place == frozenset({"path"})
    assert "file" in registry.supported_kinds()


def test_lifecycle(tmp_path: Path) -> None:
    target = tmp_path / "etc" / "app.conf"
    write(tmp_path, entry(target))
    project = Project(tmp_path, state_dir=tmp_path / ".state")
    assert [a for a, _ in plan(project)] == [Action.CREATE]
    apply(project)
    assert target.read_text() == "a = 1\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [a for a, _ in plan(project)] == [Action.NOOP]  # idempotent

    target.write_text("a = 2  # by hand\n")
    ((action, reason),) = plan(project)
    assert action is Action.UPDATE and "edited by hand" in reason
    apply(project)
    assert target.read_text() == "a = 1\n"
    assert [a for a, _ in plan(project)] == [Action.NOOP]

    target.chmod(0o666)
    ((action, reason),) = plan(project)
    assert action is Action.UPDATE and "mode changed to 666" in reason
    apply(project)
    assert target.stat().st_mode & 0o777 == 0o640

    write(tmp_path, entry(target, content="a = 3\n"))
    ((action, reason),) = plan(project)
    assert action is Action.UPDATE
    apply(project)
    assert target.read_text() == "a = 3\n"
    assert [a for a, _ in plan(project)] == [Action.NOOP]

    moved = tmp_path / "etc" / "moved.conf"
    write(tmp_path, entry(moved, content="a = 3\n"))
    assert [a for a, _ in plan(project)] == [Action.REPLACE]
    apply(project)
    assert moved.read_text() == "a = 3\n" and not target.exists()

    apply(project, destroy=True)
    assert not moved.exists()
    assert [a for a, _ in plan(project)] == [Action.CREATE]


def test_source_file_edit_is_noticed(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "motd").write_text("hello\n")
    target = tmp_path / "out" / "motd"
    write(tmp_path, f"  motd:\n    type: file\n    path: {target}\n    source: templates/motd\n")
    project = Project(tmp_path, state_dir=tmp_path / ".state")
    apply(project)
    assert target.read_text() == "hello\n"
    assert target.stat().st_mode & 0o777 == 0o644
    assert [a for a, _ in plan(project)] == [Action.NOOP]
    (tmp_path / "templates" / "motd").write_text("goodbye\n")
    ((action, reason),) = plan(project)
    assert action is Action.UPDATE and "source" in reason and "changed" in reason
    apply(project)
    assert target.read_text() == "goodbye\n"


def test_foreign_file_is_left_alone_and_exact_one_adopted(tmp_path: Path) -> None:
    target = tmp_path / "app.conf"
    target.write_text("somebody else's\n")
    write(tmp_path, entry(target))
    project = Project(tmp_path, state_dir=tmp_path / ".state")
    run = project.plan()
    with project.locked():
        result = project.execute(run)
    assert not result.ok
    assert "was not written by reconciler" in result.root_causes()[0].message
    assert target.read_text() == "somebody else's\n"

    target.unlink()
    apply(project)
    fresh = Project(tmp_path, state_dir=tmp_path / ".state-lost")  # the state db is lost
    assert [a for a, _ in plan(fresh)] == [Action.NOOP]  # re-adopted: same content and mode


@pytest.mark.parametrize(("body", "message"), [
    ("  f:\n    type: file\n    content: x\n", "path"),
    ("  f:\n    type: file\n    path: /tmp/x\n", "content"),
    ("  f:\n    type: file\n    path: /tmp/x\n    content: x\n    source: y\n",
     "both `content` and `source`"),
    ("  f:\n    type: file\n    path: /tmp/x\n    content: x\n    mode: rwx\n", "mode"),
    ("  f:\n    type: file\n    path: /tmp/x\n    content: x\n    image: busybox\n", "image"),
])
def test_invalid_file_entries(tmp_path: Path, body: str, message: str) -> None:
    write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        Project(tmp_path, state_dir=tmp_path / ".state").plan()
    text = caught.value.render()
    assert message in text and "services.yaml:" in text


def test_stat_report_and_owner_rule() -> None:
    found = parse_stat("@@reconciler-file 0 640 root:adm " + "ab" * 32 + "  -\njunk\n")
    assert found == {0: {"mode": "640", "owner": "root:adm", "sha256": "sha256:" + "ab" * 32}}
    assert owner_matches(None, "x:y") and owner_matches("root", "root:adm")
    assert owner_matches("root:adm", "root:adm") and not owner_matches("root:wheel", "root:adm")
    assert not owner_matches("nobody", "root:root")
