"""Derived random streams: every stream a run needs besides the user's own comes from the
user's seed by ``numpy.random.SeedSequence.spawn`` (independent, reproducible children), never by
adding offsets to the seed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["STREAMS", "derive_seed"]

#: Purposes of the derived streams, in spawn order (appending keeps earlier seeds unchanged).
STREAMS: tuple[str, ...] = ("evaluation", "saa_batches")


def derive_seed(seed: int, purpose: str, index: int = 0) -> int:
    """A 63-bit seed for ``purpose`` (one of :data:`STREAMS`), ``index`` for its k-th member::

    SeedSequence(seed).spawn(len(STREAMS))[purpose].spawn(index + 1)[index]
    """
    if purpose not in STREAMS:
        raise ValueError(f"unknown stream {purpose!r}; known: {', '.join(STREAMS)}")
    child = np.random.SeedSequence(seed).spawn(len(STREAMS))[STREAMS.index(purpose)]
    leaf = child.spawn(index + 1)[index]
    hi, lo = (int(v) for v in leaf.generate_state(2, np.uint32))
    return ((hi << 32) | lo) & ((1 << 63) - 1)
