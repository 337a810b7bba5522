"""Stage 1 of the pipeline: find a project's config files and parse each into a RawDocument.

``load(project_dir)`` reads every file :func:`discover` finds, with the parser of its format,
and returns the documents plus the diagnostics of files that could not be read or parsed. A
file a services.yaml names under ``replaces:`` (it was converted from it by ``init --from``) is
not read.
Nothing here validates meaning (that is ``reconciler.validate.checker`` and
``reconciler.model.build``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.config.discover import DESIRED_STATE_FORMATS, discover, format_of
from reconciler.config.raw import KeyPath, RawDocument
from reconciler.errors import Diagnostic, SourceRange, error

__all__ = ["KeyPath", "RawDocument", "discover", "format_of", "interpolation_env", "load",
           "parse_file"]

MAX_FILE_BYTES = 10 * 1024 * 1024


def interpolation_env(docs: Sequence[RawDocument], environ: Mapping[str, str]) -> dict[str, str]:
    """The variables ``${VAR}`` sees: the project's .env, overridden by the real environment."""
    merged: dict[str, str] = {}
    for doc in docs:
        if doc.format == "dotenv" and isinstance(doc.data, Mapping):
            merged.update({str(k): str(v) for k, v in doc.data.items()})
    merged.update(environ)
    return merged


def parse_file(path: Path, text: str, fmt: str) -> tuple[RawDocument | None, list[Diagnostic]]:
    """Parse ``text`` (the content of ``path``) as format ``fmt``."""
    if fmt == "locald":
        from reconciler.config.locald_toml import parse_toml

        return parse_toml(path, text, fmt)
    if fmt == "procfile":
        from reconciler.config.procfile import parse_procfile

        return parse_procfile(path, text)
    if fmt == "vendetta":
        from reconciler.config.vendetta_yaml import parse_vendetta

        return parse_vendetta(path, text)
    if fmt == "par":
        from reconciler.config.par_yaml import parse_par

        return parse_par(path, text)
    if fmt == "dotenv":
        from reconciler.config.dotenv import parse_dotenv

        return parse_dotenv(path, text)
    from reconciler.config.services_yaml import parse_yaml

    doc, diagnostics = parse_yaml(path, text, fmt)
    if doc is not None and doc.data is None:  # an empty file is an empty mapping
        doc = RawDocument(doc.path, doc.format, {}, doc.text, doc.positions)
    if doc is not None and fmt == "services":
        from reconciler.config.harness import fold_type_case

        fold_type_case(doc.data)  # the harness's `type: Docker` / `type: Process`
    return doc, diagnostics


def _read(path: Path) -> tuple[str | None, Diagnostic | None]:
    where = SourceRange(str(path))
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, error("config file is too large", where,
                               hint=f"at most {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        raw = path.read_bytes()
    except OSError as exc:
        return None, error(f"cannot read config file: {exc.strerror or exc}", where)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, error("config file is not valid UTF-8", where,
                           detail=f"byte offset {exc.start}")
    return text, None


def _replaces(doc: RawDocument) -> set[str]:
    """The file names a services document lists under ``replaces:`` (the schema checks them)."""
    if doc.format != "services" or not isinstance(doc.data, Mapping):
        return set()
    names = doc.data.get("replaces")
    if not isinstance(names, list):
        return set()
    return {n for n in names if isinstance(n, str) and format_of(Path(n)) not in (
        None, "services")}


def load(project_dir: Path) -> tuple[list[RawDocument], list[Diagnostic]]:
    """Every config file of ``project_dir`` parsed, plus the problems found reading them."""
    if not project_dir.is_dir():
        return [], [error(f"project directory not found: {project_dir}",
                          hint="pass the project directory with -C DIR")]
    docs: list[RawDocument] = []
    diagnostics: list[Diagnostic] = []
    paths = discover(project_dir)
    replaced: set[str] = set()  # files a services.yaml says it was converted from
    for path in paths:
        fmt = format_of(path) or "services"
        if path.relative_to(project_dir).as_posix() in replaced:
            continue
        text, problem = _read(path)
        if problem is not None or text is None:
            diagnostics.extend([problem] if problem else [])
            continue
        doc, found = parse_file(path, text, fmt)
        diagnostics.extend(found)
        if doc is not None:
            docs.append(doc)
            replaced |= _replaces(doc)
    if not any(format_of(p) in DESIRED_STATE_FORMATS for p in paths):
        diagnostics.append(error(
            f"no configuration found in {project_dir}",
            hint="create services.yaml, locald.toml, a Procfile, a compose file, "
                 ".vendetta/config.yaml or .par.yaml"))
    return docs, diagnostics
