"""Fuzzing every config loader through the CLI's entry point (issues 12 and 27).

For each format of tests/testing/fuzz_cli.py (services.yaml flat and with ``target:``,
locald.toml, Procfile, .env, compose.yaml, compose.override.yaml, policy.yaml,
.vendetta/config.yaml, .par.yaml, Neona .ai/policy.yaml, wg-quick .conf, and random argument
vectors), ``--count`` inputs (mutated seeds from tests/fuzz_corpus/seeds/ or random text) are
run in-process through ``reconciler.cli.main``, the function the console script calls, on 2
worker processes. Prints one table: inputs, valid, refused with file:line:col, refused without
a location, crashes. Each distinct crash (exception type + innermost reconciler frame) is
shrunk by deleting lines (argument words for the CLI) while it still crashes the same way and
written to tests/fuzz_corpus/crashers/<format>-<hash>.<ext>. Exit 1 when anything crashed or
a file was refused without a location.

Usage: python tests/benchmarks/fuzz_loaders.py [--count 10000] [--seed 0] [--formats a,b]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testing import fuzz, fuzz_cli

CRASHERS = fuzz.CORPUS / "crashers"


def _input(seed: int, name: str, index: int) -> str:
    rng = random.Random(f"{seed}:{name}:{index}")
    if name == "cli":
        return fuzz_cli.random_argv(rng)
    return fuzz.random_input(rng, fuzz.seed(fuzz_cli.LOADERS[name].seed))


def _quiet_environment() -> None:
    """No user policy, no inherited reconciler settings, in every worker."""
    for key in [k for k in os.environ if k.startswith("RECONCILER_")]:
        del os.environ[key]
    if Path("/dev/shm").is_dir():  # a project directory per input: keep them in memory
        tempfile.tempdir = "/dev/shm"
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="fuzz-xdg-")


def _check(job: tuple[str, str]) -> tuple[str, str, fuzz_cli.Outcome]:
    name, text = job
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        return name, text, fuzz_cli.outcome(Path(tmp), name, text)


def _same(name: str, text: str, signature: str) -> bool:
    _, _, result = _check((name, text))
    return result.kind == "crash" and result.detail == signature


def shrink(name: str, text: str, signature: str) -> str:
    """Delete lines (argv words) one at a time while the input crashes the same way."""
    if name == "cli":
        words = json.loads(text)
        i = 0
        while i < len(words):
            trial = words[:i] + words[i + 1:]
            if _same(name, json.dumps(trial), signature):
                words = trial
            else:
                i += 1
        return json.dumps(words)
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        trial = lines[:i] + lines[i + 1:]
        if _same(name, "".join(trial), signature):
            lines = trial
        else:
            i += 1
    return "".join(lines)


def keep(name: str, text: str) -> Path:
    digest = hashlib.sha256(f"{name}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:8]
    path = CRASHERS / f"{name}-{digest}.{fuzz_cli.LOADERS[name].ext}"
    CRASHERS.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--formats", default=",".join(fuzz_cli.LOADERS))
    args = parser.parse_args()
    names = [n for n in args.formats.split(",") if n]
    unknown = set(names) - set(fuzz_cli.LOADERS)
    if unknown:
        parser.error(f"unknown formats: {', '.join(sorted(unknown))}")
    counts: dict[str, Counter[str]] = {n: Counter() for n in names}
    crashes: dict[tuple[str, str], str] = {}
    unlocated: dict[str, str] = {}
    started = time.monotonic()
    jobs = ((n, _input(args.seed, n, i)) for n in names for i in range(args.count))
    with multiprocessing.Pool(args.workers, initializer=_quiet_environment) as pool:
        for name, text, result in pool.imap_unordered(_check, jobs, chunksize=20):
            counts[name][result.kind] += 1
            if result.kind == "crash":
                crashes.setdefault((name, result.detail), text)
            elif result.kind == "unlocated" and name != "cli":
                unlocated.setdefault(name, f"{result.detail!r} from {text!r}")
    elapsed = time.monotonic() - started
    _quiet_environment()
    header = f"{'format':<18}{'inputs':>8}{'valid':>8}{'located':>9}{'no-loc':>8}{'crashes':>9}"
    print(header)
    for name in names:
        c = counts[name]
        print(f"{name:<18}{sum(c.values()):>8}{c['valid']:>8}{c['located']:>9}"
              f"{c['unlocated']:>8}{c['crash']:>9}")
    print(f"{len(names) * args.count} inputs in {elapsed:.0f} s, seed {args.seed}")
    for (name, signature), text in sorted(crashes.items()):
        path = keep(name, shrink(name, text, signature))
        print(f"crash {name}: {signature} -> {path.relative_to(fuzz.CORPUS.parent.parent)}")
    for name, what in sorted(unlocated.items()):
        print(f"no location {name}: {what[:300]}")
    return 1 if crashes or unlocated else 0


if __name__ == "__main__":
    sys.exit(main())
