"""A counter-based random number generator: common random numbers for every life.

Each draw is a pure function of ``(seed, round, slot, k)``, so the number drawn for an event slot
in a round never depends on what the player chose: only the thresholds it is compared with do.
That is what lets the same life be replayed with other choices (the counterfactual), and the
whole "state" of the generator is the seed kept in the life's state.
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_TWO_TO_MINUS_53 = 2.0**-53


def _splitmix64(z: int) -> int:
    # SplitMix64 finaliser (Steele, Lea, Flood 2014): a cheap, well-mixed 64-bit hash.
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def uniform(seed: int, round_index: int, slot: int, k: int = 0) -> float:
    """A number in [0, 1) fixed by the seed, the round, the event slot and the draw's index."""
    z = _splitmix64(
        (
            seed * 0x9E3779B97F4A7C15
            + (round_index + 1) * 0xD1B54A32D192ED03
            + (slot + 1) * 0xAEF17502108EF2D9
            + (k + 1) * 0x94D049BB133111EB
        )
        & _MASK
    )
    return (_splitmix64(z) >> 11) * _TWO_TO_MINUS_53
