"""Random streams: every random generator critmat uses comes from :class:`Streams`, derived from
the user's seed by purpose, never by adding offsets to the seed.

Two rules (docs/architecture.md, "Randomness"):

- A **new purpose** takes a child of ``SeedSequence(seed).spawn(...)`` (:data:`SPAWNED`,
  appended at the end so that earlier purposes keep their streams).
- The purposes that existed before this object keep the entropy they always had
  (:data:`PURPOSES`: the seed, then the block for the simulator's counter-based blocks, then a
  fixed word), so the same seed gives the same results as before (tests/test_streams.py holds
  each to its historical construction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["PURPOSES", "SPAWNED", "Streams", "derive_seed"]


@dataclass(frozen=True)
class Purpose:
    """How a purpose's generator is built: ``bit`` generator, whether it is per block of runs,
    and the words appended to ``[seed, (block)]`` in its SeedSequence entropy."""

    bit: Literal["philox", "pcg64"]
    blocked: bool
    words: tuple[int, ...] = ()
    what: str = ""


#: Generators by purpose.
PURPOSES: dict[str, Purpose] = {
    "events": Purpose("philox", True, (), "the simulator's event draws of one block of runs"),
    "parameters": Purpose("philox", True, (1,), "per-run parameter factors of one block"),
    "demand_scenarios": Purpose("pcg64", False, (), "demand forecast: drivers and intensities"),
    "demand_other_uses": Purpose("pcg64", False, (1,), "demand forecast: other uses' growth"),
    "plan_sensitivity": Purpose("pcg64", False, (7_919,), "the plan's bootstrap of scenarios"),
    "inventory_demo": Purpose("pcg64", False, (), "the synthetic warehouse of the demo"),
}

#: Purposes of spawned seeds (``SeedSequence(seed).spawn``), in spawn order (append only).
SPAWNED: tuple[str, ...] = ("evaluation", "saa_batches")


def derive_seed(seed: int, purpose: str, index: int = 0) -> int:
    """A 63-bit seed for ``purpose`` (one of :data:`SPAWNED`), ``index`` for its k-th member::

    SeedSequence(seed).spawn(len(SPAWNED))[purpose].spawn(index + 1)[index]
    """
    if purpose not in SPAWNED:
        raise ValueError(f"unknown stream {purpose!r}; known: {', '.join(SPAWNED)}")
    child = np.random.SeedSequence(seed).spawn(len(SPAWNED))[SPAWNED.index(purpose)]
    leaf = child.spawn(index + 1)[index]
    hi, lo = (int(v) for v in leaf.generate_state(2, np.uint32))
    return ((hi << 32) | lo) & ((1 << 63) - 1)


@dataclass(frozen=True)
class Streams:
    """The named random streams of one seed.

    >>> s = Streams(42)
    >>> float(s.generator("events", block=0).random()) == float(
    ...     Streams(42).generator("events", block=0).random())
    True
    """

    seed: int

    def generator(self, purpose: str, block: int | None = None) -> np.random.Generator:
        """A fresh generator for ``purpose`` (and ``block``, for the per-block purposes)."""
        p = PURPOSES.get(purpose)
        if p is None:
            raise ValueError(f"unknown random stream {purpose!r}; known: {', '.join(PURPOSES)}")
        if p.blocked != (block is not None):
            need = "needs a block" if p.blocked else "takes no block"
            raise ValueError(f"random stream {purpose!r} {need}")
        head = [int(self.seed)] if block is None else [int(self.seed), int(block)]
        entropy: int | list[int] = [*head, *p.words] if len(head) + len(p.words) > 1 else head[0]
        seq = np.random.SeedSequence(entropy)
        bit = np.random.Philox(seq) if p.bit == "philox" else np.random.PCG64(seq)
        return np.random.Generator(bit)

    def seed_for(self, purpose: str, index: int = 0) -> int:
        """A derived seed (:func:`derive_seed`) for a whole sub-computation, e.g. the plan's
        evaluation runs."""
        return derive_seed(self.seed, purpose, index)
