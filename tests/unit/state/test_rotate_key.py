"""`state rotate-key` re-hashes the recorded secrets the config supplies, and paths are
recorded relative to the project (reconciler/model/paths.py)."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine.project import Project
from reconciler.engine.rotate_key import rotate
from reconciler.model.paths import localize, portable
from reconciler.model.types import Address

CONFIG = """\
version: "1.0"
name: rot
services:
  api:
    command: "exec sleep 3600"
    env:
      API_TOKEN: "t0ken-value"
  other:
    command: "exec sleep 3600"
"""
API, OTHER = Address("process", "api"), Address("process", "other")


def _record_all(project: Project) -> None:
    desired, _ = project.desired()
    for resource in desired.resources.values():
        project.store.record(resource.address, spec=resource.portable_spec(),
                             spec_hash=resource.hash(), depends_on=(), facts={},
                             status="running", run_id=None)


def test_rotation_rehashes_what_the_config_supplies(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(CONFIG)
    project = Project(tmp_path)
    _record_all(project)
    old_key, old = project.store.secret_key(), project.store.resources()
    done = rotate(project)
    assert done.rehashed == (str(API),)  # other has no secret: nothing to re-hash
    new_key = Project(tmp_path).store.secret_key()
    assert new_key != old_key and project.store.key_file.read_bytes() == new_key
    now = project.store.resources()
    assert now[API].spec["env"]["API_TOKEN"] != old[API].spec["env"]["API_TOKEN"]
    assert now[OTHER].spec_hash == old[OTHER].spec_hash
    desired, _ = Project(tmp_path).desired()
    assert {a: r.hash() for a, r in desired.resources.items()} == {
        a: r.spec_hash for a, r in now.items()}
    (tmp_path / "services.yaml").write_text(CONFIG.replace("3600\"\n    env", "3601\"\n    env"))
    done = rotate(Project(tmp_path))  # api is out of sync with the config: left as it was
    assert done.kept == (str(API),) and done.rehashed == ()
    assert Project(tmp_path).store.resources()[API] == now[API]


def test_paths_under_the_project_are_recorded_relative(tmp_path: Path) -> None:
    root = str(tmp_path / "alice" / "qs")
    spec = {"cwd": root, "files": [root + "/a.yml", "/etc/x"], "v": [f"{root}/d:/d"], "n": 1}
    shown = portable(spec, root)
    assert shown == {"cwd": "{project}", "files": ["{project}/a.yml", "/etc/x"],
                     "v": ["{project}/d:/d"], "n": 1}
    assert localize(shown, str(tmp_path / "bob" / "qs"))["cwd"] == str(tmp_path / "bob" / "qs")
    assert localize(shown, root) == spec
    assert portable({"cwd": root + "x"}, root) == {"cwd": root + "x"}  # a sibling, not under
    (tmp_path / "services.yaml").write_text(CONFIG)
    desired, _ = Project(tmp_path).desired()
    assert desired.resources[API].spec["cwd"] == str(tmp_path)  # actuators get it absolute
    assert desired.resources[API].portable_spec()["cwd"] == "{project}"


def test_records_of_older_versions_upgrade_to_relative_paths(tmp_path: Path) -> None:
    from reconciler.engine.support import upgrade_paths
    from reconciler.model.types import spec_hash

    (tmp_path / "services.yaml").write_text(CONFIG)
    project = Project(tmp_path)
    desired, _ = project.desired()
    api = desired.resources[API]
    project.store.record(API, spec=dict(api.spec), spec_hash=spec_hash(api.spec),
                         depends_on=(), facts={"pid": 1}, status="running", run_id=None)
    records = upgrade_paths(project.store, desired)
    assert records[API].spec_hash == api.hash() and records[API].spec["cwd"] == "{project}"
    stored = project.store.resources()[API]
    assert stored.spec_hash == api.hash() and stored.facts == {"pid": 1}
