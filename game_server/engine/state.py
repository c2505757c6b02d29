"""The state of one life. Immutable: every command returns a new state.

Everything a life needs to continue or to be replayed is here: the seed (the whole state of the
counter-based RNG), the stage plan, the running totals of each scheme, and the log of decisions.

The engine's records (here, in ``events.py`` and ``decisions.py``) are dataclasses with their
``__init__`` written out (``init=False``): compiled with mypyc (``game_server/native.py``) a
written ``__init__`` is native code, while the one ``dataclass`` generates stays interpreted and
was a quarter of the engine's time. That is also why they are not ``frozen`` (a frozen class
cannot assign its fields in its own ``__init__`` when interpreted): nothing assigns to a record
once built, ``unsafe_hash`` keeps them hashable as frozen ones were, and
``tests/engine/test_properties.py`` checks that a refused command leaves a state as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from game_server.engine.decisions import Decisions, MedicalChoice
from game_server.engine.events import Event


class Phase(StrEnum):
    WORKING = "working"
    RETIRED = "retired"


@dataclass(slots=True, init=False, unsafe_hash=True)
class Stage:
    """One round of the game: a stretch of ``years`` years from ``start_age``."""

    index: int
    start_age: int
    years: int
    phase: Phase

    def __init__(
        self,
        index: int,
        start_age: int,
        years: int,
        phase: Phase,
    ) -> None:
        self.index = index
        self.start_age = start_age
        self.years = years
        self.phase = phase

    @property
    def end_age(self) -> int:
        """The age at which the stage ends (the next stage's start age)."""
        return self.start_age + self.years


@dataclass(slots=True, init=False, unsafe_hash=True)
class Ledger:
    """Where a stage's money came from and went. Savings change by exactly
    ``earnings + pension_income + lump_sums - living - contributions - spending - out_of_pocket``.
    """

    earnings: float = 0.0
    pension_income: float = 0.0
    lump_sums: float = 0.0
    """Account pay-outs, personal pension, disability benefits, windfalls, and the minimum
    living allowance (``assistance``)."""
    living: float = 0.0
    contributions: float = 0.0
    """Pension contributions, medical premiums, accident insurance, personal pension."""
    spending: float = 0.0
    """What was spent above needs instead of saved."""
    bills: float = 0.0
    covered: float = 0.0
    """The part of ``bills`` that insurance paid."""
    assistance: float = 0.0
    """The minimum living allowance (低保) paid in old age, part of ``lump_sums``."""

    def __init__(
        self,
        earnings: float = 0.0,
        pension_income: float = 0.0,
        lump_sums: float = 0.0,
        living: float = 0.0,
        contributions: float = 0.0,
        spending: float = 0.0,
        bills: float = 0.0,
        covered: float = 0.0,
        assistance: float = 0.0,
    ) -> None:
        self.earnings = earnings
        self.pension_income = pension_income
        self.lump_sums = lump_sums
        self.living = living
        self.contributions = contributions
        self.spending = spending
        self.bills = bills
        self.covered = covered
        self.assistance = assistance

    @property
    def out_of_pocket(self) -> float:
        return self.bills - self.covered

    @property
    def net(self) -> float:
        return (
            self.earnings
            + self.pension_income
            + self.lump_sums
            - self.living
            - self.contributions
            - self.spending
            - self.out_of_pocket
        )


@dataclass(slots=True, init=False, unsafe_hash=True)
class StageRecord:
    """What happened in a played stage: for the timeline, the summary and the badges."""

    stage: Stage
    decisions: Decisions
    city: str
    events: tuple[Event, ...]
    ledger: Ledger
    savings_end: float
    health_end: float
    insured_years_pension: float
    insured_years_medical: int
    injury_covered_years: int
    catastrophic_years: int = 0
    """Years in which health spending out of pocket was catastrophic (WHO, 40% of the capacity
    to pay)."""
    old_age_met: float = 0.0
    """Sum over the retired years of the share of the year's living costs that pensions and the
    savings at hand could meet (1.0: a year fully met)."""
    poor_years: int = 0
    """Retired years with income below the local minimum living standard (低保) and no savings
    to draw on."""
    lowest_savings: float = 0.0
    """The lowest savings at the end of any year of the stage (negative: debt)."""
    health_years: float = 0.0
    """Sum over the stage's years of the health at each year's end."""

    def __init__(
        self,
        stage: Stage,
        decisions: Decisions,
        city: str,
        events: tuple[Event, ...],
        ledger: Ledger,
        savings_end: float,
        health_end: float,
        insured_years_pension: float,
        insured_years_medical: int,
        injury_covered_years: int,
        catastrophic_years: int = 0,
        old_age_met: float = 0.0,
        poor_years: int = 0,
        lowest_savings: float = 0.0,
        health_years: float = 0.0,
    ) -> None:
        self.stage = stage
        self.decisions = decisions
        self.city = city
        self.events = events
        self.ledger = ledger
        self.savings_end = savings_end
        self.health_end = health_end
        self.insured_years_pension = insured_years_pension
        self.insured_years_medical = insured_years_medical
        self.injury_covered_years = injury_covered_years
        self.catastrophic_years = catastrophic_years
        self.old_age_met = old_age_met
        self.poor_years = poor_years
        self.lowest_savings = lowest_savings
        self.health_years = health_years


@dataclass(slots=True, init=False, unsafe_hash=True)
class Pensions:
    """Contributions so far and, once retired, the monthly pensions."""

    employee_years: float = 0.0
    employee_index_sum: float = 0.0
    """Sum of each year's base / average wage: divided by the years it is the average index."""
    employee_account: float = 0.0
    years_by_city: tuple[tuple[str, float], ...] = ()
    city_order: tuple[str, ...] = ()
    """Cities where the employees' pension was paid, by last payment, oldest first."""
    residents_years: float = 0.0
    residents_account: float = 0.0
    personal_account: float = 0.0
    employee_monthly: float = 0.0
    residents_monthly: float = 0.0
    residents_from_age: int | None = None
    """The age from which the residents' pension is paid (60 at the earliest)."""
    residents_settled: bool = False
    """The residents' scheme was settled at 60 (a pension, or short of 15 years)."""
    residents_paying_on: bool = False
    """Past 60, short of 15 residents' years and paying on year by year (延缴)."""
    account_paid_out: float = 0.0
    """Individual-account pension paid so far: what is left of the accounts is inherited."""
    account_monthly: float = 0.0
    """The individual-account part of the employees' pension a month."""
    paying_on: bool = False
    """Retired short of the minimum years and paying on until it is reached (延长缴费)."""
    minimum_years: float = 15.0
    """The minimum years for a monthly employees' pension, fixed in the year of retirement."""

    def __init__(
        self,
        employee_years: float = 0.0,
        employee_index_sum: float = 0.0,
        employee_account: float = 0.0,
        years_by_city: tuple[tuple[str, float], ...] = (),
        city_order: tuple[str, ...] = (),
        residents_years: float = 0.0,
        residents_account: float = 0.0,
        personal_account: float = 0.0,
        employee_monthly: float = 0.0,
        residents_monthly: float = 0.0,
        residents_from_age: int | None = None,
        residents_settled: bool = False,
        residents_paying_on: bool = False,
        account_paid_out: float = 0.0,
        account_monthly: float = 0.0,
        paying_on: bool = False,
        minimum_years: float = 15.0,
    ) -> None:
        self.employee_years = employee_years
        self.employee_index_sum = employee_index_sum
        self.employee_account = employee_account
        self.years_by_city = years_by_city
        self.city_order = city_order
        self.residents_years = residents_years
        self.residents_account = residents_account
        self.personal_account = personal_account
        self.employee_monthly = employee_monthly
        self.residents_monthly = residents_monthly
        self.residents_from_age = residents_from_age
        self.residents_settled = residents_settled
        self.residents_paying_on = residents_paying_on
        self.account_paid_out = account_paid_out
        self.account_monthly = account_monthly
        self.paying_on = paying_on
        self.minimum_years = minimum_years


@dataclass(slots=True, init=False, unsafe_hash=True)
class Medical:
    """Medical cover over time: continuity matters (waiting period, cap bonus)."""

    last_choice: MedicalChoice = MedicalChoice.NONE
    continuous_years: int = 0
    years_without_cover: int = 0
    ever_covered: bool = False
    employee_years: int = 0

    def __init__(
        self,
        last_choice: MedicalChoice = MedicalChoice.NONE,
        continuous_years: int = 0,
        years_without_cover: int = 0,
        ever_covered: bool = False,
        employee_years: int = 0,
    ) -> None:
        self.last_choice = last_choice
        self.continuous_years = continuous_years
        self.years_without_cover = years_without_cover
        self.ever_covered = ever_covered
        self.employee_years = employee_years


@dataclass(slots=True, init=False, unsafe_hash=True)
class LifeState:
    scenario_id: str
    scenario_version: int
    seed: int
    stages: tuple[Stage, ...]
    retirement_age: int
    """The statutory retirement age in whole years (the months are in ``retirement_months``)."""
    retirement_months: int
    """The statutory retirement age in months (NPC Standing Committee decision of 2024-09-13)."""
    death_age: int
    """The age at which this life ends, drawn from the life table by the seed."""
    round: int
    """Index of the next stage to play; ``len(stages)`` when the life is over."""
    age: int
    year: int
    savings: float
    """Negative savings are debt."""
    health: float
    """0–100 now; illness and accidents lower it, and it recovers towards a cap."""
    health_wear: float
    """Lasting harm (hard work, disability, untreated illness): it lowers the cap for good."""
    income_factor: float
    pensions: Pensions
    medical: Medical
    city: str | None
    """Where the person lives and works now; ``None`` before the first round."""
    history: tuple[StageRecord, ...] = ()

    def __init__(
        self,
        scenario_id: str,
        scenario_version: int,
        seed: int,
        stages: tuple[Stage, ...],
        retirement_age: int,
        retirement_months: int,
        death_age: int,
        round: int,
        age: int,
        year: int,
        savings: float,
        health: float,
        health_wear: float,
        income_factor: float,
        pensions: Pensions,
        medical: Medical,
        city: str | None,
        history: tuple[StageRecord, ...] = (),
    ) -> None:
        self.scenario_id = scenario_id
        self.scenario_version = scenario_version
        self.seed = seed
        self.stages = stages
        self.retirement_age = retirement_age
        self.retirement_months = retirement_months
        self.death_age = death_age
        self.round = round
        self.age = age
        self.year = year
        self.savings = savings
        self.health = health
        self.health_wear = health_wear
        self.income_factor = income_factor
        self.pensions = pensions
        self.medical = medical
        self.city = city
        self.history = history

    @property
    def finished(self) -> bool:
        return self.round >= len(self.stages)

    @property
    def decisions_log(self) -> tuple[Decisions, ...]:
        return tuple(record.decisions for record in self.history)

    @property
    def current_stage(self) -> Stage | None:
        return None if self.finished else self.stages[self.round]
