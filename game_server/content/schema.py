"""The scenario schema: game content as validated data.

A scenario is one persona's working life in one or more cities. Every policy number a scenario
uses is a :class:`Sourced` value that names where it comes from (document number and year), and
says whether it is an estimate, so a trainer can check it and the game can mark estimates as such
when it shows them. All player-facing text is a :class:`Text` in Chinese and English.

The engine reads these models; it never changes them (they are frozen).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,47}$")]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Frozen(BaseModel):
    """Base of every content model: immutable, and unknown fields are an error (typos show)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(Frozen):
    """Player-facing text in both languages; neither may be empty."""

    zh: NonEmpty
    en: NonEmpty


class Sourced(Frozen):
    """A number with its source. ``estimate`` marks figures that are not verified (status U in
    ``shared/policy-facts.md``) or that are game-design assumptions; the game shows them as
    estimates."""

    value: float
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]
    estimate: bool = False


class RetirementGroup(StrEnum):
    """The statutory retirement-age group before the 2025 reform (NPC Standing Committee
    decision of 2024-09-13, art. 1): men 60, women cadres 55, women workers 50."""

    MALE_60 = "male_60"
    FEMALE_55 = "female_55"
    FEMALE_50 = "female_50"


class Persona(Frozen):
    name: Text
    story: Text
    gender: Literal["male", "female"]
    birth_year: int = Field(ge=1940, le=2015)
    retirement_group: RetirementGroup
    retirement_group_source: NonEmpty
    hukou_city: Id
    """City id of the hukou (household registration) place; it may be a city the persona never
    works in (then it is listed in ``cities`` for its average wage)."""
    start_savings: float = Field(ge=0)
    household_size: Sourced
    """Multiplies the city's single-person living cost: 1 for a person alone, more for a family
    the persona supports."""
    start_health: int = Field(default=90, ge=1, le=100)


class MedicalPlan(Frozen):
    """What a medical scheme pays in a city: shares of the bill, and the yearly cap."""

    outpatient_rate: Sourced
    inpatient_rate: Sourced
    annual_cap: Sourced

    @model_validator(mode="after")
    def _rates_are_shares(self) -> MedicalPlan:
        for name in ("outpatient_rate", "inpatient_rate"):
            value = getattr(self, name).value
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1, got {value}")
        return self


class CriticalIllness(Frozen):
    """Residents' critical-illness insurance (城乡居民大病保险, 国办发〔2015〕57号): of what the
    basic scheme leaves the patient to pay in a year, the part above ``threshold`` (set near the
    local per-capita disposable income) is reimbursed at ``rate`` (at least 60%), up to ``cap``."""

    threshold: Sourced
    rate: Sourced
    cap: Sourced


class MedicalAssistance(Frozen):
    """Medical assistance (医疗救助, 国办发〔2021〕42号) for people in poverty: after the basic
    scheme and critical-illness insurance, a share of what is left, up to a yearly cap. The game
    treats a person as eligible when their household has no savings left and its income is below
    the local minimum living standard (低保)."""

    rate: Sourced
    yearly_cap: Sourced


class Employer(Frozen):
    """A job where the worker is an employee: the employer must enrol them in the employee schemes
    (社会保险法 art. 58; 劳动合同法). ``enrols`` says whether this employer actually does."""

    enrols: bool
    injury_by_project: bool = False
    """Construction projects insure every site worker for work injury by project (按项目参保,
    人社部发〔2014〕103号), whatever the employer does about the other schemes."""
    source: NonEmpty


class ResidentsSubsidies(Frozen):
    """The government's yearly subsidy into a resident's account, one figure per tier of
    ``residents_pension_tiers`` in the same order."""

    by_tier: tuple[float, ...]
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]
    estimate: bool = False


