"""services.yaml docker keys (restart, init, cpus, memory, pull, networks, stop_signal):
validation with positions, which types accept them, how they reach the container spec and
which of them the spec hash sees."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.actuators.container import parse as cp
from reconciler.model.types import HASH_EXCLUDED_FIELDS

WEB = """
services:
  web:
    type: docker
    image: reconciler-test/busybox:1
{extra}
"""


def web(**keys: str) -> dict[str, str]:
    extra = "\n".join(f"    {k}: {v}" for k, v in keys.items())
    return {"services.yaml": WEB.format(extra=extra)}


def test_every_key_reaches_the_container_spec(run: Any) -> None:
    result = run(web(restart="on-failure:3", init="true", cpus="0.5", memory="256M",
                     pull="never", networks="[shared-b, shared-a, shared-b]",
                     stop_signal="INT"))
    assert result.errors == []
    spec = result.resource("container.web").spec
    assert (spec["restart"], spec["init"], spec["cpus"], spec["memory"], spec["pull"]) == (
        "on-failure:3", True, 0.5, "256m", "never")
    assert spec["networks"] == ["shared-a", "shared-b"]
    assert spec["stop_signal"] == "SIGINT"


def test_defaults_stay_out_of_the_spec_and_the_image_keeps_its_stop_signal(run: Any) -> None:
    spec = run(web(init="false", pull="missing", networks="[]")).resource("container.web").spec
    assert spec["restart"] == "no" and spec["stop_signal"] is None
    assert not {"init", "cpus", "memory", "pull", "networks"} & set(spec)


def test_memory_in_bytes_and_whole_cpus(run: Any) -> None:
    spec = run(web(memory="268435456", cpus="2")).resource("container.web").spec
    assert (spec["memory"], spec["cpus"]) == (268435456, 2.0)


@pytest.mark.parametrize(("key", "value", "needle"), [
    ("memory", "lots", "services.web.memory: 'lots' does not match"),
    ("memory", "0", "services.web.memory"),
    ("restart", "sometimes", "services.web.restart: 'sometimes' does not match"),
    ("restart", "always:3", "services.web.restart"),
    ("cpus", "0", "services.web.cpus: 0 is less than or equal to the minimum of 0"),
    ("cpus", "-1", "services.web.cpus"),
    ("pull", "sometimes", 'services.web.pull: invalid value "sometimes"'),
    ("init", "yes please", "services.web.init: expected boolean"),
])
def test_invalid_values_are_errors_at_the_key(run: Any, key: str, value: str,
                                              needle: str) -> None:
    errors = run(web(**{key: value})).errors
    assert len(errors) == 1, errors
    assert errors[0].startswith("services.yaml:5:5: error: ")
    assert needle in errors[0]


def test_the_keys_apply_to_docker_only(run: Any) -> None:
    files = {"services.yaml": """
services:
  api:
    command: sleep 60
    memory: 1g
    restart: always
"""}
    errors = run(files).errors
    assert errors == [
        "services.yaml:4:5: error: key 'memory' does not apply to a process service\n"
        "  hint: it applies to: docker",
        "services.yaml:5:5: error: key 'restart' does not apply to a process service\n"
        "  hint: it applies to: docker"]


def test_nested_target_shape_takes_them_too(run: Any) -> None:
    files = {"services.yaml": """
services:
  web:
    target: {type: docker, image: "reconciler-test/busybox:1", init: true, memory: 1g}
"""}
    result = run(files)
    assert result.errors == []
    spec = result.resource("container.web").spec
    assert (spec["init"], spec["memory"]) == (True, "1g")


def test_the_new_keys_are_hashed_and_labels_are_not() -> None:
    assert not {"restart", "init", "cpus", "memory", "pull", "networks"} & HASH_EXCLUDED_FIELDS
    assert "labels" in HASH_EXCLUDED_FIELDS


def test_spec_hash_changes_with_a_limit(run: Any) -> None:
    plain = run(web()).resource("container.web")
    limited = run(web(memory="64m")).resource("container.web")
    relabelled = run(web(labels="{team: a}")).resource("container.web")
    assert plain.hash() != limited.hash()
    assert plain.hash() == relabelled.hash()


@pytest.mark.parametrize(("text", "policy"), [
    ("no", None),
    ("always", {"Name": "always"}),
    ("unless-stopped", {"Name": "unless-stopped"}),
    ("on-failure", {"Name": "on-failure"}),
    ("on-failure:5", {"Name": "on-failure", "MaximumRetryCount": 5}),
])
def test_restart_policy_for_the_engine(text: str, policy: object) -> None:
    assert cp.restart_policy(text) == policy


@pytest.mark.parametrize("text", ["sometimes", "always:2", "on-failure:x"])
def test_bad_restart_policy_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="restart"):
        cp.restart_policy(text)


def test_locald_containers_keep_the_images_stop_signal_unless_given(run: Any) -> None:
    files = {"locald.toml": """
[services.web]
type = "container"
image = "reconciler-test/busybox:1"
container_port = 80

[services.worker]
type = "container"
image = "reconciler-test/busybox:1"
stop_signal = "INT"
"""}
    result = run(files)
    assert result.errors == []
    assert result.resource("container.web").spec["stop_signal"] is None
    assert result.resource("container.worker").spec["stop_signal"] == "SIGINT"
