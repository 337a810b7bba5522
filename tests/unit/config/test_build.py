"""model.build: both services.yaml shapes, locald and Procfile mapping, merging, semantic checks."""

from __future__ import annotations

from typing import Any

from reconciler.model.secrets import marker
from reconciler.model.types import Address, Condition, ProbeKind

FLAT = """
name: shop
settings: {startup_timeout: 20, shutdown_timeout: 3, health_check_interval: 4}
tasks:
  migrate: {command: "echo migrate"}
services:
  db:
    type: docker
    image: postgres:16
    ports: [5432, "15432:5432"]
    env: {POSTGRES_PASSWORD: "${DB_PASSWORD:-devpw}"}
    health_check: {command: pg_isready, args: [-U, postgres]}
  api:
    type: process
    binary: python3
    args: [-m, api, --db, "${db.ip}:${db.port}"]
    working_dir: ./api
    port: auto
    env:
      URL: "postgres://u:${DB_PASSWORD:-devpw}@${db.ip}:${db.port}/x"
      TOKEN: {secret: "s3cr3t"}
      PLAIN: 1
    dependencies: [db, {task: migrate}]
    health_check: {http: "http://127.0.0.1:${api.port}/health"}
"""

NESTED = """
services:
  web:
    target: {type: process, binary: /bin/web, args: ["${web.port}"]}
    port: 8081
    dependencies: [{service: api}]
  api:
    target: {type: docker, image: api:1, ports: ["9000:9000"]}
    health_check: {tcp: {port: 9000}}
"""


def test_flat_shape_maps_to_process_container_and_task(run: Any) -> None:
    result = run({"services.yaml": FLAT}, env={}, port_allocator=lambda a: 23456)
    assert result.errors == [] and result.warnings == []
    assert result.state.project == "shop"
    api = result.resource("process.api")
    assert api.spec["command"] == ["python3", "-m", "api", "--db", "127.0.0.1:15432"]
    assert api.spec["cwd"].endswith("/api") and api.spec["cwd"].startswith("/")
    assert api.spec["port"] == 23456
    assert api.spec["startup_timeout"] == 20 and api.spec["shutdown_timeout"] == 3
    assert api.spec["env"]["PLAIN"] == "1"
    assert api.spec["env"]["TOKEN"] == marker("s3cr3t")
    assert api.secrets["env.TOKEN"] == "s3cr3t"
    # a value built from a secret-named variable is secret as a whole
    assert api.secrets["env.URL"] == "postgres://u:devpw@127.0.0.1:15432/x"
    assert "devpw" not in str(api.spec)
    assert [(str(d.target), d.condition) for d in api.depends_on] == [
        ("container.db", Condition.HEALTHY), ("task.migrate", Condition.COMPLETED)]
    assert api.health.kind is ProbeKind.HTTP
    assert api.health.target == "http://127.0.0.1:23456/health" and api.health.interval == 4
    db = result.resource("container.db")
    assert db.spec["ports"] == [
        {"host": None, "container": 5432, "host_ip": "127.0.0.1"},
        {"host": 15432, "container": 5432, "host_ip": "127.0.0.1"}]
    assert db.spec["restart"] == "no" and db.spec["command"] is None
    assert db.health.target == "pg_isready -U postgres"
    task = result.resource("task.migrate")
    assert task.spec["command"] == ["/bin/sh", "-c", "echo migrate"]
    assert [r.name for r in result.state.ordered()] == ["migrate", "db", "api"]


def test_nested_shape(run: Any) -> None:
    result = run({"services.yaml": NESTED})
    assert result.errors == []
    web = result.resource("process.web")
    assert web.spec["command"] == ["/bin/web", "8081"] and web.spec["port"] == 8081
    assert web.depends_on[0].target == Address("container", "api")
    assert result.resource("container.api").health.target == "127.0.0.1:9000"


def test_remote_and_package_live_on_their_host(run: Any) -> None:
    result = run({"services.yaml": """
        networks:
          lab: {type: lan, subnet: 198.18.0.0/24, nodes: [{host: 198.18.0.7, name: w1,
                                                          ssh_user: d}]}
        services:
          idx: {type: remote, host: w1, binary: /opt/idx, working_dir: /opt}
          pkg: {type: package, host: w1, package: ./pkg, version: 2, install_path: /opt/p}
          local: {type: process, command: "echo ${idx.ip} ${idx.host}"}
        """, "pkg/manifest.toml": 'name = "pkg"\nversion = "2"\n'})
    assert result.errors == []
    assert result.resource("process.idx@w1").spec["cwd"] == "/opt"
    assert result.resource("package.pkg@w1").spec["version"] == "2"
    assert result.resource("process.local").spec["command"][-1] == "echo 198.18.0.7 w1"


