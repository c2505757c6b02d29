"""The generator's two ways of computing one hash agree, bit for bit.

``rng.uniform`` runs on 32-bit halves in machine integers when compiled, and on Python's
integers otherwise (see its module docstring). A difference of one bit would make the compiled
engine play other lives: both ways are compared here directly, in whichever build is imported,
over edge values and many random ones.
"""

from __future__ import annotations

import random

from game_server.engine import rng

EDGE_SEEDS = [0, 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**70 + 5, -1]
EDGE_NUMBERS = [1, 2, 255, 256, 2**15, 2**16 - 1]


def test_halves_equal_wide_integers_on_edge_values() -> None:
    for seed in EDGE_SEEDS:
        for m in EDGE_NUMBERS:
            for slot in (1, m):
                wide = rng._uniform_wide(seed, m - 1, slot - 1, m - 1)
                halves = rng._uniform_halves(seed & rng._MASK, m, slot, m)
                assert halves == wide, (seed, m, slot)


def test_halves_equal_wide_integers_on_random_values() -> None:
    draw = random.Random(20261202)
    for _ in range(20_000):
        seed = draw.getrandbits(draw.choice((8, 32, 63, 64)))
        r, slot, k = (draw.randrange(2**16 - 1) for _ in range(3))
        assert rng._uniform_halves(seed, r + 1, slot + 1, k + 1) == rng._uniform_wide(
            seed, r, slot, k
        )


def test_uniform_gives_the_wide_result_in_every_range() -> None:
    # Inside the machine-integer range and outside it (large or negative numbers fall back).
    for seed in (7, 2**63 + 11):
        for r, slot, k in ((0, 0, 0), (9, 4, 16), (10_000, 0, 0), (2**16, 3, 1), (-1, 0, 0)):
            assert rng.uniform(seed, r, slot, k) == rng._uniform_wide(seed, r, slot, k)
            assert 0.0 <= rng.uniform(seed, r, slot, k) < 1.0
