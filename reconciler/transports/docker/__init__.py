"""A Docker engine as a place: the client of an engine, shared by every kind that uses one.

The container kind, Compose, and future kinds (an image build, a Swarm service) reach an engine
through this package, never through another kind's modules (the kind-independence contract
forbids that). It owns:

- :mod:`.engines`: which engine serves a transport (:class:`~.engines.Engine`, its identity),
  connecting to it through a registry keyed by host type (this machine's socket or
  ``DOCKER_HOST``; an SSH host's engine over the host's pooled connection), one client per
  engine (:class:`~.engines.DockerEngines`), and the bound on calls in flight per engine
  (:class:`~.engines.EngineSlots`);
- :mod:`.errors`: mapping the docker SDK's exceptions into :mod:`reconciler.errors`;
- :mod:`.images`: whether an image is present, and the ``pull`` policy;
- :mod:`.labels`: the owner labels of the images and swarm services reconciler makes;
- :mod:`.socket`: a stdlib read-only client of a local engine socket (observe without the SDK);
- :mod:`.ssh`: the SDK plumbing for ``docker system dial-stdio`` over an SSH channel.

Nothing here imports the docker SDK at module level except :mod:`.ssh` (itself imported on
first use), so validating or planning local processes never pays for it.
"""
