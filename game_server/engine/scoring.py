"""The end of a life: the security score, the badges and the life summary.

The security score (0–1000) has four parts (``docs/game-design.md`` explains the choice):

- finances, 250: savings at the end against a year's living cost; a year of debt scores 0,
  two years of savings score in full;
- retirement income, 350: the monthly pensions against what living costs a retired person;
- health, 150: health at the end (0–100);
- continuity of cover, 250: half for the share of working years paying into a pension, half for
  the share of all years with medical cover.

Everything here is derived from the life's state and history; nothing is stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from game_server.content.schema import EventKind, Scenario
from game_server.engine.decisions import MedicalChoice, PensionChoice
from game_server.engine.events import Happening, Moved, PayingOnEnded, Retired
from game_server.engine.life import RETIRED_LIVING_SHARE
from game_server.engine.state import LifeState, Phase

FINANCES_POINTS = 250
RETIREMENT_POINTS = 350
HEALTH_POINTS = 150
CONTINUITY_POINTS = 250

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
    finances: int
    retirement_income: int
    health: int
    continuity: int

    @property
    def total(self) -> int:
        return self.finances + self.retirement_income + self.health + self.continuity


@dataclass(frozen=True, slots=True)
class LifeSummary:
    """What a finished (or unfinished) life comes to, for the end screen and the results table."""

    scenario_id: str
    seed: int
    score: int
    parts: ScoreParts
    badges: tuple[str, ...]
    retirement_age: int
    pension_outcome: str
    employee_years: float
    residents_years: int
    minimum_years: float
    monthly_pension: float
    retired_living_monthly: float
    savings_end: float
    health_end: float
    paid_in: float
    """Contributions and premiums paid over the life."""
    received: float
    """Pensions, insurance payments of bills, injury benefits and accounts paid back."""
    bills: float
    out_of_pocket: float
    catastrophic_events: int
    working_years: int
    years_with_pension: int
    years_with_medical: int
    total_years: int

    @property
    def catastrophic(self) -> bool:
        return self.catastrophic_events > 0


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

    working_years = sum(r.stage.years for r in history if r.stage.phase is Phase.WORKING)
    total_years = sum(r.stage.years for r in history)
    years_pension = sum(r.insured_years_pension for r in history)
    years_medical = sum(r.insured_years_medical for r in history)

    living_year = living_month * 12
    finances = _clamp((state.savings + living_year) / (3 * living_year))
    retirement = _clamp(monthly / retired_living) if retired_living > 0 else 0.0
    continuity = 0.5 * _clamp(years_pension / working_years if working_years else 0.0)
    continuity += 0.5 * _clamp(years_medical / total_years if total_years else 0.0)
    parts = ScoreParts(
        finances=round(FINANCES_POINTS * finances),
        retirement_income=round(RETIREMENT_POINTS * retirement),
        health=round(HEALTH_POINTS * _clamp(state.health / 100)),
        continuity=round(CONTINUITY_POINTS * continuity),
    )

    happenings = [e for r in history for e in r.events if isinstance(e, Happening)]
    retired = next((e for r in history for e in r.events if isinstance(e, Retired)), None)
    paying_on = next((e for r in history for e in r.events if isinstance(e, PayingOnEnded)), None)
    outcome = paying_on.outcome if paying_on else retired.outcome if retired else "not_yet"
    paid_in = sum(r.ledger.contributions for r in history)
    received = sum(r.ledger.pension_income + r.ledger.covered for r in history)
    received += sum(h.payout for h in happenings if h.kind is not EventKind.WINDFALL)
    if retired is not None:
        received += retired.lump_sum + retired.personal_pension_payout
    if paying_on is not None:
        received += paying_on.lump_sum
    bills = sum(r.ledger.bills for r in history)
    out_of_pocket = sum(r.ledger.out_of_pocket for r in history)

    return LifeSummary(
        scenario_id=state.scenario_id,
        seed=state.seed,
        score=parts.total,
        parts=parts,
        badges=_badges(state, happenings, outcome, living_month),
        retirement_age=state.retirement_age,
        pension_outcome=outcome,
        employee_years=p.employee_years,
        residents_years=p.residents_years,
        minimum_years=retired.minimum_years if retired else 15.0,
        monthly_pension=monthly,
        retired_living_monthly=retired_living,
        savings_end=state.savings,
        health_end=state.health,
        paid_in=paid_in,
        received=received,
        bills=bills,
        out_of_pocket=out_of_pocket,
        catastrophic_events=sum(1 for h in happenings if h.catastrophic),
        working_years=working_years,
        years_with_pension=years_pension,
        years_with_medical=years_medical,
        total_years=total_years,
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
        any(payer in ("injury_pilot", "commercial_accident") for payer, _ in h.paid_by)
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
