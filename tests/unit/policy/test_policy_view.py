"""Policy sees one normalised view of every kind (issue 12): a Compose service's image, ports,
privileged flag and labels live under spec.definition, and used to escape every rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from policy_helpers import container, load_ok, outcome

from reconciler.model.changes import Action, ActionReason, Change, ReasonCode
from reconciler.model.types import Address
from reconciler.policy.view import compose_ports, policy_spec


def compose(name: str = "web", **definition: Any) -> Change:
    spec = {"project": "p", "files": ["/x/compose.yaml"], "service": name, "profiles": [],
            "definition": {"image": "registry.example/app:1", **definition}}
    return Change(Address("compose", f"app.{name}"), Action.CREATE, None, spec, (),
                  (ActionReason(ReasonCode.NEW, "new"),))


def test_allowed_registries_sees_a_compose_services_image(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, "version: 1\nallowed_registries: [registry.example]\n")
    assert outcome(policy, compose(image="registry.example/team/app:2")) == "allow"
    assert outcome(policy, compose(image="evil.example/miner:1")) == "deny"
    assert outcome(policy, container(image="evil.example/miner:1")) == "deny"  # the same


def test_cel_rules_read_the_same_fields_for_compose(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, """
        version: 1
        rules:
          - id: no-privileged
            when: has(spec.privileged) && spec.privileged == true
            decision: deny
            message: privileged
          - id: no-public-ports
            when: has(spec.ports) && spec.ports.exists(p, p.host_ip == "0.0.0.0")
            decision: deny
            message: public port
          - id: team-label
            when: '!has(spec.labels.team)'
            decision: warn
            message: no team label
        """)
    assert outcome(policy, compose(privileged=True)) == "deny"
    assert outcome(policy, compose(ports=["8080:80"])) == "deny"  # Docker binds every interface
    assert outcome(policy, compose(ports=["127.0.0.1:8080:80"], labels={"team": "a"})) == "allow"
    assert outcome(policy, compose(ports=["127.0.0.1:8080:80"])) == "warn"


def test_compose_ports_and_view() -> None:
    assert compose_ports(["80", "8080:80", "127.0.0.1:9000:90/udp", "[::1]:7:7"]) == [
        {"host": None, "container": 80, "host_ip": "0.0.0.0", "protocol": "tcp"},
        {"host": 8080, "container": 80, "host_ip": "0.0.0.0", "protocol": "tcp"},
        {"host": 9000, "container": 90, "host_ip": "127.0.0.1", "protocol": "udp"},
        {"host": 7, "container": 7, "host_ip": "::1", "protocol": "tcp"}]
    view = policy_spec("compose", {"definition": {"image": "a", "labels": {"x": "1"}}})
    assert view["image"] == "a" and view["labels"] == {"x": "1"} and view["privileged"] is False
    assert "definition" in view
    assert policy_spec("process", {"command": ["x"]}) == {"command": ["x"]}
