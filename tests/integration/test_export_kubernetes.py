"""`reconciler export kubernetes` end to end: every manifest it writes for the examples and for
the Compose files of the tests validates (strictly) against the Kubernetes OpenAPI schemas of
the newest version kubernetes-validate ships; a re-run is byte-identical; `-o DIR` writes one
file per resource; `--secrets=external` never prints a value; what does not map is a warning
with file:line (exit 0, or 1 with --strict)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
VERSION = kubernetes_validate.latest_version()

# project name -> the files copied into it (Compose files under the name Compose reads)
PROJECTS: dict[str, dict[str, Path]] = {
    "kubernetes-example": {"services.yaml": ROOT / "examples/kubernetes/services.yaml",
                           "nginx.conf": ROOT / "examples/kubernetes/nginx.conf"},
    "seeds": {"compose.yaml": ROOT / "tests/fuzz_corpus/seeds/compose.yaml",
              "compose.override.yaml": ROOT / "tests/fuzz_corpus/seeds/compose.override.yaml"},
    "capture": {"compose.yaml": ROOT / "tests/actuators/compose/fixtures/capture_compose.yaml"},
    "every-shape": {"compose.yaml": ROOT / "tests/unit/config/fixtures/compose_every_shape.yaml"},
}
# The other Compose files in tests are invalid on purpose (bad.yaml, broken.yaml, dep.yaml and
# the fuzz crashers): export refuses them like validate does (exit 1, no manifest).
REFUSED = [ROOT / "tests/actuators/compose/fixtures" / n for n in ("bad.yaml", "broken.yaml",
                                                                     "dep.yaml")]


def export(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("DB_PASSWORD", None)
    return subprocess.run([sys.executable, "-m", "reconciler", "-C", str(project), "export",
                           "kubernetes", *args], capture_output=True, text=True, timeout=120,
                          env=env, check=False)


def copy(tmp_path: Path, name: str) -> Path:
    place = tmp_path / name
    place.mkdir()
    for target, source in PROJECTS[name].items():
        shutil.copyfile(source, place / target)
    return place


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in YAML(typ="safe", pure=True).load_all(text) if d]


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_every_manifest_validates_and_a_rerun_is_identical(tmp_path: Path, name: str) -> None:
    project = copy(tmp_path, name)
    first, second = export(project), export(project)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and first.stderr == second.stderr
    manifests = documents(first.stdout)
    assert manifests
    for manifest in manifests:
        kubernetes_validate.validate(manifest, VERSION, strict=True)


def test_the_example_exports_every_kind_it_uses(tmp_path: Path) -> None:
    done = export(copy(tmp_path, "kubernetes-example"))
    kinds = sorted(f"{m['kind']}/{m['metadata']['name']}" for m in documents(done.stdout))
    assert kinds == ["ConfigMap/api-env", "ConfigMap/api-files", "ConfigMap/db-env",
                     "Deployment/api", "Deployment/cache", "Secret/db-secrets", "Service/api",
                     "Service/cache", "Service/db", "StatefulSet/db"]
    assert done.stderr == ""
    [files] = [m for m in documents(done.stdout) if m["metadata"]["name"] == "api-files"]
    assert files["data"] == {"nginx.conf": (ROOT / "examples/kubernetes/nginx.conf").read_text()}


def test_one_file_per_resource_with_the_same_bytes_as_the_stream(tmp_path: Path) -> None:
    project = copy(tmp_path, "kubernetes-example")
    out = tmp_path / "manifests"
    done = export(project, "-o", str(out))
    assert done.returncode == 0 and done.stdout == "", done.stderr
    written = sorted(p.name for p in out.iterdir())
    assert "statefulset-db.yaml" in written and len(written) == 10
    stream = export(project).stdout
    assert stream.rstrip("\n") == "".join(f"---\n{(out / n).read_text()}" for n in [
        f"{m['kind'].lower()}-{m['metadata']['name']}.yaml"
        for m in documents(stream)]).rstrip("\n")


def test_external_secrets_never_print_the_value(tmp_path: Path) -> None:
    project = copy(tmp_path, "kubernetes-example")
    inline = export(project)
    clear = "dev-password"
    assert base64.b64encode(clear.encode()).decode() in inline.stdout  # base64, not encryption
    external = export(project, "--secrets=external")
    assert external.returncode == 0
    for text in (external.stdout, external.stderr):
        assert clear not in text and base64.b64encode(clear.encode()).decode() not in text
    assert "kind: Secret" not in external.stdout
    assert "create Secret 'db-secrets' with keys POSTGRES_PASSWORD" in external.stderr


def test_what_does_not_map_is_said_with_its_place(tmp_path: Path) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(ROOT / "examples/quickstart", project)
    done = export(project)
    assert done.returncode == 0 and done.stdout.strip() == ""
    for line, address in ((13, "task.setup"), (17, "process.api"), (34, "process.web"),
                          (47, "process.worker")):
        assert f"services.yaml:{line}:3: warning: {address}: not exported" in done.stderr
    assert "nothing in the project maps to Kubernetes" in done.stderr
    strict = export(project, "--strict")
    assert strict.returncode == 1
    every_shape = export(copy(tmp_path, "every-shape"), "--strict")
    assert every_shape.returncode == 1
    assert "volume './data:/data' is not exported" in every_shape.stderr
    built = tmp_path / "built"
    built.mkdir()
    (built / "compose.yaml").write_text("services:\n  app:\n    build: .\n")
    only_build = export(built)
    assert only_build.returncode == 0
    assert ("compose.yaml:2:3: warning: compose.compose.app: a Compose service without an "
            "image is not exported") in only_build.stderr


@pytest.mark.parametrize("source", REFUSED, ids=lambda p: p.name)
def test_invalid_compose_files_are_refused(tmp_path: Path, source: Path) -> None:
    shutil.copyfile(source, tmp_path / "compose.yaml")
    done = export(tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert "compose.yaml:" in done.stderr and "Traceback" not in done.stderr
