"""The national rules of China's social insurance, as pure functions.

Each function cites the document its numbers come from; ``shared/policy-facts.md`` (and
``docs/game-design.md``) say how sure each one is. City-level numbers (average wages, bases,
premiums, reimbursement shares) are not here: they come from the scenario data with their sources.
All money is in yuan of today (the game does not model inflation or wage growth).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from game_server.content.schema import RetirementGroup

# --- Employees' basic pension (城镇职工基本养老保险) -------------------------------------------

FLEXIBLE_PENSION_RATE = 0.20
"""A flexible worker pays 20% of the chosen base (国发〔2005〕38号)."""

INDIVIDUAL_ACCOUNT_RATE = 0.08
"""8 of the 20 points go to the individual account, 12 to the pooled fund (国发〔2005〕38号)."""

BASE_PCT_MIN = 60
BASE_PCT_MAX = 300
"""The base a flexible worker chooses: 60%–300% of the provincial average wage
(国办发〔2019〕13号)."""

YEARS_TO_CLAIM_WHERE_LAST_INSURED = 10
"""A pension is claimed where at least 10 years were paid, else at the hukou place
(国办发〔2009〕66号)."""

# 个人账户养老金计发月数表, annex of 国发〔2005〕38号. The divisors for 50, 55, 60 and 63 are
# checked in shared/policy-facts.md (V‡); the others are read from the same table.
_MONTHS_DIVISOR: Mapping[int, int] = {
    40: 233, 41: 230, 42: 226, 43: 223, 44: 220, 45: 216, 46: 212, 47: 207, 48: 204, 49: 199,
    50: 195, 51: 190, 52: 185, 53: 180, 54: 175, 55: 170, 56: 164, 57: 158, 58: 152, 59: 145,
    60: 139, 61: 132, 62: 125, 63: 117, 64: 109, 65: 101, 66: 93, 67: 84, 68: 75, 69: 65, 70: 56,
}  # fmt: skip


def account_months_divisor(retirement_age: int) -> int:
    """Months over which the individual account is paid out, by age at retirement
    (国发〔2005〕38号 annex: 195 at 50, 170 at 55, 139 at 60, 117 at 63)."""
    age = min(max(retirement_age, 40), 70)
    return _MONTHS_DIVISOR[age]


def monthly_basic_pension(
    average_wage_monthly: float, average_index: float, contribution_years: float
) -> float:
    """The pooled (basic) pension a month: (local average wage + own indexed average wage) / 2
    × contribution years × 1% (国发〔2005〕38号). The indexed wage is the average wage times the
    average of the yearly base/average-wage ratios (``average_index``)."""
    indexed_wage = average_wage_monthly * average_index
    return (average_wage_monthly + indexed_wage) / 2 * contribution_years * 0.01


def monthly_account_pension(account_balance: float, retirement_age: int) -> float:
    """The individual-account pension a month: balance / months divisor (国发〔2005〕38号)."""
    return account_balance / account_months_divisor(retirement_age)


def yearly_flexible_contribution(base_monthly: float) -> tuple[float, float]:
    """A flexible worker's yearly payment and the part that goes to the individual account:
    20% and 8% of the base, twelve months (国发〔2005〕38号)."""
    return base_monthly * 12 * FLEXIBLE_PENSION_RATE, base_monthly * 12 * INDIVIDUAL_ACCOUNT_RATE


def contribution_base(pct: int, average_wage: float, floor: float, ceiling: float) -> float:
    """The monthly base for a chosen level: the lowest level (60%) is the province's published
    floor, which may be below 60% of the average wage (Guangdong outside Guangzhou: 4,775 against
    60% × 9,183 = 5,510, 粤人社发〔2025〕32号); higher levels are that share of the provincial
    average wage (全口径城镇单位就业人员平均工资), held within the published floor and ceiling
    (国办发〔2019〕13号: 60%–300%)."""
    if pct <= BASE_PCT_MIN:
        return floor
    return min(max(average_wage * pct / 100, floor), ceiling)


def minimum_contribution_years(retirement_year: int) -> float:
    """Years of contributions needed for a monthly employees' pension: 15, and from 2030-01-01
    six months more each year up to 20 in 2039 (NPC Standing Committee decision of
    2024-09-13, art. 2)."""
    if retirement_year < 2030:
        return 15.0
    return min(20.0, 15.0 + 0.5 * (retirement_year - 2029))


def statutory_retirement_age_months(group: RetirementGroup, birth_year: int) -> int:
    """Statutory retirement age in months for someone born in mid-``birth_year``.

    From 2025-01-01 the age rises by one month every four months of birth date for men (60 → 63,
    from those born in January 1965) and women cadres (55 → 58, from January 1970), and by one
    month every two months for women workers (50 → 55, from January 1975) (NPC Standing
    Committee decision of 2024-09-13, art. 1 and its annex)."""
    if group is RetirementGroup.MALE_60:
        old, first_year, step, most = 60, 1965, 4, 36
    elif group is RetirementGroup.FEMALE_55:
        old, first_year, step, most = 55, 1970, 4, 36
    else:
        old, first_year, step, most = 50, 1975, 2, 60
    # The game knows birth years only; it takes July, the middle of the year.
    months_after_start = (birth_year - first_year) * 12 + 6
    delay = 0 if months_after_start < 0 else min(most, months_after_start // step + 1)
    return old * 12 + delay


def statutory_retirement_age(group: RetirementGroup, birth_year: int) -> int:
    """The statutory retirement age in whole years reached (53 for 53 years and 4 months); the
    months are in :func:`statutory_retirement_age_months`."""
    return statutory_retirement_age_months(group, birth_year) // 12


def retirement_year(birth_year: int, retirement_age_months: int) -> int:
    """The calendar year in which the statutory age is reached, for someone born in July of
    ``birth_year`` (the game's mid-year birthday): 1981-07 + 57 years 11 months is June 2039."""
    return birth_year + (6 + retirement_age_months) // 12


def working_years_end_age(retirement_age_months: int) -> int:
    """The age at which the game's working stages end: the year in which the statutory age is
    reached is the last working year, worked and paid for only up to the month of retirement."""
    return math.ceil(retirement_age_months / 12)


def pension_claim_city(
    hukou_city: str, years_by_city: Mapping[str, float], city_order: Sequence[str]
) -> str:
    """Where a worker who paid in several provinces claims the employees' pension
    (国办发〔2009〕66号, art. 6): at the hukou place if that is where they last paid; else where
    they last paid if they paid there at least 10 years; else the last place with 10 years; and if
    no place has 10 years, the hukou place. ``city_order`` lists cities by last payment, oldest
    first."""
    if not city_order:
        return hukou_city
    last = city_order[-1]
    if last == hukou_city:
        return hukou_city
    for city in reversed(city_order):
        if years_by_city.get(city, 0) >= YEARS_TO_CLAIM_WHERE_LAST_INSURED:
            return city
    return hukou_city


def make_up_cost(missing_years: float, base_floor_monthly: float) -> float:
    """What paying the missing years in one sum costs at the floor base: 20% of the base a month
    (the 2024-09-13 decision, art. 2, allows making up the minimum by extended or lump-sum
    payment; the game prices it at the flexible worker's rate, 国发〔2005〕38号)."""
    return missing_years * 12 * base_floor_monthly * FLEXIBLE_PENSION_RATE


# --- Urban and rural residents' basic pension (城乡居民基本养老保险) -----------------------------

RESIDENTS_PENSION_AGE = 60
RESIDENTS_PENSION_MIN_YEARS = 15
"""Paid from 60 after 15 years of contributions (国发〔2014〕8号)."""

RESIDENTS_ACCOUNT_DIVISOR = 139
"""The residents' individual account is paid out over 139 months, as the employees' at 60
(国发〔2014〕8号)."""

RESIDENTS_SUBSIDY_LOW = 30.0
RESIDENTS_SUBSIDY_HIGH = 60.0
RESIDENTS_SUBSIDY_HIGH_FROM_TIER = 500
"""The government adds at least 30 yuan a year to the individual account, and at least 60 yuan
for a tier of 500 yuan or more (国发〔2014〕8号, art. 4(3)); provinces may give more."""


def residents_contribution_subsidy(
    tier: int, tiers: tuple[int, ...] = (), local_by_tier: tuple[float, ...] | None = None
) -> float:
    """The government's yearly subsidy into a resident's individual account for paying ``tier``
    yuan: the local figure for that tier where the scenario gives one (provinces pay more, e.g.
    Anhui 30 to 200 yuan), else the national floor: at least 30 yuan, and at least 60 from the
    500 tier (国发〔2014〕8号)."""
    if local_by_tier is not None and tier in tiers:
        return local_by_tier[tiers.index(tier)]
    return (
        RESIDENTS_SUBSIDY_HIGH
        if tier >= RESIDENTS_SUBSIDY_HIGH_FROM_TIER
        else RESIDENTS_SUBSIDY_LOW
    )


def residents_make_up_cost(missing_years: int, lowest_tier: int) -> float:
    """Paying the missing residents' years in one sum at 60 (补缴) at the lowest tier; made-up
    years get no government subsidy (国发〔2014〕8号 allows those short of 15 years at 60 to pay
    on or make up; the subsidy rule for made-up years is set locally)."""
    return float(missing_years * lowest_tier)


def monthly_residents_pension(basic_monthly: float, account_balance: float) -> float:
    """Residents' pension a month: the basic pension the government pays (at least the national
    minimum, 143 yuan in 2025; provinces and cities pay more) plus the individual account over
    139 months (国发〔2014〕8号)."""
    return basic_monthly + account_balance / RESIDENTS_ACCOUNT_DIVISOR


# --- Medical insurance ---------------------------------------------------------------------

FIXED_WAITING_MONTHS = 3


def waiting_period_months(years_without_cover: int) -> int:
    """Months before a late joiner or someone whose cover broke is paid: a fixed 3 months, plus
    1 month for each year without cover (国办发〔2024〕38号, from 2025). Joining without a
    break (or in the first enrolment) has no waiting period."""
    if years_without_cover <= 0:
        return 0
    return FIXED_WAITING_MONTHS + years_without_cover


CONTINUITY_BONUS_AFTER_YEARS = 4
CONTINUITY_BONUS_PER_YEAR = 1000.0
CONTINUITY_BONUS_MAX_SHARE = 0.20


def continuity_cap_bonus(continuous_years: int, annual_cap: float) -> float:
    """The extra yearly cap of the residents' critical-illness insurance for continuous cover:
    after 4 continuous years, at least 1,000 yuan more a year, in all at most 20% of the cap
    (国办发〔2024〕38号; it applies to the residents' scheme only)."""
    extra_years = continuous_years - CONTINUITY_BONUS_AFTER_YEARS
    if extra_years <= 0:
        return 0.0
    return min(extra_years * CONTINUITY_BONUS_PER_YEAR, CONTINUITY_BONUS_MAX_SHARE * annual_cap)


def critical_illness_payment(
    left_to_pay_in_year: float, already_above: float, threshold: float, rate: float, cap: float
) -> float:
    """What the residents' critical-illness insurance (大病保险) pays on a bill: ``rate`` (at
    least 60%) of what the basic scheme left to pay in the year above ``threshold``, up to
    ``cap`` a year (国办发〔2015〕57号). ``left_to_pay_in_year`` counts this bill;
    ``already_above`` is what the insurance already paid this year."""
    eligible = max(0.0, left_to_pay_in_year - threshold) * rate
    return max(0.0, min(eligible, cap) - already_above)


def medical_assistance_payment(left: float, rate: float, cap_left: float) -> float:
    """Medical assistance (医疗救助, 国办发〔2021〕42号) for a person in poverty: ``rate`` of what
    is left after insurance, up to what remains of the yearly cap."""
    return max(0.0, min(left * rate, cap_left))


# --- Road accidents: the compulsory motor insurance (交强险) ---------------------------------

MOTOR_COMPULSORY_MEDICAL_CAP = 18_000.0
MOTOR_COMPULSORY_DISABILITY_CAP = 180_000.0
"""Where a motor vehicle is liable for a road accident, its compulsory insurance pays the injured
first: medical costs up to 18,000 yuan, death and disability up to 180,000 yuan per accident
(中国银保监会《关于调整交强险责任限额和费率浮动系数的公告》, 2020-09, with the 车险综合改革).
It pays the victim of the insured vehicle; an electric bicycle has none. Costs a third party
must bear are not paid by medical or injury insurance unless the third party does not pay
(社会保险法 arts. 30 and 42): the game lets the compulsory insurance pay first and the rest
follow the usual order."""

MOTOR_DISABILITY_GRADE_7_SHARE = 0.4
"""Road-accident disability compensation scales with the grade: grade 7 is 40% of the full
amount (GB/T 16180 grades as courts apply them to 人身损害赔偿; an estimate of the game)."""


def motor_compulsory_disability(disabled: bool) -> float:
    """What the liable vehicle's compulsory insurance pays for the game's grade-7 disability."""
    return MOTOR_COMPULSORY_DISABILITY_CAP * MOTOR_DISABILITY_GRADE_7_SHARE if disabled else 0.0


# --- Occupational injury protection (新就业形态就业人员职业伤害保障) -----------------------------

DISABILITY_MONTHS_GRADE_7 = 13
"""One-off disability benefit for a grade-7 disability: 13 months of wage (《工伤保险条例》
art. 37). The pilot pays disability benefits from the work-injury fund (policy-facts §4); the game
takes a grade-7 disability at the province's average wage, an estimate of the pilot's rule."""


EMPLOYER_OWES_INJURY_BENEFITS = "工伤保险条例 art. 62; 社会保险法 art. 41"
"""An employer who did not enrol its employee in work-injury insurance pays the injury benefits
itself, at the insurance's items and standards (《工伤保险条例》 art. 62); if it does not pay,
the work-injury fund pays first and recovers the money from the employer (社会保险法 art. 41).
The worker still has to claim: 12333, the labour inspection (劳动监察), labour arbitration."""


def injury_disability_benefit(average_wage_monthly: float) -> float:
    """The occupational-injury pilot's one-off disability benefit for the game's disabling
    accident (grade 7): 13 months × the province's average wage (an estimate after
    《工伤保险条例》)."""
    return DISABILITY_MONTHS_GRADE_7 * average_wage_monthly


# --- Personal pension (个人养老金) -----------------------------------------------------------

PERSONAL_PENSION_YEARLY_CAP = 12_000
"""At most 12,000 yuan a year, deducted from taxable income (ECNS 2023-03)."""

PERSONAL_PENSION_PAYOUT_TAX = 0.03
"""3% tax when it is paid out (ECNS 2023-03)."""

# --- Poverty of health spending --------------------------------------------------------------

CATASTROPHIC_SHARE = 0.40
"""A year's health spending is catastrophic when what the household pays itself reaches 40% of
its capacity to pay: its spending net of subsistence needs (Xu et al., WHO, Distribution of health
payments and catastrophic expenditures, 2005)."""


def capacity_to_pay(income: float, living: float, subsistence: float) -> float:
    """A household's capacity to pay for health in a year: what it has to spend (its income, and
    at least what it spends on living) less subsistence (the WHO method; the game takes the local
    minimum living standard, 低保, as subsistence)."""
    return max(income, living) - subsistence


def is_catastrophic(out_of_pocket: float, capacity: float) -> bool:
    """WHO: out-of-pocket health spending of at least 40% of the capacity to pay."""
    if out_of_pocket <= 0:
        return False
    return capacity <= 0 or out_of_pocket >= CATASTROPHIC_SHARE * capacity
