"""The transport registry and the capabilities every transport has (no probing with hasattr)."""

from __future__ import annotations

import pytest

from reconciler.errors import TransportError
from reconciler.model.topology import HostSpec
from reconciler.transports import registry
from reconciler.transports.local import LocalTransport
from reconciler.transports.ssh import SshTransport


def test_host_types_pick_the_transport() -> None:
    assert registry.host_type("local") == "local"
    assert registry.host_type("h1") == "ssh"
    assert isinstance(registry.open_transport("local", lambda name: HostSpec(name, name)),
                      LocalTransport)


def test_an_unknown_host_type_is_a_clear_transport_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "host_type", lambda host: "carrier-pigeon")
    with pytest.raises(TransportError, match="no transport of type 'carrier-pigeon'") as caught:
        registry.open_transport("h1", lambda name: HostSpec(name, name))
    assert "local, ssh" in caught.value.hint


def test_local_and_ssh_answer_the_same_capabilities() -> None:
    local = LocalTransport()
    remote = SshTransport(HostSpec("h1", "198.18.0.11", user="deploy", port=2222, sudo=True))
    assert (local.is_local, remote.is_local) == (True, False)
    assert local.docker_url() is None
    assert remote.docker_url() == "ssh://deploy@198.18.0.11:2222"
    assert local.wrap("docker ps") == "docker ps"
    assert remote.wrap("docker ps") == "sudo -n -- sh -c 'docker ps'"
    assert remote.exit_code(1) is None and remote.reap() is None  # not children of ours
    assert local.exit_code(1) is None  # not a child this transport spawned
    done = local.run_script("echo $((6 * 7))\n", timeout=10)
    assert (done.returncode, done.stdout) == (0, "42\n")
