"""reconciler.model.packaging and the package spec of model.build: checks, determinism, content
hash.

The build tests read the package through LocalHost (the real BuildHost); the package spec
from a fake loader is in tests/unit/config/test_build_host.py.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from reconciler.config import load
from reconciler.engine.local_host import LocalHost
from reconciler.model import packaging
from reconciler.model.build import build
from reconciler.validate.checker import check


def make_package(root: Path, manifest: str, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.toml").write_text(manifest)
    for name, text in (files or {"bin/run.sh": "#!/bin/sh\necho hi\n"}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def members(package: packaging.Package) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(package.tarball()), mode="r:gz") as tar:
        return {m.name: m for m in tar.getmembers()}


def test_loads_manifest_and_packs_every_file(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p", 'name = "p"\nversion = "1.0"\nsetup = "setup.sh"\n',
                        {"bin/run.sh": "#!/bin/sh\n", "setup.sh": "echo setup\n"})
    (root / "bin/run.sh").chmod(0o755)
    package, problems = packaging.load(root)
    assert problems == [] and package is not None
    assert (package.manifest.name, package.manifest.version, package.manifest.keep) == (
        "p", "1.0", packaging.DEFAULT_KEEP)
    found = members(package)
    assert sorted(found) == ["bin", "bin/run.sh", "manifest.toml", "setup.sh"]
    assert found["bin/run.sh"].mode == 0o755 and found["setup.sh"].mode == 0o644
    assert {m.mtime for m in found.values()} == {0} and {m.uid for m in found.values()} == {0}
    assert package.setup_argv() == ["sh", "./setup.sh"]
    assert package.content_hash.startswith("sha256:") and len(package.content_hash) == 71


def test_same_content_gives_the_same_bytes_and_hash(tmp_path: Path) -> None:
    first = make_package(tmp_path / "a", 'name = "p"\nversion = "1"\n')
    second = make_package(tmp_path / "b", 'name = "p"\nversion = "1"\n')
    os.utime(second / "bin/run.sh", (1_000_000, 1_000_000))
    a, _ = packaging.load(first)
    b, _ = packaging.load(second)
    assert a is not None and b is not None
    assert a.tarball() == b.tarball() and a.content_hash == b.content_hash
    (second / "bin/run.sh").write_text("#!/bin/sh\necho changed\n")
    changed, _ = packaging.load(second)
    assert changed is not None and changed.content_hash != a.content_hash


def test_files_list_limits_the_archive(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p", 'name = "p"\nversion = "1"\nfiles = ["bin"]\nkeep = 1\n',
                        {"bin/a": "a", "notes/todo": "x", ".git/HEAD": "ref"})
    package, problems = packaging.load(root)
    assert problems == [] and package is not None and package.manifest.keep == 1
    assert sorted(members(package)) == ["bin", "bin/a", "manifest.toml"]


@pytest.mark.parametrize(("entry", "words"), [
    ("/etc/passwd", "absolute path: '/etc/passwd'"),
    ("../outside", "path escapes the package with '..': '../outside'"),
    ("bin/../../x", "path escapes the package with '..'"),
    ("missing.txt", "file 'missing.txt' listed in manifest.toml does not exist"),
])
def test_bad_file_entries_are_rejected_with_their_line(tmp_path: Path, entry: str,
                                                       words: str) -> None:
    root = make_package(tmp_path / "p", f'name = "p"\nversion = "1"\nfiles = [\n  "{entry}",\n]\n')
    package, problems = packaging.load(root)
    assert package is None
    assert len(problems) == 1 and words in problems[0].summary
    assert problems[0].source is not None
    assert (problems[0].source.line, problems[0].source.column) == (4, 4)


def test_links_must_stay_inside(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p", 'name = "p"\nversion = "1"\n')
    (root / "bin/inside").symlink_to("run.sh")
    package, problems = packaging.load(root)
    assert problems == [] and package is not None
    assert members(package)["bin/inside"].linkname == "run.sh"
    (root / "bin/escape").symlink_to("../../elsewhere")
    (root / "abs").symlink_to("/etc/hostname")
    package, problems = packaging.load(root)
    assert package is None
    assert sorted(p.summary for p in problems) == [
        "link 'abs' -> '/etc/hostname' points outside the package",
        "link 'bin/escape' -> '../../elsewhere' points outside the package"]


def test_setup_script_checks(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p", 'name = "p"\nversion = "1"\nsetup = "setup"\n',
                        {"real": "echo hi\n"})
    (root / "setup").symlink_to("real")
    assert [p.summary for p in packaging.load(root)[1]] == [
        "setup script 'setup' is a symbolic link"]
    (root / "setup").unlink()
    (root / "setup").write_text("echo no shebang\n")
    (root / "setup").chmod(0o755)
    assert "has no #! line" in packaging.load(root)[1][0].summary
    (root / "setup").write_text("#!/bin/sh\necho ok\n")
    package, problems = packaging.load(root)
    assert problems == [] and package is not None and package.setup_argv() == ["./setup"]
    (root / "setup").unlink()
    assert "does not exist" in packaging.load(root)[1][0].summary


def test_manifest_problems(tmp_path: Path) -> None:
    assert "does not exist" in packaging.load(tmp_path / "nope")[1][0].summary
    (tmp_path / "empty").mkdir()
    assert "has no manifest" in packaging.load(tmp_path / "empty")[1][0].summary
    root = make_package(tmp_path / "p", 'version = "1"\nkeep = -1\n')
    assert sorted(p.summary for p in packaging.load(root)[1]) == [
        "`keep` must be a whole number >= 0", "manifest.toml needs `name`"]
    (root / "manifest.toml").write_text("name = [")
    assert "cannot parse manifest.toml" in packaging.load(root)[1][0].summary
    yaml_root = tmp_path / "y"
    yaml_root.mkdir()
    (yaml_root / "manifest.yaml").write_text("name: y\nversion: 2\nfiles: [a]\n")
    (yaml_root / "a").write_text("a")
    package, problems = packaging.load(yaml_root)
    assert problems == [] and package is not None and package.manifest.version == "2"


SERVICES = """\
services:
  app:
    type: package
    host: local
    package: ./pkg
    version: "{version}"
    install_path: {install}
