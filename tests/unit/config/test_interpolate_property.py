"""Interpolation rules, and the property that random input never makes a stage raise."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config import parse_file
from reconciler.config.interpolate import ReferenceProblem, interpolate
from reconciler.engine.local_host import LocalHost
from reconciler.model.build import build
from reconciler.validate.checker import check


def _ref(service: str, attr: str) -> str:
    if service == "db" and attr == "port":
        return "5432"
    raise ReferenceProblem(f"unknown {service}.{attr}")


def test_interpolation_forms() -> None:
    env = {"A": "1", "E": ""}
    cases = {
        "x${A}y": "x1y", "${B:-d${A}}": "d1", "$$PORT $PORT": "$PORT $PORT",
        "${E:-z}": "z", "${E-z}": "", "${B-z}": "z", "${db.port}": "5432",
        "${services.db.port}": "5432", "cost $5": "cost $5",
    }
    for text, expected in cases.items():
        assert interpolate(text, env.get, _ref).value == expected, text
    missing = interpolate("${B}", env.get, _ref)
    assert missing.missing == ["B"] and missing.value == ""
    assert interpolate("${B:?set B}", env.get, _ref).errors == ["B: set B"]
    assert interpolate("${A", env.get, _ref).errors == ["unterminated '${' in '${A'"]
    assert interpolate("${x.port}", env.get, _ref).errors == ["unknown x.port"]
    assert interpolate("${1x}", env.get, _ref).errors == ["invalid substitution '${1x}'"]


_yamlish = st.text(alphabet=st.sampled_from(list("ab:-{}[]\"'#&*!|>$ \n\t0123456789.,")),
                   max_size=120)
_keys = st.sampled_from(["services", "tasks", "type", "binary", "command", "depends_on",
                         "port", "env", "ports", "image", "a", "b", "health_check", "target",
                         "dependencies", "uses", "networks", "nodes", "host", "${a.port}"])
_values: st.SearchStrategy[object] = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.floats(allow_nan=False)
    | st.sampled_from(["auto", "docker", "process", "${X}", "${a.env.B}", "8080:80", "a", "b"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20)


def _all_stages(path: Path, text: str, fmt: str) -> None:
    doc, _ = parse_file(path, text, fmt)
    docs = [doc] if doc is not None else []
    check(docs)
    build(docs, env={"X": "1"}, strict=True, host=LocalHost({"X": "1"}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_yamlish)
def test_random_yaml_text_never_raises(text: str) -> None:
    _all_stages(Path("services.yaml"), text, "services")


@settings(max_examples=150, deadline=None)
@given(_yamlish)
def test_random_toml_and_procfile_text_never_raises(text: str) -> None:
    _all_stages(Path("locald.toml"), text.replace("{", "[").replace("'", '"'), "locald")
    _all_stages(Path("Procfile"), text, "procfile")
    _all_stages(Path(".env"), text, "dotenv")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=5))
def test_random_structures_never_raise(data: dict[str, object]) -> None:
    import json

    _all_stages(Path("services.yaml"), json.dumps(data), "services")
    toml_body = "\n".join(f"[services.{k.strip('${}.') or 'x'}]\n" for k in data)
    _all_stages(Path("locald.toml"), toml_body, "locald")
