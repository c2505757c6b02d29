"""The state of one life. Immutable: every command returns a new state.

Everything a life needs to continue or to be replayed is here: the seed (the whole state of the
counter-based RNG), the stage plan, the running totals of each scheme, and the log of decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from game_server.engine.decisions import Decisions, MedicalChoice
from game_server.engine.events import Event


class Phase(StrEnum):
    WORKING = "working"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class Stage:
    """One round of the game: a stretch of ``years`` years from ``start_age``."""

    index: int
    start_age: int
    years: int
    phase: Phase

    @property
    def end_age(self) -> int:
        """The age at which the stage ends (the next stage's start age)."""
        return self.start_age + self.years


@dataclass(frozen=True, slots=True)
class Ledger:
    """Where a stage's money came from and went. Savings change by exactly
    ``earnings + pension_income + lump_sums - living - contributions - spending - out_of_pocket``.
    """

    earnings: float = 0.0
    pension_income: float = 0.0
    lump_sums: float = 0.0
    """Account pay-outs, personal pension, disability benefits, windfalls."""
    living: float = 0.0
    contributions: float = 0.0
    """Pension contributions, medical premiums, accident insurance, personal pension."""
    spending: float = 0.0
    """What was spent above needs instead of saved."""
    bills: float = 0.0
    covered: float = 0.0
    """The part of ``bills`` that insurance paid."""

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


@dataclass(frozen=True, slots=True)
class StageRecord:
    """What happened in a played stage: for the timeline, the summary and the badges."""

    stage: Stage
    decisions: Decisions
    city: str
    events: tuple[Event, ...]
    ledger: Ledger
    savings_end: float
    health_end: float
    insured_years_pension: int
    insured_years_medical: int
    injury_covered_years: int


@dataclass(frozen=True, slots=True)
class Pensions:
    """Contributions so far and, once retired, the monthly pensions."""

    employee_years: float = 0.0
    employee_index_sum: float = 0.0
    """Sum of each year's base / average wage: divided by the years it is the average index."""
    employee_account: float = 0.0
    years_by_city: tuple[tuple[str, float], ...] = ()
    city_order: tuple[str, ...] = ()
    """Cities where the employees' pension was paid, by last payment, oldest first."""
    residents_years: int = 0
    residents_account: float = 0.0
    personal_account: float = 0.0
    employee_monthly: float = 0.0
    residents_monthly: float = 0.0
    residents_from_age: int | None = None
    """The age from which the residents' pension is paid (60 at the earliest)."""
    paying_on: bool = False
    """Retired short of the minimum years and paying on until it is reached (延长缴费)."""
    minimum_years: float = 15.0
    """The minimum years for a monthly employees' pension, fixed in the year of retirement."""


@dataclass(frozen=True, slots=True)
class Medical:
    """Medical cover over time: continuity matters (waiting period, cap bonus)."""

    last_choice: MedicalChoice = MedicalChoice.NONE
    continuous_years: int = 0
    years_without_cover: int = 0
    ever_covered: bool = False
    employee_years: int = 0


@dataclass(frozen=True, slots=True)
class LifeState:
    scenario_id: str
    scenario_version: int
    seed: int
    stages: tuple[Stage, ...]
    retirement_age: int
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

    @property
    def finished(self) -> bool:
        return self.round >= len(self.stages)

    @property
    def decisions_log(self) -> tuple[Decisions, ...]:
        return tuple(record.decisions for record in self.history)

    @property
    def current_stage(self) -> Stage | None:
        return None if self.finished else self.stages[self.round]