def test_locald_types(run: Any) -> None:
    result = run({"locald.toml": """
        [project]
        name = "ld"
        [services.web]
        command = "serve $PORT"
        workdir = "./public"
        health_check = { type = "http", path = "health" }
        env = { DB = "${services.db.url}" }
        stop_signal = "INT"
        [services.worker]
        type = "worker"
        command = ["run", "x"]
        depends_on = ["web"]
        [services.db]
        type = "postgres"
        version = 15
        [services.cache]
        type = "container"
        image = "redis:7"
        container_port = 6379
        port = 16379
        [services.docs]
        type = "site"
        path = "dist"
        """}, env={"RECONCILER_STACK_VARIANT": "container"},
        port_allocator=lambda a: {"process.web": 21000, "container.db": 21001,
                                  "process.docs": 21002}[str(a)])
    assert result.errors == []
    assert result.state.project == "ld"
    web = result.resource("process.web")
    assert web.spec["command"] == ["/bin/sh", "-c", "serve $PORT"]
    assert web.spec["port"] == 21000 and web.spec["stop_signal"] == "SIGINT"
    assert web.spec["env"]["DB"] == "postgresql://postgres@127.0.0.1:21001/postgres"
    assert web.health.target == "http://127.0.0.1:21000/health"
    worker = result.resource("process.worker")
    assert worker.spec["port"] is None and worker.spec["command"] == ["run", "x"]
    db = result.resource("container.db")  # locald's postgres is the postgres stack
    assert db.spec["image"].startswith("postgres:")
    assert db.spec["ports"][0]["host"] == 21001
    assert result.resource("container.cache").spec["ports"] == [
        {"host": 16379, "container": 6379, "host_ip": "127.0.0.1"}]
    docs = result.resource("process.docs")
    assert docs.spec["command"][:4] == ["python3", "-m", "http.server", "21002"]
    assert docs.spec["command"][-1].endswith("/dist")


def test_procfile_with_dotenv_environment_wins(run: Any) -> None:
    result = run({"Procfile": "web: serve $PORT\nworker: work ${X}\n",
                  ".env": "A=from-dotenv\nB=b\nAPI_KEY=k\n"}, env={"A": "from-env"})
    assert result.errors == []
    web = result.resource("process.web")
    assert isinstance(web.spec["port"], int) and 20000 <= web.spec["port"] < 40000
    worker = result.resource("process.worker")
    assert worker.spec["command"] == ["/bin/sh", "-c", "work ${X}"]  # left to the shell
    assert worker.spec["port"] is None
    assert worker.spec["env"]["A"] == "from-env" and worker.spec["env"]["B"] == "b"
    assert worker.secrets == {"env.API_KEY": "k"}


def test_merge_and_duplicate_names_name_both_places(run: Any) -> None:
    result = run({"services.yaml": "services:\n  web: {command: a}\n  api: {command: b}\n",
                  "Procfile": "web: c\nother: d\n"})
    assert result.errors == [
        "Procfile:1:1: error: 'web' is defined twice: at services.yaml:2:3 and at Procfile:1:1"
        "\n  hint: service and task names must be unique across all config files"]
    assert sorted(str(a) for a in result.state.resources) == [
        "process.api", "process.other", "process.web"]
    assert result.resource("process.web").spec["command"][-1] == "a"


def test_unknown_dependency_and_cycle(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          a: {command: x, depends_on: [b]}
          b: {command: x, depends_on: {c: {condition: service_started}}}
          c: {command: x, dependencies: [a, dbb]}
          db: {command: x}
        """})
    assert result.errors == [
        "services.yaml:2:32: error: dependency cycle: a -> b -> c -> a\n"
        "  a -> b at services.yaml:2:32; b -> c at services.yaml:3:32; "
        "c -> a at services.yaml:4:34\n  hint: remove one of these dependencies",
        "services.yaml:4:37: error: 'c' depends on unknown service 'dbb'\n"
        "  hint: did you mean 'db'?"]
    b = result.resource("process.b")
    assert b.depends_on[0].condition is Condition.STARTED


def test_duplicate_fixed_ports(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          a: {command: x, port: 8080}
          b: {type: docker, image: i, ports: ["8080:80"]}
        """})
    assert result.errors == [
        "services.yaml:3:3: error: port 8080 is used by both 'a' (services.yaml:2:3) and 'b'"
        " (services.yaml:3:3)\n  hint: give one of them another port, or 'port: auto'"]


def test_interpolation_defaults_missing_and_strict(run: Any) -> None:
    files = {"services.yaml": """
        services:
          a:
            command: "run ${MODE:-dev} ${EMPTY:-fallback} $$HOME ${NEEDED}"
        """}
    result = run(files, env={"EMPTY": ""})
    assert result.resource("process.a").spec["command"][-1] == "run dev fallback $HOME "
    assert result.warnings == [
        "services.yaml:3:5: warning: environment variable 'NEEDED' is not set\n"
        "  hint: set it in the environment or .env, or give a default: ${NEEDED:-value}"]
    strict = run(files, env={"EMPTY": ""}, strict=True)
    assert strict.errors == [w.replace("warning", "error", 1) for w in result.warnings]
    given = run(files, env={"NEEDED": "yes"})
    assert given.diagnostics == []


def test_references_unknown_and_cycles(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          a:
            command: "x ${b.port} ${api.ip} ${a.nothing}"
            env: {X: "${b.env.Y}"}
          b:
            command: y
            env: {Y: "${a.env.X}", Z: "${c.env.Q}"}
          api: {command: z}
        """})
    assert result.errors == [
        "services.yaml:3:5: error: service 'b' has no port for ${b.port} (give it 'port: auto'"
        " or a published port)",
        "services.yaml:3:5: error: unknown attribute 'nothing' in ${a.nothing} (known: port, ip,"
        " host, url, name, env.NAME)",
        "services.yaml:7:11: error: reference cycle: a.env.X -> b.env.Y -> a.env.X "
        "(a.env.X at services.yaml:4:11; b.env.Y at services.yaml:7:11)",
        "services.yaml:7:28: error: unknown service 'c' in ${c.env.Q}"]


def test_default_project_name_is_the_directory(run: Any, tmp_path: Any) -> None:
    result = run({"Procfile": "web: x\n"})
    assert result.state.project == tmp_path.name
