"""``type: image``: ``.dockerignore`` matching, the context hash, and the model's build.

The matcher and the hash read real files in a temp dir (the build host's part); the model
tests build services.yaml with the real ``LocalHost`` (the hash) or ``FakeHost``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cfg_testlib import write
from conftest import Run
from testing import FakeHost

from reconciler.actuators.image.context import Ignore, context_hash
from reconciler.model.types import Address

IGNORE = """\
# build outputs
*.log
!keep.log
/build
**/cache
docs/*.md
!docs/README.md
sp?ce
[ab].txt
\\!bang
"""


@pytest.mark.parametrize(("path", "ignored"), [
    ("a.log", True), ("keep.log", False), ("sub/a.log", False),  # `*` is one segment
    ("build", True), ("build/out/x.o", True),  # a directory matches all below it
    ("sub/build", False), ("cache", True), ("x/y/cache/z", True),  # `**` any depth
    ("docs/a.md", True), ("docs/README.md", False), ("docs/sub/a.md", False),
    ("space", True), ("spaace", False), ("a.txt", True), ("c.txt", False),
    ("!bang", True), ("Dockerfile", False),
])
def test_dockerignore_matching(path: str, ignored: bool) -> None:
    assert Ignore(IGNORE).ignored(path) is ignored


def test_last_matching_pattern_wins_and_exceptions_reach_into_ignored_dirs() -> None:
    rules = Ignore("data\n!data/keep\n")
    assert rules.ignored("data/drop") and not rules.ignored("data/keep")
    assert Ignore("!a.txt\n*.txt\n").ignored("a.txt")  # the later pattern decides
    assert Ignore("/\n").ignored("anything/at/all")


def make_context(root: Path) -> Path:
    write(root, {"Dockerfile": "FROM scratch\n", "app.txt": "one\n", "notes.log": "x\n",
                 "sub/cache/blob": "y\n", ".dockerignore": "*.log\n**/cache\n"})
    return root


def test_context_hash_changes_with_sent_files_only(tmp_path: Path) -> None:
    ctx = make_context(tmp_path)
    dockerfile = ctx / "Dockerfile"
    first = context_hash(ctx, dockerfile)
    assert first.startswith("sha256:") and context_hash(ctx, dockerfile) == first
    (ctx / "notes.log").write_text("edited\n")
    (ctx / "sub" / "cache" / "blob").write_text("edited\n")
    assert context_hash(ctx, dockerfile) == first
    (ctx / "app.txt").write_text("two\n")
    second = context_hash(ctx, dockerfile)
    assert second != first
    (ctx / "app.txt").chmod(0o755)  # the executable bit is sent
    assert context_hash(ctx, dockerfile) != second
    (ctx / "new.txt").write_text("")  # an empty new file counts
    third = context_hash(ctx, dockerfile)
    (ctx / ".dockerignore").write_text("*.log\n**/cache\nnew.txt\n")
    assert context_hash(ctx, dockerfile) not in (third,)


def test_dockerfile_counts_even_when_ignored(tmp_path: Path) -> None:
    ctx = make_context(tmp_path)
    (ctx / ".dockerignore").write_text("Dockerfile\n")
    before = context_hash(ctx, ctx / "Dockerfile")
    (ctx / "Dockerfile").write_text("FROM scratch\nENV A=1\n")
    assert context_hash(ctx, ctx / "Dockerfile") != before


def test_missing_context_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        context_hash(tmp_path / "nope", tmp_path / "nope" / "Dockerfile")


SERVICES = """\
services:
  img:
    type: image
    tag: myapp
    context: ctx
    build_target: prod
    build_args: {{VERSION: {version}, DEBUG: false}}
  web:
    type: docker
    image: myapp:latest
  other:
    type: docker
    image: busybox
"""


def test_image_spec_and_the_containers_that_run_it(run: Run, tmp_path: Path) -> None:
    make_context(tmp_path / "ctx")
    result = run({"services.yaml": SERVICES.format(version=1)})
    assert result.errors == []
    image = result.resource("image.img")
    assert image.spec == {
        "tag": "myapp", "context": str(tmp_path / "ctx"),
        "dockerfile": str(tmp_path / "ctx" / "Dockerfile"), "build_target": "prod",
        "build_args": {"DEBUG": "false", "VERSION": "1"},
        "context_hash": context_hash(tmp_path / "ctx", tmp_path / "ctx" / "Dockerfile")}
    web, other = result.resource("container.web"), result.resource("container.other")
    assert [d.target for d in web.depends_on] == [Address("image", "img")]
    assert web.spec["image_build"].startswith("sha256:")
    assert "image_build" not in other.spec and other.depends_on == ()

    bumped = run({"services.yaml": SERVICES.format(version=2)})
    assert bumped.resource("image.img").hash() != image.hash()
    assert bumped.resource("container.web").hash() != web.hash()  # a rebuild replaces it
    assert bumped.resource("container.other").hash() == other.hash()


def test_missing_context_is_an_error_at_the_key(run: Run) -> None:
    result = run({"services.yaml": "services:\n  img:\n    type: image\n    tag: x\n"
                                   "    context: nowhere\n"})
    [message] = result.errors
    assert "services.yaml:5:" in message and "image 'img': context" in message


def test_the_build_host_hashes_the_context(run: Run, tmp_path: Path) -> None:
    dockerfile = f"{tmp_path}/Dockerfile"
    host = FakeHost(facts={("image", "context_digest", str(tmp_path), dockerfile): "sha256:1"})
    result = run({"services.yaml": "services:\n  img:\n    type: image\n    tag: x\n"},
                 host=host)
    assert result.resource("image.img").spec["context_hash"] == "sha256:1"
    assert host.asked == [f"fact image context_digest {tmp_path} {dockerfile}"]


def test_image_keys_are_checked(run: Run) -> None:
    result = run({"services.yaml": "services:\n  img:\n    type: image\n    context: .\n"
                                   "    command: x\n"})
    assert sorted(e.splitlines()[0] for e in result.errors) == [
        "services.yaml:2:3: error: image service 'img' needs 'tag'",
        "services.yaml:5:5: error: key 'command' does not apply to a image service"]
