"""The Kubernetes export on literal models (reconciler/export/): workloads, probes, init
containers, Secrets (inline base64, or external and never in clear), the diagnostic for each
resource that does not map, and byte-identical output."""

from __future__ import annotations

import base64
from typing import Any

from reconciler.errors import Severity, SourceRange
from reconciler.export.k8s_manifests import kubernetes
from reconciler.export.k8s_resources import cpu, memory
from reconciler.export.k8s_volumes import bind_sources
from reconciler.export.k8s_yaml import files, stream
from reconciler.model.secrets import marker
from reconciler.model.types import (
    Address,
    Condition,
    Dependency,
    DesiredState,
    HealthCheck,
    ProbeKind,
    Resource,
)

CLEAR = "s3cr3t-value-x9"


def src(line: int) -> SourceRange:
    return SourceRange(file="/p/services.yaml", line=line, column=3)


def container(name: str, line: int, **spec: Any) -> dict[str, Any]:
    return {"image": f"{name}:1", "ports": [], "volumes": [], "command": None,
            "entrypoint": None, "env": {}, **spec}


def model() -> DesiredState:
    db = Resource(Address("container", "db"),
                  container("db", 2, env={"DB_PASSWORD": marker(CLEAR), "PGDATA": "/d"},
                            ports=[{"host": 15432, "container": 5432, "host_ip": "127.0.0.1"}],
                            volumes=["pgdata:/var/lib/postgresql/data"]),
                  health=HealthCheck(ProbeKind.COMMAND, "pg_isready -U postgres", 2, 1, 5, 9),
                  source=src(2), secrets={"env.DB_PASSWORD": CLEAR}, order=0)
    api = Resource(Address("container", "api"),
                   container("api", 9, ports=[{"host": 18080, "container": 80}],
                             command=["serve", "--port", "80"]),
                   depends_on=(Dependency(Address("container", "db"), Condition.HEALTHY),
                               Dependency(Address("process", "tool"), Condition.STARTED)),
                   health=HealthCheck(ProbeKind.HTTP, "http://127.0.0.1:18080/up?x=1", 5, 2, 3),
                   source=src(9), order=1)
    tool = Resource(Address("process", "tool"), {"command": ["tool"], "cwd": "/p", "env": {}},
                    source=src(20), order=2)
    remote = Resource(Address("container", "edge", "web1"), container("edge", 30),
                      source=src(30), order=3)
    return DesiredState("shop", {r.address: r for r in (db, api, tool, remote)})


def by_name(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f"{m['kind']}/{m['metadata']['name']}": m for m in manifests}


