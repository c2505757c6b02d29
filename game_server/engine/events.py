"""What the engine tells the world happened. Plain values: the protocol layer turns them into
messages and the client into words (the scenario holds the text of each drawn event)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from game_server.content.schema import EventKind

Payer = Literal["injury_pilot", "employee_medical", "residents_medical", "commercial_accident"]


@dataclass(frozen=True, slots=True)
class Happening:
    """An event drawn for the stage, and what it cost and who paid."""

    event_id: str
    kind: EventKind
    year: int
    age: int
    month: int
    bill: float = 0.0
    covered: float = 0.0
    paid_by: tuple[tuple[Payer, float], ...] = ()
    income_lost: float = 0.0
    payout: float = 0.0
    """Money received: a windfall, or an injury benefit paid to the person."""
    disabled: bool = False
    waiting_period: bool = False
    """Cover existed but was still in its waiting period, so it paid nothing."""
    catastrophic: bool = False

    @property
    def out_of_pocket(self) -> float:
        return self.bill - self.covered


@dataclass(frozen=True, slots=True)
class NewsShown:
    news_id: str
    year: int


@dataclass(frozen=True, slots=True)
class Moved:
    from_city: str
    to_city: str
    year: int
    employee_years_carried: float
    """Employees' pension years that move with the worker (国办发〔2009〕66号)."""


PensionOutcome = Literal[
    "employee_pension", "residents_pension", "lump_sum", "nothing", "paying_on"
]


@dataclass(frozen=True, slots=True)
class Retired:
    age: int
    year: int
    minimum_years: float
    employee_years: float
    made_up_years: float
    """Years made up in one sum at retirement."""
    make_up_cost: float
    claim_city: str | None
    outcome: PensionOutcome
    """``paying_on``: short of the minimum and paying on year by year (see PayingOnEnded)."""
    employee_monthly: float
    lump_sum: float
    """Accounts paid out in one sum because no monthly pension was reached."""
    personal_pension_payout: float


@dataclass(frozen=True, slots=True)
class PayingOnEnded:
    """Paying on after retirement ended: the minimum was reached (``employee_pension``) or the
    savings could not pay another year."""

    age: int
    year: int
    outcome: PensionOutcome
    employee_monthly: float
    lump_sum: float


@dataclass(frozen=True, slots=True)
class ResidentsPensionStarted:
    age: int
    year: int
    monthly: float
    years: int


@dataclass(frozen=True, slots=True)
class StageClosed:
    round: int
    start_age: int
    end_age: int
    savings: float
    health: float


@dataclass(frozen=True, slots=True)
class LifeEnded:
    age: int
    savings: float


Event = (
    Happening
    | NewsShown
    | Moved
    | Retired
    | PayingOnEnded
    | ResidentsPensionStarted
    | StageClosed
    | LifeEnded
)
