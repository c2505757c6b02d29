"""Worked examples of the national rules in ``engine/policy.py``, each computed by hand.

Every expected number is worked out in the comment next to it from the rule the docstring cites
(国发〔2005〕38号, 国办发〔2019〕13号, 国办发〔2009〕66号, 国办发〔2024〕38号, the NPC Standing
Committee decision of 2024-09-13, 国发〔2014〕8号), not copied from a run of the code.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from game_server.content.schema import RetirementGroup
from game_server.engine import policy

MALE = RetirementGroup.MALE_60
FEMALE_55 = RetirementGroup.FEMALE_55
FEMALE_50 = RetirementGroup.FEMALE_50

# --- Employees' pension -------------------------------------------------------------------------


def test_basic_pension_worked_example() -> None:
    # Average wage 9,000; base 60% → own indexed wage 5,400 (index 0.6); 20 years:
    # (9,000 + 5,400) / 2 × 20 × 1% = 7,200 × 0.2 = 1,440.
    assert policy.monthly_basic_pension(9000, 0.6, 20) == pytest.approx(1440.0)


def test_basic_pension_at_full_average_and_three_times() -> None:
    # Index 1.0, 15 years, average 8,000: (8,000 + 8,000) / 2 × 15 × 1% = 1,200.
    assert policy.monthly_basic_pension(8000, 1.0, 15) == pytest.approx(1200.0)
    # Index 3.0, 35 years, average 10,000: (10,000 + 30,000) / 2 × 35% = 7,000.
    assert policy.monthly_basic_pension(10000, 3.0, 35) == pytest.approx(7000.0)
    # No years: nothing.
    assert policy.monthly_basic_pension(10000, 1.0, 0) == 0.0


def test_yearly_flexible_contribution_at_60_percent_of_9000() -> None:
    # Base 5,400 a month: pays 20% × 12 = 12,960 a year; 8% × 12 = 5,184 goes to the account.
    paid, to_account = policy.yearly_flexible_contribution(5400)
    assert paid == pytest.approx(12960.0)
    assert to_account == pytest.approx(5184.0)


def test_account_pension_worked_example_at_60_and_63() -> None:
    # 20 years at 5,400: 5,400 × 12 × 8% × 20 = 103,680 in the account.
    _, to_account = policy.yearly_flexible_contribution(5400)
    account = 20 * to_account
    assert account == pytest.approx(103680.0)
    # At 60 the divisor is 139: 103,680 / 139 = 745.899...
    assert policy.monthly_account_pension(account, 60) == pytest.approx(745.8993, abs=1e-3)
    # At 63 the divisor is 117: 103,680 / 117 = 886.153...
    assert policy.monthly_account_pension(account, 63) == pytest.approx(886.1538, abs=1e-3)


def test_whole_pension_worked_example() -> None:
    # The example above in one: 1,440 + 745.90 = 2,185.90 a month at 60.
    total = policy.monthly_basic_pension(9000, 0.6, 20) + policy.monthly_account_pension(
        20 * 5400 * 12 * 0.08, 60
    )
    assert total == pytest.approx(2185.8993, abs=1e-3)


@pytest.mark.parametrize(
    ("age", "months"),
    [(50, 195), (55, 170), (60, 139), (63, 117)],
)
def test_account_months_divisor_checked_values(age: int, months: int) -> None:
    # 国发〔2005〕38号 annex, the four values checked in shared/policy-facts.md.
    assert policy.account_months_divisor(age) == months


def test_account_months_divisor_falls_with_age_and_is_clamped() -> None:
    ages = range(40, 71)
    divisors = [policy.account_months_divisor(a) for a in ages]
    assert all(a > b for a, b in pairwise(divisors))
    # Outside the table (40–70) the nearest end of the table is used.
    assert policy.account_months_divisor(30) == policy.account_months_divisor(40) == 233
    assert policy.account_months_divisor(80) == policy.account_months_divisor(70) == 56


def test_contribution_base_inside_the_band() -> None:
    # 100% of 9,000 inside floor 5,000 / ceiling 27,000: 9,000.
    assert policy.contribution_base(100, 9000, 5000, 27000) == pytest.approx(9000.0)
    # The lowest level is the published floor, even where it is below 60% of the average
    # (Guangdong outside Guangzhou: 4,775 against 60% × 9,183 = 5,510, 粤人社发〔2025〕32号).
    assert policy.contribution_base(60, 9000, 5000, 27000) == pytest.approx(5000.0)
    assert policy.contribution_base(60, 9183, 4775, 27549) == pytest.approx(4775.0)
    # 61% of 9,000 = 5,490 is a share of the average again.
    assert policy.contribution_base(61, 9000, 5000, 27000) == pytest.approx(5490.0)


def test_contribution_base_is_clamped() -> None:
    # 60% of 9,000 = 5,400 is below a floor of 5,510: the floor.
    assert policy.contribution_base(60, 9000, 5510, 27549) == pytest.approx(5510.0)
    # 300% of 10,000 = 30,000 is above a ceiling of 27,549: the ceiling.
    assert policy.contribution_base(300, 10000, 5000, 27549) == pytest.approx(27549.0)


@pytest.mark.parametrize(
    ("year", "years"),
    [
        (2025, 15.0),
        (2029, 15.0),  # before 2030-01-01: 15
        (2030, 15.5),  # 15 + 0.5 × 1
        (2031, 16.0),
        (2035, 18.0),  # 15 + 0.5 × 6
        (2039, 20.0),  # 15 + 0.5 × 10
        (2045, 20.0),  # capped at 20
        (2067, 20.0),
    ],
)
def test_minimum_contribution_years(year: int, years: float) -> None:
    assert policy.minimum_contribution_years(year) == years


# --- Retirement age (2024-09-13 decision) --------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "birth_year", "months"),
    [
        # Men: 60 → 63, one month per four months of birth from January 1965.
        (MALE, 1950, 720),
        (MALE, 1964, 720),  # born before 1965: no delay
        (MALE, 1965, 722),  # July 1965: 6 months after the start → 6 // 4 + 1 = 2
        (MALE, 1966, 725),  # July 1966: 18 months → 18 // 4 + 1 = 5
        (MALE, 1976, 755),  # July 1976: 138 months → 138 // 4 + 1 = 35
        (MALE, 1977, 756),  # 150 // 4 + 1 = 38 → capped at 36 months: 63
        (MALE, 1980, 756),
        (MALE, 2004, 756),
        # Women cadres: 55 → 58 from January 1970.
        (FEMALE_55, 1969, 660),
        (FEMALE_55, 1970, 662),  # 6 // 4 + 1 = 2
        (FEMALE_55, 1981, 695),  # 138 // 4 + 1 = 35 → 660 + 35
        (FEMALE_55, 1990, 696),  # capped: 58 years
        # Women workers: 50 → 55, one month per two months of birth from January 1975.
        (FEMALE_50, 1974, 600),
        (FEMALE_50, 1975, 604),  # 6 // 2 + 1 = 4
        (FEMALE_50, 1980, 634),  # 66 // 2 + 1 = 34
        (FEMALE_50, 1990, 660),  # capped at 60 months: 55 years
    ],
)
def test_statutory_retirement_age_months(
    group: RetirementGroup, birth_year: int, months: int
) -> None:
    assert policy.statutory_retirement_age_months(group, birth_year) == months


@pytest.mark.parametrize(
    ("group", "birth_year", "age", "end_age"),
    [
        (MALE, 1964, 60, 60),  # 720 months = 60 exactly: working years end at 60
        (MALE, 1965, 60, 61),  # 722 months = 60 y 2 m: the year of 60 is worked 2 months
        (MALE, 1980, 63, 63),
        (FEMALE_55, 1969, 55, 55),
        (FEMALE_55, 1981, 57, 58),  # 695 months = 57 y 11 m
        (FEMALE_55, 1990, 58, 58),
        (FEMALE_50, 1974, 50, 50),
        (FEMALE_50, 1975, 50, 51),  # 604 months = 50 y 4 m
        (FEMALE_50, 1990, 55, 55),
    ],
)
def test_statutory_retirement_age_to_the_month(
    group: RetirementGroup, birth_year: int, age: int, end_age: int
) -> None:
    # The game no longer rounds the age up: the pension starts in the month the age is reached,
    # and the year of it is worked and paid for only up to that month.
    assert policy.statutory_retirement_age(group, birth_year) == age
    months = policy.statutory_retirement_age_months(group, birth_year)
    assert policy.working_years_end_age(months) == end_age


def test_retirement_age_never_falls_with_a_later_birth() -> None:
    for group in RetirementGroup:
        ages = [policy.statutory_retirement_age_months(group, y) for y in range(1950, 2010)]
        assert ages == sorted(ages)


# --- Where the pension is claimed (国办发〔2009〕66号, art. 6) ---------------------------------


def test_claim_city_last_place_is_hukou() -> None:
    # (1) Insured last at the hukou place: claim there, even with 12 years elsewhere.
    years = {"shenzhen": 12.0, "meizhou": 3.0}
    assert policy.pension_claim_city("meizhou", years, ["shenzhen", "meizhou"]) == "meizhou"


def test_claim_city_ten_years_at_the_last_place() -> None:
    # (2) Not the hukou place, but 10 years (exactly) where last insured: claim there.
    years = {"chengdu": 4.0, "dongguan": 10.0}
    assert policy.pension_claim_city("jintang", years, ["chengdu", "dongguan"]) == "dongguan"


def test_claim_city_back_to_the_last_place_with_ten_years() -> None:
    # (3) Less than 10 years at the last place: back to the last earlier place with 10.
    years = {"beijing": 11.0, "shanghai": 14.0, "dongguan": 9.5}
    order = ["beijing", "shanghai", "dongguan"]
    assert policy.pension_claim_city("jintang", years, order) == "shanghai"
    # Shanghai paid before Beijing: Beijing is the last place with 10 years.
    order = ["shanghai", "beijing", "dongguan"]
    assert policy.pension_claim_city("jintang", years, order) == "beijing"


def test_claim_city_no_place_with_ten_years() -> None:
    # (4) No place has 10 years: the hukou place.
    years = {"beijing": 9.0, "dongguan": 9.0}
    assert policy.pension_claim_city("jintang", years, ["beijing", "dongguan"]) == "jintang"
    # Never insured anywhere: the hukou place.
    assert policy.pension_claim_city("jintang", {}, []) == "jintang"


# --- Making up years -----------------------------------------------------------------------------


def test_make_up_cost_worked_examples() -> None:
    # 7 years at a floor of 7,162: 7 × 12 × 7,162 × 20% = 120,321.6.
    assert policy.make_up_cost(7, 7162) == pytest.approx(120321.6)
    # Half a year at 4,775: 0.5 × 12 × 4,775 × 20% = 5,730.
    assert policy.make_up_cost(0.5, 4775) == pytest.approx(5730.0)
    assert policy.make_up_cost(0, 4775) == 0.0


# --- Residents' pension --------------------------------------------------------------------------


def test_residents_pension_worked_example() -> None:
    # Basic 143 + account 13,900 / 139 = 143 + 100 = 243.
    assert policy.monthly_residents_pension(143, 13900) == pytest.approx(243.0)
    # 15 years at the 100 tier: 1,500 / 139 = 10.79; + 143 = 153.79.
    assert policy.monthly_residents_pension(143, 1500) == pytest.approx(153.7914, abs=1e-3)


# --- Medical insurance ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("years_without", "months"),
    [(-1, 0), (0, 0), (1, 4), (2, 5), (6, 9), (12, 15)],  # 0 without a break; else 3 + years
)
def test_waiting_period_months(years_without: int, months: int) -> None:
    assert policy.waiting_period_months(years_without) == months


@pytest.mark.parametrize(
    ("continuous", "cap", "bonus"),
    [
        (0, 300000, 0.0),
        (4, 300000, 0.0),  # up to 4 continuous years: nothing
        (5, 300000, 1000.0),  # 1 year after 4: +1,000
        (10, 300000, 6000.0),  # 6 years after 4: +6,000 (20% of the cap is 60,000)
        (10, 20000, 4000.0),  # 6,000 would be more than 20% of 20,000 = 4,000
        (40, 100000, 20000.0),  # 36,000 capped at 20% of 100,000
    ],
)
def test_continuity_cap_bonus(continuous: int, cap: float, bonus: float) -> None:
    assert policy.continuity_cap_bonus(continuous, cap) == pytest.approx(bonus)


# --- Occupational injury -------------------------------------------------------------------------


def test_injury_disability_benefit_is_13_months_of_average_wage() -> None:
    # Grade 7: 13 months × 8,000 = 104,000; × 9,183 = 119,379.
    assert policy.injury_disability_benefit(8000) == pytest.approx(104000.0)
    assert policy.injury_disability_benefit(9183) == pytest.approx(119379.0)
