"""A counter-based random number generator: common random numbers for every life.

Each draw is a pure function of ``(seed, round, slot, k)``, so the number drawn for an event slot
in a round never depends on what the player chose: only the thresholds it is compared with do.
That is what lets the same life be replayed with other choices (the counterfactual), and the
whole "state" of the generator is the seed kept in the life's state.

The hash is SplitMix64 on unsigned 64-bit numbers. It is written twice, with identical results
(``tests/engine/test_rng.py`` compares them): on Python's integers, and on 32-bit halves held in
``i64`` machine integers. Interpreted, the first is faster (a few big-integer operations); compiled
with mypyc (``game_server/native.py``) the second is, several times over, because a product of
two 64-bit numbers never fits a machine word, so the first allocates a Python integer at almost
every step. Every intermediate of the second stays below 2**49: it never overflows an ``i64``,
so it means the same compiled and interpreted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # a type for mypyc only: nothing is imported at run time
    from mypy_extensions import i64

_MASK: Final = (1 << 64) - 1
_TWO_TO_MINUS_53: Final = 2.0**-53

_SEED_MUL: Final = 0x9E3779B97F4A7C15
_ROUND_MUL: Final = 0xD1B54A32D192ED03
_SLOT_MUL: Final = 0xAEF17502108EF2D9
_DRAW_MUL: Final = 0x94D049BB133111EB
_MIX1: Final = 0xBF58476D1CE4E5B9
_MIX2: Final = 0x94D049BB133111EB

_COMPILED: Final = not __file__.endswith(".py")
"""Whether this module runs compiled by mypyc (its file is then an extension module)."""
_SMALL: Final = 1 << 16
"""Round, slot and draw numbers below this take the machine-integer path (they always do in the
game); larger ones, or a negative, fall back to Python's integers."""


def uniform(seed: int, round_index: int, slot: int, k: int = 0) -> float:
    """A number in [0, 1) fixed by the seed, the round, the event slot and the draw's index."""
    if (
        _COMPILED
        and -1 <= round_index < _SMALL - 1
        and -1 <= slot < _SMALL - 1
        and -1 <= k < _SMALL - 1
    ):
        return _uniform_halves(seed & _MASK, round_index + 1, slot + 1, k + 1)
    return _uniform_wide(seed, round_index, slot, k)


# --- On Python's integers ---------------------------------------------------------------------


def _splitmix64(z: int) -> int:
    # SplitMix64 finaliser (Steele, Lea, Flood 2014): a cheap, well-mixed 64-bit hash.
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK
    return z ^ (z >> 31)


def _uniform_wide(seed: int, round_index: int, slot: int, k: int) -> float:
    z = _splitmix64(
        (
            seed * _SEED_MUL
            + (round_index + 1) * _ROUND_MUL
            + (slot + 1) * _SLOT_MUL
            + (k + 1) * _DRAW_MUL
        )
        & _MASK
    )
    return (_splitmix64(z) >> 11) * _TWO_TO_MINUS_53


# --- On 32-bit halves in machine integers -----------------------------------------------------

_M32: Final = 0xFFFFFFFF
_M16: Final = 0xFFFF
# The multipliers' halves (high, low), written out so that no 64-bit number is split at run time.
_SEED_H: Final = 0x9E3779B9
_SEED_L: Final = 0x7F4A7C15
_ROUND_H: Final = 0xD1B54A32
_ROUND_L: Final = 0xD192ED03
_SLOT_H: Final = 0xAEF17502
_SLOT_L: Final = 0x108EF2D9
_DRAW_H: Final = 0x94D049BB
_DRAW_L: Final = 0x133111EB
_MIX1_H: Final = 0xBF58476D
_MIX1_L: Final = 0x1CE4E5B9
_MIX2_H: Final = 0x94D049BB
_MIX2_L: Final = 0x133111EB


def _low32_product(x: i64, y: i64) -> i64:
    """The low 32 bits of ``x * y`` for 32-bit ``x`` and ``y`` (each partial product < 2**48)."""
    return (x * (y & _M16) + (((x * (y >> 16)) & _M16) << 16)) & _M32


def _product_high(xh: i64, xl: i64, yh: i64, yl: i64) -> i64:
    """The high half of ``x * y mod 2**64`` for ``x = xh:xl`` and ``y = yh:yl``."""
    by_high_part = xl * (yl >> 16)
    low = xl * (yl & _M16) + ((by_high_part & _M16) << 16)
    carry = (low >> 32) + (by_high_part >> 16)
    return (carry + _low32_product(xl, yh) + _low32_product(xh, yl)) & _M32


def _mix_halves(h: i64, low: i64) -> tuple[i64, i64]:
    """``_splitmix64`` on the halves of ``z``: (high, low) in, (high, low) out."""
    low ^= ((h << 2) & _M32) | (low >> 30)
    h ^= h >> 30
    h, low = _product_high(h, low, _MIX1_H, _MIX1_L), _low32_product(low, _MIX1_L)
    low ^= ((h << 5) & _M32) | (low >> 27)
    h ^= h >> 27
    h, low = _product_high(h, low, _MIX2_H, _MIX2_L), _low32_product(low, _MIX2_L)
    low ^= ((h << 1) & _M32) | (low >> 31)
    h ^= h >> 31
    return h, low


def _uniform_halves(seed: int, round_number: i64, slot_number: i64, draw_number: i64) -> float:
    """``_uniform_wide`` for a 64-bit ``seed`` and numbers (index + 1) below 2**16."""
    sh: i64 = seed >> 32
    sl: i64 = seed & _M32
    h = _product_high(sh, sl, _SEED_H, _SEED_L)
    low = _low32_product(sl, _SEED_L)
    # Adding m * c for the three small numbers m (< 2**16, so m * a half < 2**48).
    low += round_number * _ROUND_L + slot_number * _SLOT_L + draw_number * _DRAW_L
    h += round_number * _ROUND_H + slot_number * _SLOT_H + draw_number * _DRAW_H
    h = (h + (low >> 32)) & _M32
    low &= _M32
    h, low = _mix_halves(h, low)
    h, low = _mix_halves(h, low)
    return float((h << 21) | (low >> 11)) * _TWO_TO_MINUS_53
