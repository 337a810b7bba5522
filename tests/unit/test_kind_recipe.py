"""Issue 29: a new kind is one package plus one registry line, nothing else outside its package
but generated files.

The ``image`` kind is the proof: no module outside ``reconciler/actuators/image/`` but the
registry and the generated hook table imports it or names its functions (the builder, the
provided digest, the context fact are reached through ``Kind.builder``/``provides``/``facts``).
The test kind ``recipe`` (``tests/testing/recipe_kind``), registered at run time, is built from
services.yaml and linked to a container naming its tag without the model knowing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing import FakeActuator, FakeHost

from reconciler.actuators import registry
from reconciler.actuators.hooks import table_text
from reconciler.config import load
from reconciler.errors import InternalError
from reconciler.model import kind_hooks
from reconciler.model.build import build
from reconciler.model.types import Address

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "reconciler" / "actuators" / "image"
ALLOWED = {ROOT / "reconciler" / "actuators" / "registry.py",  # its one line
           ROOT / "reconciler" / "model" / "kind_table.py"}  # generated
IMAGE_NAMES = re.compile(r"actuators[./]image\b|\b(image_spec|build_digest|hash_context|"
                         r"link_images|image_draft|context_digest|context_hash|ImageSpec)\b")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).write_text(text)


def _sources() -> Iterator[Path]:
    for folder in (ROOT / "reconciler", ROOT / "tests" / "testing", ROOT / "scripts"):
        yield from folder.rglob("*.py")


def test_nothing_outside_the_image_package_knows_it() -> None:
    offenders = [f"{path.relative_to(ROOT)}: {match.group(0)}"
                 for path in _sources()
                 if PACKAGE not in path.parents and path not in ALLOWED
                 for match in [IMAGE_NAMES.search(path.read_text())] if match]
    assert offenders == []


def test_the_hook_table_is_generated_from_the_registry() -> None:
    assert (ROOT / "reconciler" / "model" / "kind_table.py").read_text() == table_text()


def test_a_hook_outside_a_spec_module_is_refused() -> None:
    with pytest.raises(InternalError, match="spec module"):
        registry.register("badhook", FakeActuator(), builder="testing.fake_host:FakeHost")
    assert registry.kind("badhook") is None and kind_hooks.builder("badhook") is None


def test_a_run_time_kind_cannot_take_a_built_type() -> None:
    with pytest.raises(InternalError, match="'image' is built by another kind"):
        registry.register("shadow", FakeActuator(), types=("image",),
                          builder="testing.recipe_kind.spec:build")
    assert registry.kind("shadow") is None
    found = kind_hooks.builder("image")
    assert found is not None and found[0] == "image"


@pytest.fixture
def recipe() -> Iterator[None]:
    registry.register("recipe", FakeActuator(), types=("recipe", "recipe-alt"),
                      builder="testing.recipe_kind.spec:build",
                      provides="testing.recipe_kind.spec:provides")
    try:
        yield
    finally:
        registry.unregister("recipe")


SERVICES = """\
services:
  dough:
    type: recipe
    tag: bread:1
    flavour: rye
  crumb:
    type: recipe-alt
    tag: cake:2
  web:
    type: docker
    image: bread:1
  other:
    type: docker
    image: busybox:1
"""


def test_a_kind_registered_at_run_time_is_built_and_linked(recipe: None,
                                                           tmp_path: Path) -> None:
    write(tmp_path, {"services.yaml": SERVICES})
    docs, problems = load(tmp_path)
    host = FakeHost(facts={("recipe", "seed", "bread:1"): "sha256:abc"})
    state, diagnostics = build(docs, env={}, host=host)
    assert problems == [] and diagnostics == []
    dough = state.resources[Address("recipe", "dough")]
    assert dough.spec == {"tag": "bread:1", "flavour": "rye", "seed": "sha256:abc",
                          "directory": str(tmp_path)}
    assert state.resources[Address("recipe", "crumb")].spec["seed"] == "sha256:cake:2"
    web = state.resources[Address("container", "web")]
    assert web.spec["image_build"] == "sha256:abc"
    assert [d.target for d in web.depends_on] == [dough.address]
    other = state.resources[Address("container", "other")]
    assert "image_build" not in other.spec and other.depends_on == ()
    assert "fact recipe seed bread:1" in host.asked


def test_a_builder_problem_points_at_its_key(recipe: None, tmp_path: Path) -> None:
    write(tmp_path, {"services.yaml": "services:\n  dough:\n    type: recipe\n"})
    docs, _ = load(tmp_path)
    _, diagnostics = build(docs, env={}, host=FakeHost())
    [problem] = diagnostics
    assert problem.summary == "recipe 'dough': needs a tag" and problem.hint == "add `tag:`"


def test_once_unregistered_the_type_is_no_longer_built(tmp_path: Path) -> None:
    registry.register("recipe", FakeActuator(), builder="testing.recipe_kind.spec:build")
    registry.unregister("recipe")
    write(tmp_path, {"services.yaml": "services:\n  dough:\n    type: recipe\n"
                                      "    command: sleep 1\n"})
    docs, _ = load(tmp_path)
    state, _ = build(docs, env={}, host=FakeHost())
    assert [a.kind for a in state.resources] == ["process"]


def test_the_independence_contract_lists_every_registered_kind() -> None:
    """pyproject.toml's kind list is generated too: the registry line is the only hand edit."""
    import importlib.util

    script = ROOT / "scripts" / "gen_schemas.py"
    spec = importlib.util.spec_from_file_location("gen_schemas", script)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = (ROOT / "pyproject.toml").read_text()
    assert gen.contract_text(text) == text
    assert all(f'"{package}"' in text for package in registry.PACKAGES)
