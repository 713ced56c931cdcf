"""Randomness comes from one place (critmat.streams): each purpose gives exactly the generator
its code built before the stream object existed (so the same seed gives the same results), and
no module of the package builds a generator of its own."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmat.streams import PURPOSES, SPAWNED, Streams, derive_seed

SRC = Path(__file__).resolve().parents[1] / "src" / "critmat"


def _historical(purpose: str, seed: int, block: int) -> np.random.Generator:
    """The constructions the modules used before (git history of sim/run.py, forecast/,
    optimize/sensitivity.py, inventory/demo.py)."""
    ss = np.random.SeedSequence
    return {
        "events": lambda: np.random.Generator(np.random.Philox(ss([seed, block]))),
        "parameters": lambda: np.random.Generator(np.random.Philox(ss([seed, block, 1]))),
        "demand_scenarios": lambda: np.random.default_rng(seed),
        "demand_other_uses": lambda: np.random.default_rng([seed, 1]),
        "plan_sensitivity": lambda: np.random.Generator(np.random.PCG64(ss([seed, 7_919]))),
        "inventory_demo": lambda: np.random.default_rng(seed),
    }[purpose]()


@given(seed=st.integers(0, 2**63 - 1), block=st.integers(0, 10_000))
@pytest.mark.parametrize("purpose", sorted(PURPOSES))
def test_each_purpose_is_its_historical_stream(purpose: str, seed: int, block: int) -> None:
    blocked = PURPOSES[purpose].blocked
    got = Streams(seed).generator(purpose, block=block if blocked else None).random(8)
    np.testing.assert_array_equal(got, _historical(purpose, seed, block).random(8))


def test_purposes_are_independent_and_checked() -> None:
    s = Streams(7)
    a = s.generator("events", block=0).random(4)
    assert not np.array_equal(a, s.generator("events", block=1).random(4))
    assert not np.array_equal(a, s.generator("parameters", block=0).random(4))
    with pytest.raises(ValueError, match="unknown random stream 'nope'"):
        s.generator("nope")
    with pytest.raises(ValueError, match="needs a block"):
        s.generator("events")
    with pytest.raises(ValueError, match="takes no block"):
        s.generator("inventory_demo", block=3)
    assert s.seed_for("evaluation") == derive_seed(7, "evaluation")
    assert len({derive_seed(7, p, i) for p in SPAWNED for i in range(3)}) == 6


#: ways to build a generator or seed numpy's global state
BUILDERS = re.compile(
    r"default_rng\(|random\.Generator\(|RandomState\(|random\.seed\(|PCG64\(|Philox\(|MT19937\("
)


def test_no_module_builds_a_generator_of_its_own() -> None:
    found = [
        f"{p.relative_to(SRC)}:{n}: {line.strip()}"
        for p in sorted(SRC.rglob("*.py"))
        if p.name != "streams.py"
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if BUILDERS.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_check_sees_a_generator(tmp_path: Path) -> None:
    assert BUILDERS.search("    rng = np.random.default_rng(seed)")
    assert not BUILDERS.search("def f(rng: np.random.Generator) -> None:")