class City(Frozen):
    id: Id
    name: Text
    province: Text
    average_wage_monthly: Sourced
    """The provincial average wage of urban employed people (全省全口径城镇单位就业人员平均工资),
    used for the contribution bases and the pension formula."""
    pension_formula_wage_monthly: Sourced | None = None
    """The province's wage for the pension formula (计发基数), which may differ from the average
    used for contribution bases; the average wage when not given."""
    pension_base_floor: Sourced
    """The published lowest base (it may differ from 60% of the average: Guangdong outside
    Guangzhou, 4,775 against 60% × 9,183 = 5,510, 粤人社发〔2025〕32号)."""
    pension_base_ceiling: Sourced
    living_cost_monthly: Sourced
    """What one person needs a month to live there (rent, food, transport)."""
    hukou_limit_lifted_year: Sourced | None = None
    """Before this year a worker without local hukou cannot join the employees' pension here as a
    flexible worker; ``None`` means no such limit applies in the game's years."""
    minimum_living_standard_monthly: Sourced
    """The local minimum living standard (低保) per person a month: the poverty line the game
    measures old age against, the subsistence it leaves out of the capacity to pay for health,
    and the test for medical assistance."""
    residents_medical_premium_yearly: Sourced
    residents_medical: MedicalPlan
    critical_illness: CriticalIllness
    medical_assistance: MedicalAssistance
    employee_medical: MedicalPlan
    employee_medical_rate: Sourced
    """Share of the base floor a flexible worker pays a year for the employees' medical scheme."""
    employee_medical_years_for_retirement: Sourced
    """Years of employee medical contributions needed to keep it free in retirement."""
    residents_pension_basic_monthly: Sourced
    """The basic (government-paid) part of the residents' pension per month from age 60: the
    national minimum or the province's or city's higher figure."""
    residents_pension_subsidies: ResidentsSubsidies | None = None
    """The government's contribution subsidy a year for each tier; the national floor (30 yuan,
    60 from the 500 tier, 国发〔2014〕8号) when not given."""
    residents_pension_tiers: tuple[int, ...]
    residents_pension_tiers_source: NonEmpty

    @model_validator(mode="after")
    def _check_numbers(self) -> City:
        if self.pension_base_floor.value > self.pension_base_ceiling.value:
            raise ValueError("pension_base_floor is above pension_base_ceiling")
        if not (0 < self.employee_medical_rate.value < 1):
            raise ValueError("employee_medical_rate must be a share between 0 and 1")
        if not self.residents_pension_tiers or list(self.residents_pension_tiers) != sorted(
            set(self.residents_pension_tiers)
        ):
            raise ValueError("residents_pension_tiers must be a non-empty increasing list")
        subsidies = self.residents_pension_subsidies
        if subsidies is not None and len(subsidies.by_tier) != len(self.residents_pension_tiers):
            raise ValueError("residents_pension_subsidies needs one figure per tier")
        return self


class Job(Frozen):
    id: Id
    name: Text
    description: Text
    city: Id
    platform: bool
    """A platform job (delivery, ride-hailing): deactivation by the app is possible."""
    monthly_income_full_time: Sourced
    accident_risk: Sourced
    """Relative risk of a road or work accident (1.0 = a delivery rider full time)."""
    income_spread: Sourced
    """How much a stage's income varies around the full-time figure: the half-width of a uniform
    spread as a share (0.25: from 75% to 125%). Platform work is volatile."""
    employer: Employer | None = None
    """For a job where the worker is an employee (factory, construction, warehouse, security,
    agency work); ``None`` for platform and self-employed work."""
    injury_pilot_from_year: Sourced | None = None
    """First year in which this job's platform in this city is in the occupational-injury pilot
    (the platform pays, the worker is covered); ``None``: never in the pilot."""


class CommercialAccidentInsurance(Frozen):
    """Private accident cover a worker can buy (many platforms sell it by the day)."""

    premium_yearly: Sourced
    medical_cap: Sourced
    disability_payout: Sourced


class EventKind(StrEnum):
    MINOR_ILLNESS = "minor_illness"
    SERIOUS_ILLNESS = "serious_illness"
    WORK_INJURY = "work_injury"
    DEACTIVATION = "deactivation"
    FAMILY_CARE = "family_care"
    INCOME_SHOCK = "income_shock"
    WINDFALL = "windfall"


REQUIRED_EVENT_KINDS = frozenset(EventKind)


class EventDef(Frozen):
    """One kind of thing that can happen in a stage of life.

    ``chance_per_year`` is the base yearly chance; the engine scales it by age, health, job and
    hours (see ``docs/game-design.md``). ``cost`` is a bill (illness, injury, family care) or,
    for a windfall, the money received. ``income_loss_months`` is work lost.
    """

    id: Id
    kind: EventKind
    title: Text
    story: Text
    chance_per_year: Sourced
    cost: Sourced | None = None
    income_loss_months: float = Field(default=0, ge=0, le=12)
    health_loss: int = Field(default=0, ge=0, le=100)
    disabling_chance: float = Field(default=0, ge=0, le=1)
    """For a work injury: the share of accidents that leave a lasting disability."""
    motor_vehicle_liable_chance: float = Field(default=0, ge=0, le=1)
    """For a road accident: the share in which a motor vehicle is liable, so its compulsory
    insurance (交强险) pays first."""
    min_age: int = Field(default=16, ge=0, le=110)
    max_age: int = Field(default=110, ge=0, le=110)
    """The ages at which this event fits the person's life (no rain fever from delivering at 70,
    no mother in hospital at 100)."""

    @model_validator(mode="after")
    def _check(self) -> EventDef:
        if not 0 <= self.chance_per_year.value <= 1:
            raise ValueError("chance_per_year must be between 0 and 1")
        needs_cost = {
            EventKind.MINOR_ILLNESS,
            EventKind.SERIOUS_ILLNESS,
            EventKind.WORK_INJURY,
            EventKind.FAMILY_CARE,
            EventKind.WINDFALL,
        }
        if self.kind in needs_cost and self.cost is None:
            raise ValueError(f"an event of kind {self.kind.value} needs a cost")
        if self.min_age > self.max_age:
            raise ValueError("min_age is above max_age")
        return self


