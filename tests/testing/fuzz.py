"""The config-loader fuzz harness shared by tests/unit/config/test_loader_fuzz.py (a few
hundred inputs in the suite) and tests/benchmarks/fuzz_loaders.py (10,000 per format).

An input is a seed from tests/fuzz_corpus/seeds/ (one per format: services.yaml, locald.toml,
Procfile, compose.yaml, policy.yaml) with random mutations applied, or fully random text. It
is written into a fresh project directory and validated the way `reconciler validate` does
(load, check, build with the real LocalHost, the policy layers). The property: that either
passes, or reports errors that each carry file:line:col, or raises a ReconcilerError; any
other exception is a crash. Crashing inputs are kept in tests/fuzz_corpus/crashers/ and
replayed by the test.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from hypothesis import strategies as st

from reconciler.errors import Diagnostic, ReconcilerError, Severity

CORPUS = Path(__file__).resolve().parent.parent / "fuzz_corpus"
FORMATS = ("services.yaml", "locald.toml", "Procfile", "compose.yaml", "policy.yaml")
ALPHABET = [*"ab:-{}[]\"'#&*!|>$=. ,\n\t\\0123456789",
            "\n  ", "${", "}", "  - ", "[[", "]]", "\u00e9", "\x00"]


def seed(name: str) -> str:
    return (CORPUS / "seeds" / name).read_text()


def apply_mutations(text: str, mutations: Sequence[tuple[int, int, int, str]]) -> str:
    """Each mutation is (op, position, length, payload): 0 insert, 1 delete, 2 replace,
    3 duplicate a line, 4 drop a line, 5 swap two lines (positions taken modulo the text)."""
    for op, position, length, payload in mutations:
        lines = text.splitlines(keepends=True)
        at = position % (len(text) + 1)
        if op == 0:
            text = text[:at] + payload + text[at:]
        elif op == 1:
            text = text[:at] + text[at + length:]
        elif op == 2:
            text = text[:at] + payload + text[at + len(payload):]
        elif lines and op == 3:
            index = position % len(lines)
            text = "".join(lines[:index + 1] + lines[index:])
        elif lines and op == 4:
            index = position % len(lines)
            text = "".join(lines[:index] + lines[index + 1:])
        elif lines and op == 5:
            i, j = position % len(lines), (position + length) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    return text


_pieces = st.lists(st.sampled_from(ALPHABET), max_size=12).map("".join)
_mutation = st.tuples(st.integers(0, 5), st.integers(0, 2000), st.integers(0, 40), _pieces)


def inputs(name: str) -> st.SearchStrategy[str]:
    """Mutated seeds (mostly) and fully random text for format ``name``."""
    mutated = st.lists(_mutation, min_size=1, max_size=6).map(
        lambda ms: apply_mutations(seed(name), ms))
    random = st.lists(st.sampled_from(ALPHABET), max_size=120).map("".join)
    return st.one_of(mutated, mutated, mutated, random)


def validate(directory: Path) -> list[Diagnostic]:
    """What `reconciler validate` computes for ``directory`` (pure stages + policy files)."""
    from reconciler.config import interpolation_env, load
    from reconciler.engine.local_host import LocalHost
    from reconciler.engine.policy_step import new_diagnostics, policy_layers, state_dir_for
    from reconciler.model.build import build
    from reconciler.validate.checker import check

    docs, diagnostics = load(directory)
    diagnostics += check(docs)
    if not any(d.severity is Severity.ERROR for d in diagnostics):
        env = interpolation_env(docs, {"MODE": "x"})
        _, more = build(docs, env=env, strict=False, host=LocalHost(env))
        diagnostics += more
    environ = {"XDG_CONFIG_HOME": str(directory / ".no-user-config")}
    layers = policy_layers(directory, state_dir_for(directory, None, None), None, environ)
    diagnostics += new_diagnostics(layers, diagnostics)
    return diagnostics


def problem(name: str, text: str) -> str | None:
    """None when ``text`` as file ``name`` is handled; else what went wrong (a crash, or an
    error without a position in the fuzzed file)."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        directory = Path(tmp)
        if name == "policy.yaml":  # a policy needs a project beside it
            (directory / "services.yaml").write_text(seed("services.yaml"))
        (directory / name).write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            diagnostics = validate(directory)
        except ReconcilerError:
            return None
        except Exception as exc:
            return f"crash: {type(exc).__name__}: {exc}"
        for d in diagnostics:
            if d.severity is not Severity.ERROR or d.source is None:
                continue
            if os.path.basename(d.source.file) == name and d.source.line < 1:
                return f"error without a line: {d.render()}"
    return None


def crashers() -> list[tuple[str, str]]:
    """The kept crashing inputs: tests/fuzz_corpus/crashers/<format>/<n>."""
    found = []
    for name in FORMATS:
        folder = CORPUS / "crashers" / name
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            found.append((name, path.read_text()))
    return found
