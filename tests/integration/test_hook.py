"""The git pre-commit hook in a real temporary git repository.

`reconciler hook install` writes .git/hooks/pre-commit; real `git commit`s then run it. The
hook checks the STAGED blobs, never the work tree: a bad staged file fails the commit while
the work tree is fine, and a good staged file passes while the work tree is broken. Paths in
the diagnostics are repository paths (deploy/services.yaml:L:C).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = """\
version: "1.0"
name: hooked
services:
  api: {type: process, command: "sleep 100"}
"""
BAD = GOOD + "  web: {type: process, comand: oops}\n"
POLICY = "version: 1\nprotect: [process.api]\n"
BAD_POLICY = "version: 1\nrules:\n  - id: x\n    decision: maybe\n    message: m\n"


def run(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, timeout=60,
                          check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done


def reconciler(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "reconciler", *args], cwd, check)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the project in deploy/, committed, hook installed."""
    run(["git", "init", "-q"], tmp_path)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "services.yaml").write_text(GOOD)
    (tmp_path / "deploy" / "policy.yaml").write_text(POLICY)
    (tmp_path / "README").write_text("hello\n")
    run(["git", "add", "."], tmp_path)
    installed = reconciler(tmp_path, "-C", "deploy", "hook", "install")
    assert "Installed the pre-commit hook" in installed.stdout
    run(["git", "commit", "-q", "-m", "first"], tmp_path)  # the hook passes on good files
    return tmp_path


def stage(repo: Path, path: str, staged: str, work_tree: str) -> None:
    """Stage ``staged`` for ``path`` and leave ``work_tree`` in the work tree."""
    (repo / path).write_text(staged)
    run(["git", "add", path], repo)
    (repo / path).write_text(work_tree)


def test_bad_staged_file_fails_the_commit_while_the_work_tree_is_fine(repo: Path) -> None:
    stage(repo, "deploy/services.yaml", BAD, GOOD)
    done = run(["git", "commit", "-m", "bad"], repo, check=False)
    assert done.returncode != 0
    assert "deploy/services.yaml:5:24: error: unknown key 'comand'" in done.stderr
    assert "commit refused" in done.stderr
    assert str(repo) not in done.stderr and "reconciler-hook-" not in done.stderr
    assert reconciler(repo, "-C", "deploy", "validate").returncode == 0  # work tree is fine


def test_good_staged_file_passes_while_the_work_tree_is_broken(repo: Path) -> None:
    stage(repo, "deploy/services.yaml", GOOD.replace("100", "200"), BAD)
    done = run(["git", "commit", "-q", "-m", "good"], repo, check=False)
    assert done.returncode == 0, done.stderr
    assert reconciler(repo, "-C", "deploy", "validate", check=False).returncode == 1


def test_bad_staged_policy_fails_with_its_position(repo: Path) -> None:
    stage(repo, "deploy/policy.yaml", BAD_POLICY, POLICY)
    done = run(["git", "commit", "-m", "policy"], repo, check=False)
    assert done.returncode != 0
    assert "deploy/policy.yaml:4:15: error: rules.0.decision" in done.stderr


def test_commits_without_config_changes_still_check_the_staged_config(repo: Path) -> None:
    (repo / "README").write_text("changed\n")
    run(["git", "add", "README"], repo)
    done = run(["git", "commit", "-m", "docs"], repo)
    assert "staged configuration is valid (deploy/services.yaml, deploy/policy.yaml)" \
        in done.stdout + done.stderr


def test_hook_run_accepts_pre_commit_framework_arguments(repo: Path) -> None:
    stage(repo, "deploy/services.yaml", BAD, GOOD)
    done = reconciler(repo, "hook", "run", "-C", "deploy", check=False)
    assert done.returncode == 1
    assert "deploy/services.yaml:5:24" in done.stderr


def test_a_project_without_staged_config_passes(tmp_path: Path) -> None:
    run(["git", "init", "-q"], tmp_path)
    (tmp_path / "services.yaml").write_text(BAD)  # untracked: not the hook's business
    done = reconciler(tmp_path, "hook", "run")
    assert "no config files staged" in done.stdout


def test_install_refuses_a_foreign_hook_without_force(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho mine\n")
    refused = reconciler(repo, "-C", "deploy", "hook", "install", check=False)
    assert refused.returncode == 1
    assert "not written by reconciler" in refused.stderr and "--force" in refused.stderr
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    forced = reconciler(repo, "-C", "deploy", "hook", "install", "--force")
    assert "replaced a foreign hook" in forced.stdout
    assert "hook run" in hook.read_text()
    again = reconciler(repo, "-C", "deploy", "hook", "install")  # ours: replaced silently
    assert again.returncode == 0
