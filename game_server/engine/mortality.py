"""How long a life lasts: an age at death drawn from a Chinese life table, by sex.

The draw is one number of the counter-based generator fixed by the seed alone, so the same life
replayed with other cover (the counterfactual) lives exactly as long: the game does not claim that
insurance changes when one dies, only what one has while alive and what is left to the family.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from itertools import pairwise
from typing import Literal

Sex = Literal["male", "female"]

LIFE_TABLE_SOURCE = (
    "UN World Population Prospects 2024, China, 2015–2020: abridged life table by sex, nqx "
    "derived from the published nmx (nqx = 1 − exp(−5·nmx)); life expectancy at birth 74.8 (men) "
    "and 80.4 (women). Official anchors: 2020 life expectancy 77.93 (国家卫健委 2021 公报)."
)

# Probability of dying within the five years from each age (nqx), China 2015–2020, by sex (UN
# WPP 2024). The 2015–2020 period is used rather than 2020–2025, whose estimate includes the
# COVID wave of late 2022. Ages 100 and over are closed (everyone left dies in the group).
_NQX: Mapping[Sex, Sequence[tuple[int, float]]] = {
    "male": (
        (15, 0.00266), (20, 0.00388), (25, 0.00472), (30, 0.00527), (35, 0.00660),
        (40, 0.01102), (45, 0.01718), (50, 0.02858), (55, 0.04079), (60, 0.07157),
        (65, 0.10967), (70, 0.16935), (75, 0.25969), (80, 0.40423), (85, 0.57811),
        (90, 0.76890), (95, 0.92260), (100, 1.0),
    ),
    "female": (
        (15, 0.00165), (20, 0.00247), (25, 0.00278), (30, 0.00303), (35, 0.00376),
        (40, 0.00573), (45, 0.00834), (50, 0.01360), (55, 0.01910), (60, 0.03423),
        (65, 0.05794), (70, 0.10062), (75, 0.16963), (80, 0.29634), (85, 0.45813),
        (90, 0.65934), (95, 0.83402), (100, 1.0),
    ),
}  # fmt: skip


def yearly_death_chance(sex: Sex, age: int) -> float:
    """The chance of dying within the year from ``age``: the five-year group's nqx spread evenly
    over its years (1 - (1 - nqx)^(1/5))."""
    table = _NQX[sex]
    nqx = table[0][1]
    for start, q in table:
        if age >= start:
            nqx = q
    if nqx >= 1.0:
        return 1.0
    return 1.0 - float((1.0 - nqx) ** 0.2)


@cache
def _survival(sex: Sex, from_age: int, max_age: int) -> tuple[float, ...]:
    """``s[k]``: the chance that someone alive at ``from_age`` is still alive at
    ``from_age + k``; the last entry is 0 (nobody outlives ``max_age``)."""
    alive = 1.0
    out = [alive]
    for age in range(from_age, max_age):
        alive *= 1.0 - yearly_death_chance(sex, age)
        out.append(alive)
    out[-1] = 0.0
    return tuple(out)


def death_age(sex: Sex, from_age: int, max_age: int, draw: float) -> int:
    """The age at which someone alive at ``from_age`` dies, for a uniform ``draw`` in [0, 1):
    the inverse of the survival curve (they die in the first year where survival falls to or below
    ``draw``). Always above ``from_age`` and at most ``max_age``."""
    survival = _survival(sex, from_age, max_age)
    for k in range(1, len(survival)):
        if survival[k] <= draw:
            return from_age + k
    return max_age


def life_expectancy(sex: Sex, age: int, max_age: int) -> float:
    """Remaining years of life expected at ``age`` (a person's planning horizon)."""
    survival = _survival(sex, age, max_age)
    # Each year lived counts in full except the year of death, taken as half lived.
    return sum(((a + b) / 2 for a, b in pairwise(survival)), 0.0)
