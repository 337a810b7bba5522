"""A sandbox that runs the console examples of a docs page (test_docs_examples.py).

The sandbox is a temp directory that holds the page's context (a copy of examples/quickstart
at ``examples/quickstart``, as in the repository), a ``reconciler`` on PATH that runs this
checkout's code (``python -m reconciler``), its own HOME and XDG directories, and a session
of its own (RECONCILER_SESSION), so that processes of other runs of the quickstart are never
seen or touched. A block runs as one bash script (``cd`` and ``$?`` carry from command to
command as on the page), each command followed by a marker with its exit code; the whole block
is bounded and its process group killed on a timeout. ``close`` destroys what the examples
applied and SIGKILLs whatever still carries the sandbox's scope (by pid and start time).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from infra.gitrepo import kill_scope

ROOT = Path(__file__).resolve().parents[3]
MARK = "@@DOCEX"
BLOCK_TIMEOUT = 150.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Ran:
    command: str  # as the page shows it
    code: int
    output: str


class Sandbox:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.session = f"docs{uuid.uuid4().hex[:8]}"
        self.cwd = tmp
        shim = tmp / "bin"
        shim.mkdir()
        (shim / "reconciler").write_text(
            f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n')
        (shim / "reconciler").chmod(0o755)
        for name in ("home", "config", "state", "cache"):
            (tmp / name).mkdir()
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("RECONCILER_")},
                    "PATH": f"{shim}:{os.environ['PATH']}", "HOME": str(tmp / "home"),
                    "XDG_CONFIG_HOME": str(tmp / "config"), "XDG_STATE_HOME": str(tmp / "state"),
                    "XDG_CACHE_HOME": str(tmp / "cache"), "RECONCILER_SESSION": self.session,
                    "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "NO_COLOR": "1",
                    "COLUMNS": "200", "DOCEX_PORT": str(free_port()),
                    "GIT_AUTHOR_NAME": "docs", "GIT_AUTHOR_EMAIL": "docs@example.invalid",
                    "GIT_COMMITTER_NAME": "docs", "GIT_COMMITTER_EMAIL": "docs@example.invalid"}
        self.projects: list[tuple[Path, str]] = []

    def quickstart(self, at: Path | None = None) -> Path:
        """examples/quickstart copied into the sandbox (``at``, else examples/quickstart)."""
        return self.example(ROOT / "examples" / "quickstart",
                            at or self.tmp / "examples" / "quickstart", "quickstart")

    def example(self, source: Path, at: Path, name: str) -> Path:
        """A project directory copied to ``at``; ``name`` is its project name (``close``
        destroys it and kills what still carries ``<name>_<session>``)."""
        shutil.copytree(source, at)
        self.projects.append((at, name))
        return at

    def run(self, commands: list[str], before: list[str] | None = None) -> list[Ran]:
        """Run ``commands`` (after the hidden ``before`` lines, output dropped) as one script."""
        script = ["__rc=0"]
        script += [f"{{ {line} ; }} >/dev/null 2>&1" for line in before or []]
        for index, command in enumerate(commands):
            script += [f"(exit $__rc); {command}", "__rc=$?",
                       f"printf '\\n{MARK} {index} %d\\n' $__rc"]
        script.append(f"printf '{MARK} PWD %s\\n' \"$PWD\"")
        proc = subprocess.Popen(["bash", "-c", "\n".join(script)], cwd=self.cwd, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate(timeout=20)
            hung = out.decode(errors="replace")
            raise AssertionError(f"block hung: {commands}\n{hung}") from None
        text = out.decode(errors="replace")
        ran: list[Ran] = []
        chunks = re.split(rf"^{MARK} (\S+) (.*)$\n?", text, flags=re.M)
        for body, tag, value in zip(chunks[0::3], chunks[1::3], chunks[2::3], strict=False):
            if tag == "PWD":
                self.cwd = Path(value)
            else:
                ran.append(Ran(commands[int(tag)], int(value), body))
        assert len(ran) == len(commands), f"the block stopped early:\n{text}"
        return ran

    def close(self) -> list[str]:
        """Destroy every project the examples applied; kill what is left. Returns problems: a
        failed destroy that left processes running (a page may leave its config invalid, as
        git-hook.md does, with nothing running)."""
        from reconciler.transports import procfs

        problems: list[str] = []
        for project, name in self.projects:
            (project / "policy.yaml").unlink(missing_ok=True)  # a page's protect rules
            done = subprocess.run(
                [sys.executable, "-m", "reconciler", "-C", str(project), "destroy",
                 "--auto-approve"], env=self.env, capture_output=True, text=True, timeout=120,
                check=False)
            scope = f"{name}_{self.session}"
            if done.returncode != 0 and procfs.scan(scope):
                problems.append(f"destroy {project}: {done.stdout}{done.stderr}")
            kill_scope([scope])
        return problems
