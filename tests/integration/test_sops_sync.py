"""A `reconciler sync` agent with SOPS + age secrets, the real ``sops`` and keys made by the test.

The agent (given ``--age-key-file``) applies an encrypted commit from a bare repository
(file://); a commit whose file is encrypted to another recipient is refused with the file and
key path named (never a value) while the running services keep their pids and the agent keeps
the last good commit; a rotation of the value in the encrypted file, committed, is applied as
exactly the restarts of the service that reads it and its dependent, in dependency order; a
restarted agent restarts nothing; no file under the agent's ``.reconciler/`` holds a clear value.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from infra.agekeys import keygen, sops
from infra.components import require
from infra.gitrepo import GitRepo, SyncAgent, running_pids, sync_status

PASSWORD = "pw-Synced-81c2d7"
ROTATED = "pw-SyncRot-4be019"


def project_files(scope: str, out: Path) -> dict[str, str]:
    return {"services.yaml": f"""\
name: {scope}
services:
  db:
    command: sh -c 'printf "%s" "$DB_PASSWORD" > "$OUT"; exec sleep 100000'
    shutdown_timeout: 2
    env:
      OUT: "{out}"
      DB_PASSWORD: {{sops: secrets.enc.yaml#db.password}}
  web:
    command: exec sleep 100001
    shutdown_timeout: 2
    env:
      DB_URL: "postgres://app:${{db.env.DB_PASSWORD}}@127.0.0.1:5432/app"
    depends_on: {{db: {{condition: service_started}}}}
  other:
    command: exec sleep 100002
    shutdown_timeout: 2
"""}


def encrypted(repo: GitRepo, key: Path, recipient: str, value: str) -> dict[str, str]:
    """``secrets.enc.yaml`` holding ``value``, encrypted in the work clone to ``recipient``."""
    (repo.work / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: \\.enc\\.[^/]+$\n    age: {recipient}\n")
    enc = repo.work / "secrets.enc.yaml"
    enc.write_text(f"db:\n  password: {value}\n  user: app\n")
    sops(key, "--encrypt", "--in-place", enc.name, cwd=repo.work)
    return {".sops.yaml": (repo.work / ".sops.yaml").read_text(), enc.name: enc.read_text()}


def test_an_agent_with_the_key_applies_refuses_another_recipient_and_syncs_a_rotation(
        tmp_path: Path, scope: str, agents: Callable[..., SyncAgent]) -> None:
    require("git")
    require("sops")
    keys = tmp_path / "keys"
    keys.mkdir()
    key, stranger = keys / "agent.txt", keys / "stranger.txt"
    recipient, foreign = keygen(key), keygen(stranger)
    repo = GitRepo(tmp_path / "git")
    seen = tmp_path / "seen.txt"
    first = repo.commit({**project_files(scope, seen), **encrypted(repo, key, recipient,
                                                                   PASSWORD)}, "encrypted")
    project = tmp_path / "agent"
    agent = agents(project, repo.url, "--age-key-file", str(key))
    agent.synced(first)
    assert seen.read_text() == PASSWORD
    pids = running_pids(project)
    assert set(pids) == {"process.db", "process.web", "process.other"}

    # a commit encrypted to another recipient: refused naming file + key path, nothing touched
    mark = agent.mark()
    bad = repo.commit(encrypted(repo, stranger, foreign, PASSWORD), "to a stranger")
    refused = agent.kind("sync.refused", bad, after=mark)
    text = refused["message"]
    assert bad[:12] in text and "secrets.enc.yaml#db.password" in text
    assert text.count("not a recipient") == 1 and "services.yaml:8:7:" in text
    assert "services.yaml:13:7: error: ${db.env.DB_PASSWORD} cannot be read" in text  # web
    assert PASSWORD not in "\n".join(str(e) for e in agent.events)
    status = sync_status(project)
    assert status["synced"]["sha"] == first and status["last_error"]["commit"] == bad
    assert running_pids(project) == pids  # the services stay up, same pids
    checkout = (project / ".reconciler/sync/checkout/secrets.enc.yaml").read_text()
    assert recipient in checkout and foreign not in checkout  # the last good commit again

    # a rotation, committed (encrypted to the agent again): exactly db and web restart
    mark = agent.mark()
    files = encrypted(repo, key, recipient, PASSWORD)
    repo.commit(files, "back to the agent's key", push=False)
    sops(key, "set", "secrets.enc.yaml", '["db"]["password"]', f'"{ROTATED}"', cwd=repo.work)
    rotated = repo.commit({"secrets.enc.yaml": (repo.work / "secrets.enc.yaml").read_text()},
                          "rotate db.password")
    agent.synced(rotated, after=mark)
    starts = [e["address"] for e in agent.events[mark:]
              if e["kind"] == "node.start" and e["address"]]
    assert starts == ["process.db", "process.web"], starts
    assert seen.read_text() == ROTATED
    after = running_pids(project)
    assert after["process.other"] == pids["process.other"]
    assert after["process.db"] != pids["process.db"] and after["process.web"] != pids["process.web"]
    log = "\n".join(str(e) for e in agent.events)
    assert PASSWORD not in log and ROTATED not in log
    for path in (project / ".reconciler").rglob("*"):  # state, sync status, checkout, logs
        if path.is_file():
            data = path.read_bytes()
            assert PASSWORD.encode() not in data and ROTATED.encode() not in data, path

    # an agent restarted on the same project decrypts the same values: nothing restarts
    assert agent.stop() == 0
    again = agents(project, repo.url, "--age-key-file", str(key))
    again.kind("watch.in_sync")
    assert not [e for e in again.events if e["kind"] == "node.start"]
    assert running_pids(project) == after
