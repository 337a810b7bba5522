"""`reconciler sync` over ssh:// (a namespace host's sshd) and with `--verify-signatures`.

The ssh:// test reaches the bare repository through a real sshd in a network namespace
(tests/integration/infra/netns_hosts.py), with the run's client key and known_hosts file given
as `--ssh-key` / `--known-hosts` (strict host key checking stays on). The signature test makes
a throw-away SSH signing key (`gpg.format=ssh`) and an allowed-signers file as the keyring:
an unsigned commit is refused and reported while the services keep running, the next signed
commit is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from infra.gitrepo import GitRepo, SyncAgent, reconciler, services, sync_status
from infra.netns_hosts import SshHost

from reconciler.state import StateStore

SLEEP = "exec sleep 100000"


def running(directory: Path) -> set[str]:
    store = StateStore.open_project(directory)
    try:
        return {str(a) for a, r in store.resources().items() if r.status == "running"}
    finally:
        store.close()


def test_ssh_url_through_a_namespace_host(tmp_path: Path, repo: GitRepo, scope: str,
                                          ssh_hosts: Callable[[int], list[SshHost]]) -> None:
    host = ssh_hosts(1)[0]
    first = repo.commit({"deploy/services.yaml": services(scope, {"a": SLEEP})}, "one")
    url = f"ssh://{host.user}@{host.address}:{host.port}{repo.bare}"
    project = tmp_path / "agent"
    project.mkdir()
    ssh = ["--ssh-key", str(host.key_path), "--known-hosts", str(host.known_hosts_path)]
    done = reconciler(project, "sync", url, "--path", "deploy", "--once", *ssh)
    assert done.returncode == 0, done.stdout + done.stderr
    status = sync_status(project)
    assert status["synced"]["sha"] == first and status["url"] == url
    assert running(project) == {"process.a"}

    second = repo.commit({"deploy/services.yaml": services(scope, {"a": SLEEP, "b": SLEEP})},
                         "two")
    done = reconciler(project, "sync", url, "--path", "deploy", "--once", *ssh)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sync_status(project)["synced"]["sha"] == second
    assert running(project) == {"process.a", "process.b"}

    # an unknown host key is refused by ssh itself, mapped to a git error with a hint
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    other = tmp_path / "other"
    other.mkdir()
    refused = reconciler(other, "sync", url, "--once", "--ssh-key", str(host.key_path),
                         "--known-hosts", str(empty))
    assert refused.returncode == 1
    assert "strict checking" in refused.stderr
    assert "hint: add the host's key to the known_hosts file" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_unsigned_commit_refused_under_verify_signatures(tmp_path: Path, repo: GitRepo,
                                                         scope: str) -> None:
    keyring = repo.make_signing_key(tmp_path)
    signed = repo.commit({"services.yaml": services(scope, {"a": SLEEP})}, "signed one",
                         sign=True)
    project = tmp_path / "agent"
    project.mkdir()
    agent = SyncAgent(project, repo.url, "--interval", "1s", "--verify-signatures",
                      "--keyring", str(keyring))
    try:
        agent.kind("sync.verified", signed)
        agent.synced(signed)
        mark = agent.mark()
        unsigned = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "b": SLEEP})},
                               "unsigned")
        refused = agent.kind("sync.refused", unsigned, after=mark)
        assert refused["data"]["reason"] == "unsigned"
        assert unsigned[:12] in refused["message"] and "not signed" in refused["message"]
        status = sync_status(project)
        assert status["synced"]["sha"] == signed
        assert status["last_error"]["kind"] == "unsigned"
        assert running(project) == {"process.a"}  # nothing of the unsigned commit ran

        # signed by a key that is not in the keyring: refused too
        mark = agent.mark()
        stranger = GitRepo(tmp_path / "stranger")
        stranger.make_signing_key(tmp_path / "stranger")
        repo.signing_key, own = stranger.signing_key, repo.signing_key
        forged = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "c": SLEEP})},
                             "forged", sign=True)
        repo.signing_key = own
        refused = agent.kind("sync.refused", forged, after=mark)
        assert "does not verify" in refused["message"]
        assert running(project) == {"process.a"}

        mark = agent.mark()
        good = repo.commit({"services.yaml": services(scope, {"a": SLEEP, "d": SLEEP})},
                           "signed two", sign=True)
        agent.synced(good, after=mark)
        assert running(project) == {"process.a", "process.d"}
    finally:
        assert agent.stop() == 0
