"""The sync agent's git: a private mirror clone, the commit to follow, a checkout, signatures.

Everything goes through the ``git`` CLI in a subprocess (no library: git's own transport
honours ``~/.ssh/config``, known_hosts, credential helpers and ``GIT_SSH_COMMAND``). Failures
become :class:`~reconciler.errors.GitError` with git's own last line and a hint; a commit whose
signature does not verify is :class:`~reconciler.errors.SignatureRefused`.

Layout under ``<state_dir>/sync/``: ``mirror.git`` (``git clone --mirror``: every fetch
follows force-pushes and deleted refs) and ``checkout/`` (a worktree of the mirror, detached
at the commit the project directory holds). The checkout path never changes, so the
services' specs (working directories, paths) stay the same from commit to commit.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import GitError, SignatureRefused

TIMEOUT = 120.0
BOILERPLATE = ("fatal: Could not read from remote repository", "Please make sure you have",
               "and the repository exists", "Cloning into")


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    author: str

    @property
    def short(self) -> str:
        return self.sha[:12]


def ssh_command(key: Path | None, known_hosts: Path | None) -> str | None:
    """A ``GIT_SSH_COMMAND`` using ``key`` and ``known_hosts`` (strict checking), or None."""
    if key is None and known_hosts is None:
        return None
    argv = ["ssh", "-o", "BatchMode=yes"]
    if key is not None:
        argv += ["-i", str(key), "-o", "IdentitiesOnly=yes"]
    if known_hosts is not None:
        argv += ["-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes"]
    return shlex.join(argv)


class GitMirror:
    """The mirror clone of ``url`` in ``root`` and the checkout beside it."""

    def __init__(self, url: str, root: Path, *, environ: Mapping[str, str] | None = None,
                 ssh: str | None = None):
        self.url = url
        self.root = Path(root).absolute()
        self.mirror = self.root / "mirror.git"
        self.checkout = self.root / "checkout"
        env = dict(os.environ if environ is None else environ)
        env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
        if ssh is not None:
            env["GIT_SSH_COMMAND"] = ssh
        self.env = env

    # -- running git -------------------------------------------------------------------------

    def git(self, *args: str, cwd: Path | None = None, what: str = "",
            config: Sequence[str] = ()) -> str:
        """Run ``git args`` (in the mirror unless ``cwd``); its stdout, or GitError."""
        base = ["git", *(a for c in config for a in ("-c", c))]
        base += ["-C", str(cwd)] if cwd is not None else [f"--git-dir={self.mirror}"]
        try:
            done = subprocess.run([*base, *args], capture_output=True, text=True,
                                  env=self.env, timeout=TIMEOUT, check=False)
        except FileNotFoundError as exc:
            raise GitError("the git command is not installed",
                           hint="install git (Debian: apt-get install git)") from exc
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"git {args[0]} did not finish within {TIMEOUT:g}s"
                           f"{' (' + what + ')' if what else ''}",
                           hint="check that the repository's host answers") from exc
        if done.returncode != 0:
            lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
            telling = [ln for ln in lines if not ln.startswith(BOILERPLATE)]
            why = (telling or lines or [f"exit status {done.returncode}"])[0]
            raise GitError(f"git {args[0]} failed{' (' + what + ')' if what else ''}: {why}",
                           hint=_hint(" ".join(lines)))
        return done.stdout

    # -- mirror ------------------------------------------------------------------------------

    def ensure(self) -> None:
        """Clone the mirror once; later runs keep it and follow a changed URL."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not (self.mirror / "HEAD").exists():
            temp = self.root / "mirror.git.tmp"
            if temp.exists():
                _remove_tree(temp)
            self.git("clone", "--mirror", "--quiet", self.url, str(temp), cwd=self.root,
                     what=f"cloning {self.url}")
            temp.rename(self.mirror)
        elif self.git("config", "--get", "remote.origin.url").strip() != self.url:
            self.git("remote", "set-url", "origin", self.url)

    def fetch(self) -> None:
        """Fetch every ref, pruning deleted ones and following force-pushes."""
        self.git("fetch", "--quiet", "--prune", "--prune-tags", "--force", "origin",
                 what=f"fetching {self.url}")

    def resolve(self, branch: str | None, tag_pattern: str | None) -> tuple[str, str]:
        """(ref followed, commit sha): the branch tip, or the highest tag matching."""
        if tag_pattern is not None:
            tags = self.git("tag", "--list", tag_pattern, "--sort=-v:refname").split()
            if not tags:
                raise GitError(f"no tag of {self.url} matches {tag_pattern!r}",
                               hint="push a matching tag, or check --tag-pattern")
            ref = f"refs/tags/{tags[0]}"
        else:
            ref = f"refs/heads/{branch or 'main'}"
        try:
            sha = self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
        except GitError as exc:
            raise GitError(f"{self.url} has no {ref}",
                           hint="check --branch (or push the branch)") from exc
        return ref, sha

    def commit(self, sha: str) -> Commit:
        out = self.git("show", "-s", "--format=%H%x00%s%x00%an <%ae>", sha).rstrip("\n")
        full, subject, author = [*out.split("\x00"), "", ""][:3]
        return Commit(full, subject, author)

    def has(self, sha: str) -> bool:
        try:
            self.git("cat-file", "-e", f"{sha}^{{commit}}")
        except GitError:
            return False
        return True

    def is_ancestor(self, older: str, newer: str) -> bool:
        try:
            self.git("merge-base", "--is-ancestor", older, newer)
        except GitError:
            return False
        return True

    # -- signatures --------------------------------------------------------------------------

    def verify(self, sha: str, keyring: Path) -> str:
        """``git verify-commit``: SSH allowed signers (a file) or a GnuPG home (a directory).
        Returns git's report; SignatureRefused when unsigned or not trusted."""
        config: list[str] = []
        env_before = self.env.get("GNUPGHOME")
        if keyring.is_dir():
            self.env["GNUPGHOME"] = str(keyring)
        else:
            config = [f"gpg.ssh.allowedSignersFile={keyring}"]
        try:
            done = subprocess.run(["git", *(a for c in config for a in ("-c", c)),
                                   f"--git-dir={self.mirror}", "verify-commit", "--raw", sha],
                                  capture_output=True, text=True, env=self.env,
                                  timeout=TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise GitError(f"git verify-commit could not run: {exc}") from exc
        finally:
            if keyring.is_dir():
                if env_before is None:
                    self.env.pop("GNUPGHOME", None)
                else:
                    self.env["GNUPGHOME"] = env_before
        report = (done.stderr + done.stdout).strip()
        if done.returncode != 0:
            why = "is not signed" if not report or "no signature" in report.lower() \
                else "has a signature that does not verify against the keyring"
            raise SignatureRefused(
                f"commit {sha[:12]} {why}" + (f": {report.splitlines()[-1]}" if report else ""),
                hint=f"sign the commit with a key listed in {keyring}, or push a signed one")
        return report

    # -- checkout ----------------------------------------------------------------------------

    def check_out(self, sha: str) -> Path:
        """Make ``checkout/`` hold exactly ``sha`` (a detached worktree of the mirror)."""
        if not (self.checkout / ".git").exists():
            if self.checkout.exists():
                _remove_tree(self.checkout)
            self.git("worktree", "prune")
            self.git("worktree", "add", "--detach", "--force", "--quiet", str(self.checkout),
                     sha, what=f"checking out {sha[:12]}")
        else:
            self.git("checkout", "--detach", "--force", "--quiet", sha, cwd=self.checkout,
                     what=f"checking out {sha[:12]}")
        return self.checkout

    def head(self) -> str | None:
        if not (self.checkout / ".git").exists():
            return None
        try:
            return self.git("rev-parse", "HEAD", cwd=self.checkout).strip()
        except GitError:
            return None


def _hint(last: str) -> str:
    text = last.lower()
    if "host key verification failed" in text or "known_hosts" in text:
        return "add the host's key to the known_hosts file (--known-hosts FILE)"
    if "permission denied" in text or "authentication" in text:
        return "check the SSH key (--ssh-key FILE) and that it may read the repository"
    if "does not appear to be a git repository" in text or "not found" in text:
        return "check REPO_URL"
    if "could not resolve" in text or "connection" in text:
        return "check that the repository's host is reachable"
    return "run the same git command by hand to see more"


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
