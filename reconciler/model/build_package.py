"""The spec of a ``type: package`` service: its directory checked, packed and hashed.

``package_spec`` turns the service's keys into the resource spec ``{package, version,
install_path, content_hash}``. The package directory is read, checked and hashed by the
``BuildHost`` (:meth:`~reconciler.model.host.BuildHost.load_package`; the real one uses
:mod:`reconciler.model.packaging`), never here. The content hash is part of
the spec, so editing any file of the package is a spec change and the plan replaces the
install; an unchanged package is a no-op. Every problem of the package (missing directory or
manifest, absolute paths or ``..`` in ``files``, links leaving the package, a bad setup
script, a version that disagrees with the manifest, a relative ``install_path``) becomes an
error Diagnostic at validate and plan time, placed in the manifest or in services.yaml.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from reconciler.actuators.package.spec import PackageFields
from reconciler.errors import Diagnostic, error
from reconciler.model.build_draft import Draft, absolute, stringify
from reconciler.model.host import BuildHost


def package_spec(draft: Draft, target: dict[str, object], problems: list[Diagnostic],
                 host: BuildHost) -> PackageFields:
    """The normalized spec of package service ``draft``; problems are appended."""
    directory = absolute(draft.doc, str(target.get("package") or ""))
    version = stringify(target.get("version") or "")
    install_path = str(target.get("install_path") or "")
    address = str(draft.address)
    spec: PackageFields = {"package": directory, "version": version,
                           "install_path": install_path, "content_hash": ""}
    if not target.get("package") or not install_path:
        return spec  # validate already reports the missing key
    bad_install = _bad_install_path(install_path)
    if bad_install:
        problems.append(error(f"package service '{draft.name}': install_path {install_path!r} "
                              f"{bad_install}", draft.where("install_path"), address=address,
                              hint="use an absolute directory such as /opt/NAME"))
    package, found = host.load_package(Path(directory))
    for problem in found:
        problems.append(error(f"package '{draft.name}': {problem.summary}",
                              problem.source or draft.where("package"), address=address,
                              hint=problem.hint))
    if package is None:
        return spec
    if version and version != package.version:
        problems.append(error(
            f"package '{draft.name}': version {version!r} disagrees with the manifest's "
            f"{package.version!r} ({package.manifest_file})", draft.where("version"),
            address=address, hint="bump the manifest's version, or drop `version:` here"))
    spec["version"] = version or package.version
    spec["content_hash"] = package.content_hash
    return spec


def _bad_install_path(path: str) -> str | None:
    pure = PurePosixPath(path)
    if not pure.is_absolute():
        return "is not an absolute path"
    if ".." in pure.parts:
        return "contains '..'"
    if len(pure.parts) < 2:
        return "is the root directory"
    return None
