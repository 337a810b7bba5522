"""A Docker Swarm manager as a place: its API client, its errors, and service bodies.

:func:`api` opens the low-level Docker API client of a cluster's manager (``None``: the local
engine from the environment, else ``unix://`` / ``tcp://`` / ``ssh://`` through the ``ssh``
binary); :func:`engine_errors` maps the SDK's exceptions onto the error tree at this boundary;
:func:`service_body` builds ``create_service``/``update_service`` arguments from the
``swarm_service`` kind's spec with the SDK's types. The docker SDK is imported here only (the
import contract lets only ``reconciler.transports`` import it), lazily.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reconciler.errors import TerminalError, TransientError

NANO = 1_000_000_000


def api(url: str | None) -> Any:
    """A ``docker.APIClient`` for the manager at ``url`` (None: the local engine)."""
    import docker

    with engine_errors(url, "connecting"):
        if url is None:
            return docker.from_env(timeout=60).api
        return docker.APIClient(base_url=url, timeout=60, use_ssh_client=url.startswith("ssh://"))


@contextlib.contextmanager
def engine_errors(url: str | None, what: str) -> Iterator[None]:
    """Map docker SDK / connection errors while ``what`` onto TransientError/TerminalError."""
    import docker.errors
    import requests.exceptions

    where = url or "the local Docker engine"
    try:
        yield
    except docker.errors.APIError as exc:
        text = str(exc.explanation or exc)
        if exc.is_server_error():
            raise TransientError(f"swarm manager {where} failed {what}: {text}",
                                 retry_after=2.0) from None
        hint = ("make this engine a swarm manager (docker swarm init)"
                if "not a swarm manager" in text else "check the service definition")
        raise TerminalError(f"swarm manager {where} refused {what}: {text}", hint=hint) from None
    except (docker.errors.DockerException, requests.exceptions.RequestException,
            OSError) as exc:
        raise TransientError(f"swarm manager {where} is unreachable while {what}: {exc}",
                             retry_after=2.0,
                             hint="check the cluster's docker_host in services.yaml") from None


def service_body(spec: Mapping[str, Any], name: str, marks: Mapping[str, str],
                 env: Mapping[str, str], secrets: Sequence[Mapping[str, str]] = (),
                 force_update: int = 0, alias: str | None = None) -> dict[str, Any]:
    """``create_service`` keyword arguments: ``marks`` become service and container labels,
    ``env`` is the container environment, ``secrets`` the swarm secrets mounted (``id``,
    ``name``, ``file``: /run/secrets/FILE), ``force_update`` the task template's counter
    (a new value redeploys every task). ``entrypoint`` is the container's Command (it replaces
    the image's ENTRYPOINT) and ``command`` its Args, as ``docker service create`` sets them;
    ``limits`` the task's resource limits, ``healthcheck`` the container's (times in ns),
    ``mounts`` named volumes and ``networks`` the networks joined (``alias``, the service's
    short name, is its name there: service-name discovery)."""
    from docker import types

    check = spec.get("healthcheck")
    container = types.ContainerSpec(
        spec["image"], command=spec.get("entrypoint") or None, args=spec["command"] or None,
        healthcheck=types.Healthcheck(**check) if check else None,
        stop_signal=spec.get("stop_signal") or None,
        mounts=[types.Mount(m["target"], m["source"], type="volume", read_only=m["read_only"])
                for m in spec.get("mounts") or []] or None,
        env=[f"{k}={v}" for k, v in sorted(env.items())],
        labels={**spec["labels"], **marks}, init=spec["init"] or None,
        secrets=[types.SecretReference(s["id"], s["name"], filename=s["file"])
                 for s in secrets] or None)
    restart = types.RestartPolicy(condition=spec["restart"]["condition"],
                                  max_attempts=spec["restart"]["max_attempts"])
    limits = spec.get("limits")
    template = types.TaskTemplate(
        container, restart_policy=restart, force_update=force_update or None,
        resources=types.Resources(cpu_limit=limits.get("nano_cpus"),
                                  mem_limit=limits.get("memory_bytes")) if limits else None,
        networks=[types.NetworkAttachmentConfig(n, aliases=[alias or name])
                  for n in spec.get("networks") or []] or None,
        placement=types.Placement(constraints=spec["constraints"] or None,
                                  maxreplicas=spec.get("max_replicas_per_node") or None))
    update = spec["update"]
    ports = [{"Protocol": p["protocol"], "TargetPort": p["target"],
              "PublishedPort": p["published"], "PublishMode": p["mode"]} for p in spec["ports"]]
    return {
        "task_template": template,
        "name": name,
        "labels": {**spec["labels"], **marks},
        "mode": types.ServiceMode("replicated", replicas=spec["replicas"]),
        "update_config": types.UpdateConfig(
            parallelism=update["parallelism"], delay=int(update["delay"] * NANO),
            failure_action=update["failure_action"], order=update["order"]),
        "endpoint_spec": types.EndpointSpec(ports=ports) if ports else None,
    }
