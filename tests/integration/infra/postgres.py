"""A throw-away PostgreSQL cluster for the state tests: initdb + pg_ctl on a unix socket.

:class:`Cluster` creates a data directory and a socket directory in a fresh temp dir, owned by
the ``postgres`` system user when the suite runs as root (the server refuses to run as root),
starts ``postgres`` listening only on that socket (no TCP at all), with ``trust``
authentication for the socket, and removes everything in :meth:`destroy`. :meth:`stop` and
:meth:`start` stop and restart the same cluster (the "database away mid-apply" tests).
:meth:`url` gives a ``postgresql://`` state URL for a schema in the database ``reconciler``.
The session fixture wrapping it lives in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

PORT = 5432  # only names the socket file (.s.PGSQL.5432); nothing listens on TCP
DATABASE = "reconciler"


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class Cluster:
    """One private PostgreSQL server; see the module docstring."""

    def __init__(self) -> None:
        binaries = bin_dir()
        if binaries is None:
            raise RuntimeError("PostgreSQL server binaries missing (/usr/lib/postgresql)")
        self.bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="reconciler-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "sock"
        self.socket.mkdir()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chmod(self.root, 0o755)
            for path in (self.root, self.socket):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")
        self.start()
        self.sql("postgres", f"CREATE DATABASE {DATABASE}")

    def _run(self, tool: str, *args: str) -> None:
        argv = [str(self.bin / tool), *args]
        if self.user is not None:
            argv = ["runuser", "-u", self.user, "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False,
                              cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        options = (f"-k {self.socket} -c listen_addresses='' -p {PORT} -c fsync=off "
                   "-c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, schema: str | None = None, database: str = DATABASE) -> str:
        query = f"host={self.socket}&port={PORT}" + (f"&schema={schema}" if schema else "")
        return f"postgresql://postgres@/{database}?{query}"

    def fresh_schema(self) -> str:
        return f"t_{uuid.uuid4().hex[:12]}"

    def sql(self, database: str, statement: str) -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.url(database=database), autocommit=True) as conn:
            cursor = conn.execute(statement.encode())
            return list(cursor.fetchall()) if cursor.description else []

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(RuntimeError):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