def test_containers_become_workloads_services_config_maps_and_secrets() -> None:
    out = by_name(kubernetes(model()).manifests)
    assert sorted(out) == ["ConfigMap/db-env", "Deployment/api", "Secret/db-secrets",
                           "Service/api", "Service/db", "StatefulSet/db"]
    db = out["StatefulSet/db"]
    assert db["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "pgdata"
    assert db["metadata"]["labels"]["io.reconciler.address"] == "container.db"
    assert out["Service/db"]["spec"]["ports"][0]["port"] == 5432
    assert out["ConfigMap/db-env"]["data"] == {"PGDATA": "/d"}
    assert out["Secret/db-secrets"]["data"] == {
        "DB_PASSWORD": base64.b64encode(CLEAR.encode()).decode()}
    pod = out["Deployment/api"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["args"] == ["serve", "--port", "80"]


def test_health_checks_become_probes_with_their_timing() -> None:
    out = by_name(kubernetes(model()).manifests)
    api = out["Deployment/api"]["spec"]["template"]["spec"]["containers"][0]
    # the published port 18080 of the check is the container's port 80
    assert api["readinessProbe"] == {"httpGet": {"path": "/up?x=1", "port": 80, "scheme": "HTTP"},
                                     "periodSeconds": 5, "timeoutSeconds": 2,
                                     "failureThreshold": 3}
    assert "startupProbe" not in api
    db = out["StatefulSet/db"]["spec"]["template"]["spec"]["containers"][0]
    assert db["livenessProbe"]["exec"] == {"command": ["pg_isready", "-U", "postgres"]}
    assert db["startupProbe"]["failureThreshold"] == 5 + 5  # 9 s / 2 s rounded up, + retries


def test_a_dependency_is_an_init_container_waiting_for_its_service() -> None:
    result = kubernetes(model())
    pod = by_name(result.manifests)["Deployment/api"]["spec"]["template"]["spec"]
    [wait] = pod["initContainers"]
    assert wait["name"] == "wait-for-db"
    assert "nc -z -w 2 db 5432" in wait["command"][2]
    # the dependency on a local process cannot be waited for: said, not dropped
    assert any("dependency process.tool is not exported" in d.summary
               for d in result.diagnostics)


def test_what_does_not_map_gets_a_warning_with_its_place() -> None:
    result = kubernetes(model())
    found = {d.address: d for d in result.diagnostics if "not exported (" in d.summary
             or "SSH host" in d.summary}
    assert str(found["process.tool"].source) == "/p/services.yaml:20:3"
    assert "local process has no image" in found["process.tool"].summary
    assert "SSH host 'web1'" in found["container.edge@web1"].summary
    assert all(d.severity is Severity.WARNING for d in result.diagnostics)
    assert result.unmapped


def test_a_swarm_service_is_not_told_to_get_an_image() -> None:
    """A swarm service is already `type: docker` with an image: its warning says why it is
    not exported (its cluster) and how to export it, not "give it an image"."""
    web = Resource(Address("swarm_service", "web"), container("web", 7, cluster="lab"),
                   source=src(7))
    [warned] = kubernetes(DesiredState("shop", {web.address: web})).diagnostics
    assert "swarm_service.web: not exported (a swarm service runs on its cluster)" \
        in warned.summary
    assert warned.hint is not None and "image" not in warned.hint and "cluster:" in warned.hint


def test_external_secrets_are_referenced_and_never_in_the_output() -> None:
    result = kubernetes(model(), "external")
    text = stream(result.manifests)
    assert CLEAR not in text and base64.b64encode(CLEAR.encode()).decode() not in text
    assert "kind: Secret" not in text
    pod = by_name(result.manifests)["StatefulSet/db"]["spec"]["template"]["spec"]
    assert {"secretRef": {"name": "db-secrets"}} in pod["containers"][0]["envFrom"]
    assert result.notes == ["container.db: create Secret 'db-secrets' with keys DB_PASSWORD "
                            "(kubectl create secret generic db-secrets --from-literal=KEY=...)"]
    assert CLEAR not in "".join(result.notes) + "".join(d.render() for d in result.diagnostics)


def test_the_output_is_byte_identical_and_sorted() -> None:
    first, second = kubernetes(model()), kubernetes(model())
    assert stream(first.manifests) == stream(second.manifests)
    assert files(first.manifests) == files(second.manifests)
    assert list(files(first.manifests)) == [
        "configmap-db-env.yaml", "secret-db-secrets.yaml", "service-api.yaml",
        "service-db.yaml", "statefulset-db.yaml", "deployment-api.yaml"]
    text = stream(first.manifests)
    assert text.startswith("---\napiVersion: v1\ndata:\n") and "&id" not in text


def test_a_bind_mounted_file_becomes_a_config_map_key_and_a_directory_a_warning() -> None:
    web = Resource(Address("compose", "compose.web"),
                   {"files": ["/p/compose.yaml"], "service": "web",
                    "definition": {"image": "nginx:1", "volumes": [
                        "./conf/site.conf:/etc/nginx/conf.d/default.conf:ro", "./data:/data"]}},
                   source=src(2))
    desired = DesiredState("p", {web.address: web})
    assert bind_sources(desired) == ["/p/conf/site.conf", "/p/data"]
    result = kubernetes(desired, files={"/p/conf/site.conf": "server {}\n"})
    out = by_name(result.manifests)
    assert out["ConfigMap/web-files"]["data"] == {"site.conf": "server {}\n"}
    pod = out["Deployment/web"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "files", "mountPath": "/etc/nginx/conf.d/default.conf", "subPath": "site.conf",
         "readOnly": True}]
    assert pod["volumes"] == [{"name": "files", "configMap": {"name": "web-files"}}]
    [warned] = result.diagnostics
    assert "volume './data:/data' is not exported" in warned.summary
    assert str(warned.source) == "/p/services.yaml:2:3"


def test_cpus_memory_and_replicas_become_resources_and_replicas() -> None:
    assert [memory(v) for v in ("512m", "1g", "100k", "2048", 4096, "50MB", "lots", "0m")] == [
        "512Mi", "1Gi", "100Ki", "2048", "4096", "50Mi", None, None]
    assert [cpu(v) for v in (0.5, "2", 0, "x")] == ["500m", "2000m", None, None]
    box = Resource(Address("container", "box"), container("box", 1, cpus=1.5, memory="256m"),
                   source=src(1))
    web = Resource(Address("compose", "compose.web"),
                   {"files": ["/p/compose.yaml"], "service": "web", "definition": {
                       "image": "nginx:1", "deploy": {"replicas": 3, "resources": {
                           "limits": {"cpus": "0.25", "memory": "64M"},
                           "reservations": {"memory": "32M"}}}}}, source=src(5))
    out = by_name(kubernetes(DesiredState("p", {box.address: box, web.address: web})).manifests)
    assert out["Deployment/box"]["spec"]["replicas"] == 1
    assert out["Deployment/box"]["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "1500m", "memory": "256Mi"}}
    assert out["Deployment/web"]["spec"]["replicas"] == 3
    assert out["Deployment/web"]["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "250m", "memory": "64Mi"}, "requests": {"memory": "32Mi"}}


def test_an_address_too_long_for_a_label_is_an_annotation() -> None:
    name = "a" * 70
    box = Resource(Address("container", name), container("box", 1), source=src(1))
    [deployment] = kubernetes(DesiredState("p", {box.address: box})).manifests
    assert deployment["metadata"]["annotations"] == {"io.reconciler.address": f"container.{name}"}
    assert "io.reconciler.address" not in deployment["metadata"]["labels"]
    assert deployment["metadata"]["name"] == "a" * 63
    assert "io.reconciler.address" not in deployment["spec"]["template"]["metadata"]["labels"]


def test_a_compose_variable_without_a_value_is_exported_empty_with_a_warning() -> None:
    web = Resource(Address("compose", "compose.web"),
                   {"files": ["/p/compose.yaml"], "service": "web",
                    "definition": {"image": "nginx:1", "environment": {"A": "1", "B": None}}},
                   source=src(4))
    result = kubernetes(DesiredState("p", {web.address: web}))
    assert by_name(result.manifests)["ConfigMap/web-env"]["data"] == {"A": "1", "B": ""}
    [warned] = result.diagnostics
    assert "environment B has no value" in warned.summary


def test_a_compose_command_string_is_split_like_compose_does() -> None:
    cache = Resource(Address("compose", "compose.cache"),
                     {"files": ["/p/compose.yaml"], "service": "cache",
                      "definition": {"image": "redis:7", "command": "redis-server --save ''",
                                     "entrypoint": "docker-entrypoint.sh"}}, source=src(1))
    out = by_name(kubernetes(DesiredState("p", {cache.address: cache})).manifests)
    [box] = out["Deployment/cache"]["spec"]["template"]["spec"]["containers"]
    assert box["args"] == ["redis-server", "--save", ""]
    assert box["command"] == ["docker-entrypoint.sh"]