"""


def build_project(tmp_path: Path, version: str = "1.0", install: str = "/opt/app") -> tuple[
        dict[str, object], list[str]]:
    (tmp_path / "services.yaml").write_text(SERVICES.format(version=version, install=install))
    docs, diagnostics = load(tmp_path)
    diagnostics += check(docs)
    state, more = build(docs, env={}, host=LocalHost({}))
    spec = dict(next(iter(state.resources.values())).spec)
    return spec, [d.render() for d in diagnostics + more]


def test_spec_carries_the_content_hash(tmp_path: Path) -> None:
    make_package(tmp_path / "pkg", 'name = "app"\nversion = "1.0"\n')
    spec, problems = build_project(tmp_path)
    assert problems == []
    package, _ = packaging.load(tmp_path / "pkg")
    assert package is not None and spec["content_hash"] == package.content_hash
    assert spec["install_path"] == "/opt/app" and spec["version"] == "1.0"


def test_bad_package_is_a_validate_error_with_position(tmp_path: Path) -> None:
    make_package(tmp_path / "pkg", 'name = "app"\nversion = "1.0"\nfiles = ["/etc/passwd"]\n')
    spec, problems = build_project(tmp_path, version="2.0", install="relative/dir")
    assert spec["content_hash"] == ""
    manifest = tmp_path / "pkg" / "manifest.toml"
    assert problems == [
        f"{manifest}:3:11: error: package 'app': absolute path: '/etc/passwd'\n"
        "  hint: list paths relative to the package directory, without '..'",
        f"{tmp_path}/services.yaml:7:5: error: package 'app': install_path "
        "'relative/dir' is not an absolute path\n  hint: use an absolute directory such as "
        "/opt/NAME"]


def test_version_must_agree_with_the_manifest(tmp_path: Path) -> None:
    make_package(tmp_path / "pkg", 'name = "app"\nversion = "1.0"\n')
    _, problems = build_project(tmp_path, version="2.0")
    assert len(problems) == 1 and "version '2.0' disagrees with the manifest's '1.0'" in (
        problems[0])


def test_local_host_reports_the_checked_package(tmp_path: Path) -> None:
    root = make_package(tmp_path / "pkg", 'name = "app"\nversion = "1.0"\n')
    found = LocalHost({}).fact("package", "package", str(root))
    package, _ = packaging.load(root)
    assert package is not None
    assert found == {"package": {"name": "app", "version": "1.0", "manifest_file": "manifest.toml",
                                 "content_hash": package.content_hash}, "problems": []}
    missing = LocalHost({}).fact("package", "package", str(tmp_path / "missing"))
    assert isinstance(missing, dict) and missing["package"] is None
    assert "does not exist" in missing["problems"][0][0]