class PolicyNews(Frozen):
    """A real policy change, shown in the stage that contains its year (or the first stage if it
    came before the game starts)."""

    id: Id
    year: int
    title: Text
    story: Text
    source: NonEmpty


class QuizQuestion(Frozen):
    id: Id
    question: Text
    options: tuple[Text, ...] = Field(min_length=2, max_length=5)
    answer: int = Field(ge=0)
    explanation: Text
    source: NonEmpty

    @model_validator(mode="after")
    def _answer_in_range(self) -> QuizQuestion:
        if self.answer >= len(self.options):
            raise ValueError(f"answer {self.answer} is not one of the {len(self.options)} options")
        return self


class Channel(StrEnum):
    HOTLINE_12333 = "12333"
    E_SOCIAL_SECURITY_CARD = "e_social_security_card"
    NATIONAL_PLATFORM = "national_platform"
    PLATFORM_APP = "platform_app"
    MEDICAL_INSURANCE_APP = "medical_insurance_app"


class Scheme(StrEnum):
    EMPLOYEE_PENSION = "employee_pension"
    RESIDENTS_PENSION = "residents_pension"
    EMPLOYEE_MEDICAL = "employee_medical"
    RESIDENTS_MEDICAL = "residents_medical"
    INJURY_PROTECTION = "injury_protection"
    PERSONAL_PENSION = "personal_pension"


class RealWorldCard(Frozen):
    """'Do it for real': where the player can act on what the game taught."""

    id: Id
    scheme: Scheme
    channel: Channel
    title: Text
    steps: Text
    source: NonEmpty


class Defaults(Frozen):
    """The first round's decisions when the player just taps on."""

    job: Id
    hours: Literal["part_time", "full_time", "long_hours"] = "full_time"
    saving_rate: int = Field(default=10, ge=0, le=50)


class Scenario(Frozen):
    id: Id
    version: int = Field(ge=1)
    title: Text
    teaches: Text
    persona: Persona
    start_year: int = Field(ge=2020, le=2040)
    max_age: int = Field(default=100, ge=80, le=110)
    """The oldest age a life reaches in the game: the life table is closed there."""
    max_rounds: int = Field(default=10, ge=3, le=12)
    cities: tuple[City, ...] = Field(min_length=1)
    jobs: tuple[Job, ...] = Field(min_length=1)
    commercial_accident_insurance: CommercialAccidentInsurance
    events: tuple[EventDef, ...]
    news: tuple[PolicyNews, ...] = ()
    quiz: tuple[QuizQuestion, ...] = Field(min_length=3)
    real_world: tuple[RealWorldCard, ...] = Field(min_length=1)
    defaults: Defaults

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        city_ids = [c.id for c in self.cities]
        _unique("cities", city_ids)
        _unique("jobs", [j.id for j in self.jobs])
        _unique("events", [e.id for e in self.events])
        _unique("quiz", [q.id for q in self.quiz])
        _unique("news", [n.id for n in self.news])
        _unique("real_world", [r.id for r in self.real_world])
        if self.persona.hukou_city not in city_ids:
            raise ValueError(f"persona.hukou_city {self.persona.hukou_city!r} is not in cities")
        for job in self.jobs:
            if job.city not in city_ids:
                raise ValueError(f"jobs.{job.id}.city {job.city!r} is not in cities")
        if self.defaults.job not in {j.id for j in self.jobs}:
            raise ValueError(f"defaults.job {self.defaults.job!r} is not in jobs")
        missing = REQUIRED_EVENT_KINDS - {e.kind for e in self.events}
        if missing:
            raise ValueError(f"events lack the kinds {sorted(k.value for k in missing)}")
        if self.start_age >= 60:
            raise ValueError("the persona must start before 60 (the game is about working years)")
        return self

    @property
    def start_age(self) -> int:
        return self.start_year - self.persona.birth_year

    def city(self, city_id: str) -> City:
        for city in self.cities:
            if city.id == city_id:
                return city
        raise KeyError(city_id)

    def job(self, job_id: str) -> Job:
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise KeyError(job_id)


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{what}: the id {item!r} is used twice")
        seen.add(item)
