"""The config-loader fuzz harness shared by tests/unit/config/test_loader_fuzz.py (a few
hundred inputs in the suite) and tests/benchmarks/fuzz_loaders.py (10,000 per format).

An input is a seed from tests/fuzz_corpus/seeds/ (one per format: services.yaml, locald.toml,
Procfile, compose.yaml, policy.yaml) with random mutations applied, or fully random text. It
is written into a fresh project directory and validated the way `reconciler validate` does
(load, check, build with the real LocalHost, the policy layers). The property: that either
passes, or reports errors that each carry file:line:col, or raises a ReconcilerError; any
other exception is a crash. tests/testing/fuzz_cli.py runs inputs through the CLI's entry
point for every loader (issue 27); crashing inputs are kept in tests/fuzz_corpus/crashers/
and replayed by tests/unit/config/test_crashers_replay.py.
"""

from __future__ import annotations

import os
import random
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
        elif lines and op == 6:  # the value of a `key: value` / `key = value` line
            index = position % len(lines)
            key, sep, _ = lines[index].rstrip("\n").partition("=" if "=" in lines[index]
                                                               else ":")
            if sep:
                lines[index] = f"{key}{sep} {payload}\n"
                text = "".join(lines)
    return text


# Values of the wrong type or shape, for mutation 6 (type confusion).
VALUES = ("[]", "{}", "{a: 1}", '["exec"]', "[1, 2]", "auto", "off", '""', "-1", "0",
          "1.5", "true", "null", "~", "99999999999", "${X}", "${a.b}", "[IP Address]/32",
          "2a0e:b107:xxxx::/48", "'\\x00'", "1e9", "0x10", "- a", "&a", "*a", "!!binary x")


def random_input(rng: random.Random, seed_text: str) -> str:
    """What the benchmark feeds a loader: a seed with 1-6 mutations (3 in 4) or random text."""
    if rng.random() < 0.25:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 120)))
    mutations = []
    for _ in range(rng.randint(1, 6)):
        op = rng.randint(0, 6)
        payload = rng.choice(VALUES) if op == 6 else "".join(
            rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))
        mutations.append((op, rng.randint(0, 2000), rng.randint(0, 40), payload))
    return apply_mutations(seed_text, mutations)


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
