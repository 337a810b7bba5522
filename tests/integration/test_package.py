"""``type: package`` end to end through the pipeline: on this machine (local transport, into a
temp dir) and on a real sshd namespace host (SSH transport, into the host's private /srv).

Deploy, no-op, upgrade (new release, ``current`` switched, old ones kept up to ``keep``),
drift (``current`` removed by hand), a failing setup leaving the live release alone, destroy,
and a secret env value that reaches the setup script but never events, state or plans.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from infra.netns_hosts import SshHost

from reconciler.engine.project import Project
from reconciler.errors import ConfigError
from reconciler.events import Event
from reconciler.model.changes import Action

SECRET = "tok-9f8e7d6c5b4a-secret"
SETUP = """#!/bin/sh
set -e
echo "setup of $(cat VERSION) greeting=$GREETING token=$API_TOKEN"
echo "$GREETING" > configured
"""


def write_project(root: Path, install: str, host_block: str = "", host: str = "local",
                  keep: int = 2) -> Path:
    pkg = root / "pkg"
    (pkg / "bin").mkdir(parents=True, exist_ok=True)
    (pkg / "manifest.toml").write_text(
        f'name = "app"\nversion = "1"\nsetup = "setup.sh"\nkeep = {keep}\n')
    (pkg / "setup.sh").write_text(SETUP)
    (pkg / "setup.sh").chmod(0o755)
    (pkg / "VERSION").write_text("1\n")
    (pkg / "bin" / "app").write_text("#!/bin/sh\necho app\n")
    (pkg / "bin" / "app").chmod(0o755)
    (root / "services.yaml").write_text(f"""name: pkgtest
{host_block}services:
  app:
    type: package
    host: {host}
    package: ./pkg
    install_path: {install}
    env:
      GREETING: hello
      API_TOKEN: {{secret: "{SECRET}"}}
""")
    return pkg


def bump(pkg: Path, version: str) -> None:
    (pkg / "manifest.toml").write_text((pkg / "manifest.toml").read_text().replace(
        'version = "', f'version = "{version}" #', 1))
    (pkg / "VERSION").write_text(f"{version}\n")


def actions(project: Project) -> list[Action]:
    return [c.action for c in project.plan().plan.changes]


def apply(project: Project) -> None:
    run = project.plan()
    with project.locked():
        result = project.execute(run)
    assert result.ok, [r.message for r in result.root_causes()]


def check_lifecycle(project: Project, pkg: Path, files: Callable[[str], Path],
                    events: list[Event]) -> None:
    """The shared scenario; ``files(rel)`` maps a path under install_path to this machine."""
    assert actions(project) == [Action.CREATE]
    apply(project)
    first = files("current").resolve().name
    assert files("current/configured").read_text() == "hello\n"
    assert files("current/bin/app").stat().st_mode & 0o111
    assert actions(project) == [Action.NOOP]

    releases = [first]
    for version in ("2", "3", "4"):
        bump(pkg, version)
        assert actions(project) == [Action.REPLACE]
        apply(project)
        releases.append(files("current").resolve().name)
        assert files("current/VERSION").read_text() == f"{version}\n"
    assert len(set(releases)) == 4
    kept = sorted(p.name for p in files("releases").iterdir())
    assert kept == sorted(releases[1:])  # current + keep=2 old ones; the oldest pruned
    assert actions(project) == [Action.NOOP]

    (pkg / "setup.sh").write_text("#!/bin/sh\necho broken >&2\nexit 9\n")
    run = project.plan()
    with project.locked():
        result = project.execute(run)
    assert not result.ok
    message = result.root_causes()[0].message
    assert "setup script of package.app" in message and "previous release stays live" in message
    assert files("current").resolve().name == releases[-1]

    files("current").unlink()  # drift: somebody removed the live link
    (pkg / "setup.sh").write_text(SETUP)
    assert actions(project) == [Action.CREATE]
    apply(project)
    assert files("current").resolve().name == releases[-1]

    text = "\n".join(f"{e.kind} {e.message} {json.dumps(dict(e.data), default=str)}"
                     for e in events)
    assert "greeting=hello token=(sensitive)" in text
    assert SECRET not in text
    for db in project.store.state_dir.rglob("*"):
        if db.is_file():
            assert SECRET.encode() not in db.read_bytes(), db

    run = project.plan(destroy=True)
    assert [c.action for c in run.plan.changes] == [Action.DELETE]
    with project.locked():
        assert project.execute(run).ok
    assert not files("").exists()


def test_package_on_this_machine(tmp_path: Path) -> None:
    install = tmp_path / "opt" / "app"
    pkg = write_project(tmp_path, str(install))
    project = Project(tmp_path, state_dir=tmp_path / ".state")
    events: list[Event] = []
    project.events.subscribe(events.append)
    check_lifecycle(project, pkg, lambda rel: install / rel if rel else install, events)


def test_package_deploy_and_upgrade_over_ssh(ssh_hosts: Callable[[int], list[SshHost]],
                                             tmp_path: Path) -> None:
    (host,) = ssh_hosts(1)
    block = (f"hosts:\n  web1:\n    address: {host.address}\n    user: {host.user}\n"
             f"    identity_file: {host.key_path}\n    known_hosts: {host.known_hosts_path}\n")
    pkg = write_project(tmp_path, "/srv/app", block, host="web1")
    project = Project(tmp_path, state_dir=tmp_path / ".state")
    events: list[Event] = []
    project.events.subscribe(events.append)
    base = host.private_dir / "app"

    def files(rel: str) -> Path:
        if rel.startswith("current"):  # `current` is relative: resolve it on this side
            target = (base / "current").readlink() if (base / "current").is_symlink() else None
            real = base / target if target else base / "current"
            return real / rel[len("current/"):] if rel != "current" else base / "current"
        return base / rel if rel else base

    try:
        check_lifecycle(project, pkg, files, events)
    finally:
        project.transports.close()


def test_bad_package_is_rejected_before_anything_runs(tmp_path: Path) -> None:
    pkg = write_project(tmp_path, str(tmp_path / "opt"))
    (pkg / "manifest.toml").write_text('name = "app"\nversion = "1"\nfiles = ["../etc"]\n')
    project = Project(tmp_path, state_dir=tmp_path / ".state")
    with pytest.raises(ConfigError) as caught:
        project.plan()
    assert "path escapes the package with '..': '../etc'" in caught.value.render()
    assert f"{pkg}/manifest.toml:3:" in caught.value.render()
    assert not (tmp_path / "opt").exists()
