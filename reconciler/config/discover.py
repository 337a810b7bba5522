"""Finding the config files of a project directory and naming their formats.

The formats: ``services`` (services.yaml/.yml), ``locald`` (locald.toml), ``procfile``
(Procfile), ``dotenv`` (.env), ``policy`` (policy.yaml/.yml), ``compose`` (compose.yaml,
docker-compose.yml and their override files), and the seed systems' own files: ``vendetta``
(.vendetta/config.yaml) and ``par`` (.par.yaml). Order is fixed, so every later stage sees
the files in the same order on every run.
"""

from __future__ import annotations

from pathlib import Path

# (file name, format), in the order documents are loaded and merged.
KNOWN_FILES: tuple[tuple[str, str], ...] = (
    ("services.yaml", "services"),
    ("services.yml", "services"),
    ("locald.toml", "locald"),
    ("Procfile", "procfile"),
    ("compose.yaml", "compose"),
    ("compose.yml", "compose"),
    ("docker-compose.yaml", "compose"),
    ("docker-compose.yml", "compose"),
    ("compose.override.yaml", "compose"),
    ("compose.override.yml", "compose"),
    ("docker-compose.override.yaml", "compose"),
    ("docker-compose.override.yml", "compose"),
    ("policy.yaml", "policy"),
    ("policy.yml", "policy"),
    (".env", "dotenv"),
    (".vendetta/config.yaml", "vendetta"),
    (".par.yaml", "par"),
)

_FORMATS = dict(KNOWN_FILES)

# Formats that describe resources; a project needs at least one of them.
DESIRED_STATE_FORMATS = frozenset({"services", "locald", "procfile", "compose", "vendetta",
                                   "par"})


def format_of(path: Path) -> str | None:
    """The format name of a config file, from its name; None when it is not one of ours."""
    return _FORMATS.get(path.name) or _FORMATS.get(f"{path.parent.name}/{path.name}")


def discover(project_dir: Path) -> list[Path]:
    """The config files present in ``project_dir``, in load order."""
    found: list[Path] = []
    for name, _ in KNOWN_FILES:
        candidate = project_dir / name
        if candidate.is_file():
            found.append(candidate)
    return found


def stamp(project_dir: Path) -> tuple[tuple[str, int, int, int], ...]:
    """What changes when a config file of ``project_dir`` does (name, inode, size, mtime): a
    parse taken under one stamp may be reused while the stamp stays the same."""
    found = []
    for path in discover(project_dir):
        try:
            info = path.stat()
        except OSError:
            return ()  # vanished since discover(): never equal to a stamp taken before
        found.append((path.name, info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(found)
