"""What the engine tells the world happened. Plain values: the protocol layer turns them into
messages and the client into words (the scenario holds the text of each drawn event)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from game_server.content.schema import EventKind

Payer = Literal[
    "motor_compulsory",
    "injury_pilot",
    "work_injury_fund",
    "employer",
    "employee_medical",
    "residents_medical",
    "critical_illness",
    "medical_assistance",
    "commercial_accident",
]
"""Who paid part of a bill, in the order they pay: a liable vehicle's compulsory insurance
(交强险) first; for a work injury the occupational-injury pilot, the work-injury fund (a
construction project's insurance) or the employer who did not enrol the worker (工伤保险条例
art. 62); else basic medical insurance, then the residents' critical-illness insurance and
medical assistance; private accident insurance last."""


@dataclass(slots=True, init=False, unsafe_hash=True)
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
    """The year's health spending out of pocket, this bill included, reached 40% of the
    household's capacity to pay (WHO)."""
    vehicle_liable: bool = False
    """A road accident for which a motor vehicle was liable (its 交强险 paid first)."""
    employer_owed: bool = False
    """A work injury of an employee whom the employer had not enrolled: the employer owes the
    benefits (工伤保险条例 art. 62)."""

    def __init__(
        self,
        event_id: str,
        kind: EventKind,
        year: int,
        age: int,
        month: int,
        bill: float = 0.0,
        covered: float = 0.0,
        paid_by: tuple[tuple[Payer, float], ...] = (),
        income_lost: float = 0.0,
        payout: float = 0.0,
        disabled: bool = False,
        waiting_period: bool = False,
        catastrophic: bool = False,
        vehicle_liable: bool = False,
        employer_owed: bool = False,
    ) -> None:
        self.event_id = event_id
        self.kind = kind
        self.year = year
        self.age = age
        self.month = month
        self.bill = bill
        self.covered = covered
        self.paid_by = paid_by
        self.income_lost = income_lost
        self.payout = payout
        self.disabled = disabled
        self.waiting_period = waiting_period
        self.catastrophic = catastrophic
        self.vehicle_liable = vehicle_liable
        self.employer_owed = employer_owed

    @property
    def out_of_pocket(self) -> float:
        return self.bill - self.covered


@dataclass(slots=True, init=False, unsafe_hash=True)
class NewsShown:
    news_id: str
    year: int

    def __init__(
        self,
        news_id: str,
        year: int,
    ) -> None:
        self.news_id = news_id
        self.year = year


@dataclass(slots=True, init=False, unsafe_hash=True)
class Moved:
    from_city: str
    to_city: str
    year: int
    employee_years_carried: float
    """Employees' pension years that move with the worker (国办发〔2009〕66号)."""

    def __init__(
        self,
        from_city: str,
        to_city: str,
        year: int,
        employee_years_carried: float,
    ) -> None:
        self.from_city = from_city
        self.to_city = to_city
        self.year = year
        self.employee_years_carried = employee_years_carried


PensionOutcome = Literal[
    "employee_pension", "residents_pension", "to_residents", "nothing", "paying_on"
]
"""``to_residents``: short of the employees' minimum, the years and account moved to the
residents' scheme (社会保险法 art. 16), which pays from 60 after 15 years in all."""


@dataclass(slots=True, init=False, unsafe_hash=True)
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
    personal_pension_payout: float
    months: int = 0
    """The months of the statutory age past ``age`` (53 years and 4 months: 4)."""

    def __init__(
        self,
        age: int,
        year: int,
        minimum_years: float,
        employee_years: float,
        made_up_years: float,
        make_up_cost: float,
        claim_city: str | None,
        outcome: PensionOutcome,
        employee_monthly: float,
        personal_pension_payout: float,
        months: int = 0,
    ) -> None:
        self.age = age
        self.year = year
        self.minimum_years = minimum_years
        self.employee_years = employee_years
        self.made_up_years = made_up_years
        self.make_up_cost = make_up_cost
        self.claim_city = claim_city
        self.outcome = outcome
        self.employee_monthly = employee_monthly
        self.personal_pension_payout = personal_pension_payout
        self.months = months


@dataclass(slots=True, init=False, unsafe_hash=True)
class PayingOnEnded:
    """Paying on after retirement ended: the minimum was reached (``employee_pension``), or the
    player stopped and the years moved to the residents' scheme (``to_residents``)."""

    age: int
    year: int
    outcome: PensionOutcome
    employee_monthly: float

    def __init__(
        self,
        age: int,
        year: int,
        outcome: PensionOutcome,
        employee_monthly: float,
    ) -> None:
        self.age = age
        self.year = year
        self.outcome = outcome
        self.employee_monthly = employee_monthly


@dataclass(slots=True, init=False, unsafe_hash=True)
class ResidentsPensionStarted:
    """The residents' pension starts (at 60, or once the missing years are paid)."""

    age: int
    year: int
    monthly: float
    years: int
    made_up_years: int = 0
    """Years paid in one sum at 60 (补缴)."""
    make_up_cost: float = 0.0

    def __init__(
        self,
        age: int,
        year: int,
        monthly: float,
        years: int,
        made_up_years: int = 0,
        make_up_cost: float = 0.0,
    ) -> None:
        self.age = age
        self.year = year
        self.monthly = monthly
        self.years = years
        self.made_up_years = made_up_years
        self.make_up_cost = make_up_cost


@dataclass(slots=True, init=False, unsafe_hash=True)
class ResidentsShort:
    """At 60 the residents' years fall short of 15 and nothing is paid on: no residents' pension;
    the individual account stays, and goes to the family (社会保险法 art. 14)."""

    age: int
    year: int
    years: int
    account: float
    paying_on: bool
    """True: short, but paying on year by year (延缴) until 15 years."""

    def __init__(
        self,
        age: int,
        year: int,
        years: int,
        account: float,
        paying_on: bool,
    ) -> None:
        self.age = age
        self.year = year
        self.years = years
        self.account = account
        self.paying_on = paying_on


@dataclass(slots=True, init=False, unsafe_hash=True)
class StageClosed:
    round: int
    start_age: int
    end_age: int
    savings: float
    health: float

    def __init__(
        self,
        round: int,
        start_age: int,
        end_age: int,
        savings: float,
        health: float,
    ) -> None:
        self.round = round
        self.start_age = start_age
        self.end_age = end_age
        self.savings = savings
        self.health = health


@dataclass(slots=True, init=False, unsafe_hash=True)
class LifeEnded:
    """The life ends at ``age``, an age drawn from the life table."""

    age: int
    savings: float
    inherited_account: float = 0.0
    """What is left in the individual pension accounts goes to the family (个人账户余额可以继承,
    社会保险法 art. 14)."""
    before_pension: bool = False
    """Paid into a pension scheme and died before drawing any pension."""

    def __init__(
        self,
        age: int,
        savings: float,
        inherited_account: float = 0.0,
        before_pension: bool = False,
    ) -> None:
        self.age = age
        self.savings = savings
        self.inherited_account = inherited_account
        self.before_pension = before_pension


Event = (
    Happening
    | NewsShown
    | Moved
    | Retired
    | PayingOnEnded
    | ResidentsPensionStarted
    | ResidentsShort
    | StageClosed
    | LifeEnded
)
