"""The end of a life: the security score, the badges and the life summary.

The security score (0–1000) measures outcomes only — what the person had, met and kept — never
whether they paid into a scheme (``docs/game-design.md`` explains the choice):

- old age, 350: over the retired years lived, the share of each year's living costs that the
  pensions and the savings at hand could meet (savings run out; a pension pays for life);
- hardship, 250: half for the years of catastrophic health spending (none scores in full, three
  or more score nothing), half for the deepest debt (none in full, a year's living costs or more
  nothing);
- health, 150: the average health over the years lived (0–100);
- working life, 250: what was left for living in the working years, after needs, contributions
  and health bills, against the needs themselves (as much again scores in full).

A life that ends before retirement has no old age to score: its other parts are scaled to 1,000.
Everything here is derived from the life's state and history; nothing is stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from game_server.content.schema import EventKind, Scenario
from game_server.engine import mortality
from game_server.engine.costs import RETIRED_LIVING_SHARE
from game_server.engine.decisions import MedicalChoice, PensionChoice
from game_server.engine.events import Happening, LifeEnded, Moved, PayingOnEnded, Retired
from game_server.engine.state import LifeState, Phase

OLD_AGE_POINTS = 350
HARDSHIP_POINTS = 250
HEALTH_POINTS = 150
WORKING_LIFE_POINTS = 250
CATASTROPHIC_YEARS_FOR_ZERO = 3

RAINY_DAY_MONTHS = 6

BADGE_TEXT: dict[str, tuple[str, str]] = {
    "fifteen_years": ("缴满15年", "15 years paid in"),
    "monthly_pension": ("按月领养老金", "A monthly pension"),
    "covered_when_hit": ("出事时有保障", "Covered when the accident hit"),
    "hospital_bill_covered": ("医保报销了住院费", "Insurance paid the hospital"),
    "unbroken_cover": ("医保从不断缴", "Medical cover never broke"),
    "never_in_debt": ("从不欠债", "Never in debt"),
    "rainy_day_fund": ("有应急存款", "A rainy-day fund"),
    "full_protection": ("三重保障", "Fully protected"),
    "years_carried": ("缴费年限跟着走", "Years carried across cities"),
    "personal_pension": ("开了个人养老金", "Opened a personal pension"),
    "early_starter": ("早早参保", "Started early"),
    "weathered_storm": ("大病大伤也挺住", "Weathered a storm"),
}
"""Every badge id with its title in Chinese and English (the client has the longer texts)."""


@dataclass(frozen=True, slots=True)
class ScoreParts:
    old_age: int
    hardship: int
    health: int
    working_life: int
    scaled: bool = False
    """The life ended before retirement: the total is the other parts scaled to 1,000."""

    @property
    def total(self) -> int:
        raw = self.old_age + self.hardship + self.health + self.working_life
        if self.scaled:
            return round(raw * 1000 / (1000 - OLD_AGE_POINTS))
        return raw


@dataclass(frozen=True, slots=True)
class LifeSummary:
    """What a finished (or unfinished) life comes to, for the end screen and the results table."""

    scenario_id: str
    seed: int
    score: int
    parts: ScoreParts
    badges: tuple[str, ...]
    retirement_age: int
    retirement_months: int
    """The months past ``retirement_age`` of the statutory age (53 years 4 months: 4)."""
    death_age: int
    pension_outcome: str
    employee_years: float
    residents_years: float
    minimum_years: float
    monthly_pension: float
    old_age_income_monthly: float
    """The pensions a month plus the savings at retirement spread over the years a person of
    that age can expect to live (a planned drawdown): old-age income from every source."""
    retired_living_monthly: float
    savings_end: float
    health_end: float
    paid_in: float
    """Contributions and premiums paid over the life."""
    received: float
    """Pensions, insurance payments of bills, injury benefits and accounts paid back."""
    inherited_account: float
    """What was left in the individual pension accounts at death, for the family."""
    died_before_pension: bool
    bills: float
    out_of_pocket: float
    catastrophic_years: int
    """Years in which health spending out of pocket reached 40% of the capacity to pay (WHO)."""
    old_age_poor_years: int
    """Retired years below the local minimum living standard (低保) with no savings left."""
    lowest_savings: float
    working_years: int
    retired_years: int
    years_with_pension: float
    years_with_medical: int
    total_years: int
    left_for_living_working: float
    """Earnings in the working years less living costs, contributions and health bills: what was
    left to spend or save."""

    @property
    def catastrophic(self) -> bool:
        return self.catastrophic_years > 0


def _clamp(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def summarize(scenario: Scenario, state: LifeState) -> LifeSummary:
    """The summary of a life so far (complete once ``state.finished``)."""
    history = state.history
    household = scenario.persona.household_size.value
    last_city = scenario.city(state.city or scenario.persona.hukou_city)
    living_month = last_city.living_cost_monthly.value * household
    retired_living = living_month * RETIRED_LIVING_SHARE
    p = state.pensions
    monthly = p.employee_monthly + (p.residents_monthly if p.residents_from_age else 0.0)

    working = [r for r in history if r.stage.phase is Phase.WORKING]
    retired_records = [r for r in history if r.stage.phase is Phase.RETIRED]
    working_years = sum(r.stage.years for r in working)
    retired_years = sum(r.stage.years for r in retired_records)
    total_years = working_years + retired_years
    years_pension = sum((r.insured_years_pension for r in history), 0.0)
    years_medical = sum(r.insured_years_medical for r in history)
    catastrophic_years = sum(r.catastrophic_years for r in history)
    lowest = min((r.lowest_savings for r in history), default=state.savings)

    living_year = living_month * 12
    left = sum(
        (
            r.ledger.earnings - r.ledger.living - r.ledger.contributions - r.ledger.out_of_pocket
            for r in working
        ),
        0.0,
    )
    working_ratio = _clamp(left / working_years / living_year) if working_years else 0.0
    debt = max(0.0, -lowest)
    hardship = 1 - 0.5 * _clamp(catastrophic_years / CATASTROPHIC_YEARS_FOR_ZERO)
    hardship -= 0.5 * _clamp(debt / living_year)
    health = (
        sum((r.health_years for r in history), 0.0) / total_years if total_years else state.health
    )
    old_age = (
        sum((r.old_age_met for r in retired_records), 0.0) / retired_years if retired_years else 0.0
    )
    parts = ScoreParts(
        old_age=round(OLD_AGE_POINTS * _clamp(old_age)),
        hardship=round(HARDSHIP_POINTS * _clamp(hardship)),
        health=round(HEALTH_POINTS * _clamp(health / 100)),
        working_life=round(WORKING_LIFE_POINTS * working_ratio),
        scaled=state.finished and retired_years == 0,
    )

    happenings = [e for r in history for e in r.events if isinstance(e, Happening)]
    retired = next((e for r in history for e in r.events if isinstance(e, Retired)), None)
    paying_on = next((e for r in history for e in r.events if isinstance(e, PayingOnEnded)), None)
    ended = next((e for r in history for e in r.events if isinstance(e, LifeEnded)), None)
    outcome = paying_on.outcome if paying_on else retired.outcome if retired else "not_yet"
    if p.residents_from_age is not None and outcome in ("to_residents", "nothing", "not_yet"):
        outcome = "residents_pension"
    paid_in = sum((r.ledger.contributions for r in history), 0.0)
    received = sum((r.ledger.pension_income + r.ledger.covered for r in history), 0.0)
    received += sum((h.payout for h in happenings if h.kind is not EventKind.WINDFALL), 0.0)
    if retired is not None:
        received += retired.personal_pension_payout
    bills = sum((r.ledger.bills for r in history), 0.0)
    out_of_pocket = sum((r.ledger.out_of_pocket for r in history), 0.0)
    at_retirement = working[-1].savings_end if working and retired_records else state.savings
    horizon = mortality.life_expectancy(
        scenario.persona.gender, state.retirement_age, scenario.max_age
    )
    drawdown = max(0.0, at_retirement) / (horizon * 12) if horizon > 0 else 0.0

    return LifeSummary(
        scenario_id=state.scenario_id,
        seed=state.seed,
        score=parts.total,
        parts=parts,
        badges=_badges(state, happenings, outcome, living_month),
        retirement_age=state.retirement_age,
        retirement_months=state.retirement_months % 12,
        death_age=state.death_age,
        pension_outcome=outcome,
        employee_years=p.employee_years,
        residents_years=p.residents_years,
        minimum_years=retired.minimum_years if retired else 15.0,
        monthly_pension=monthly,
        old_age_income_monthly=monthly + drawdown,
        retired_living_monthly=retired_living,
        savings_end=state.savings,
        health_end=state.health,
        paid_in=paid_in,
        received=received,
        inherited_account=ended.inherited_account if ended else 0.0,
        died_before_pension=ended.before_pension if ended else False,
        bills=bills,
        out_of_pocket=out_of_pocket,
        catastrophic_years=catastrophic_years,
        old_age_poor_years=sum(r.poor_years for r in retired_records),
        lowest_savings=lowest,
        working_years=working_years,
        retired_years=retired_years,
        years_with_pension=years_pension,
        years_with_medical=years_medical,
        total_years=total_years,
        left_for_living_working=left,
    )


def _badges(
    state: LifeState,
    happenings: list[Happening],
    pension_outcome: str,
    living_month: float,
) -> tuple[str, ...]:
    history = state.history
    badges: list[str] = []
    if state.pensions.employee_years >= 15:
        badges.append("fifteen_years")
    if pension_outcome in ("employee_pension", "residents_pension"):
        badges.append("monthly_pension")
    injuries = [h for h in happenings if h.kind is EventKind.WORK_INJURY]
    if any(
        any(
            payer in ("injury_pilot", "work_injury_fund", "commercial_accident")
            for payer, _ in h.paid_by
        )
        for h in injuries
    ):
        badges.append("covered_when_hit")
    if any(h.kind is EventKind.SERIOUS_ILLNESS and h.covered > 0 for h in happenings):
        badges.append("hospital_bill_covered")
    if history and all(r.decisions.medical is not MedicalChoice.NONE for r in history):
        badges.append("unbroken_cover")
    if history and all(r.savings_end >= 0 for r in history):
        badges.append("never_in_debt")
    working = [r for r in history if r.stage.phase is Phase.WORKING]
    if working and working[-1].savings_end >= RAINY_DAY_MONTHS * living_month:
        badges.append("rainy_day_fund")
    if any(
        r.decisions.pension is not PensionChoice.NONE
        and r.decisions.medical is not MedicalChoice.NONE
        and r.injury_covered_years > 0
        for r in working
    ):
        badges.append("full_protection")
    if any(
        isinstance(e, Moved) and e.employee_years_carried > 0 for r in history for e in r.events
    ):
        badges.append("years_carried")
    if any(r.decisions.personal_pension > 0 for r in working):
        badges.append("personal_pension")
    if history and history[0].decisions.pension is not PensionChoice.NONE:
        badges.append("early_starter")
    big = [h for h in happenings if h.kind in (EventKind.SERIOUS_ILLNESS, EventKind.WORK_INJURY)]
    if big and not any(h.catastrophic for h in big):
        badges.append("weathered_storm")
    return tuple(badges)
