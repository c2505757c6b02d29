"""One life, played round by round: the pure reducer at the heart of the game.

``apply(scenario, state, Decide(round, decisions))`` returns either ``Applied(state, events)`` or a
:class:`RuleViolation` (and the old state stands). No I/O, no clock, no global random: the same
seed and decisions give the same life, and :func:`replay` rebuilds any life from its log.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from game_server.content.schema import City, EventDef, EventKind, Job, Scenario
from game_server.engine import costs, errors, mortality, policy
from game_server.engine.costs import HOURS_INCOME
from game_server.engine.decisions import Decisions, Hours, MedicalChoice, PensionChoice
from game_server.engine.errors import RuleViolation
from game_server.engine.events import (
    Event,
    Happening,
    LifeEnded,
    Moved,
    NewsShown,
    Payer,
    PayingOnEnded,
    PensionOutcome,
    ResidentsPensionStarted,
    ResidentsShort,
    Retired,
    StageClosed,
)
from game_server.engine.rng import uniform
from game_server.engine.state import (
    Ledger,
    LifeState,
    Medical,
    Pensions,
    Phase,
    Stage,
    StageRecord,
)

# --- Game-design constants (not policy: see docs/game-design.md for why these values) ---------

HOURS_ACCIDENT = {Hours.PART_TIME: 0.5, Hours.FULL_TIME: 1.0, Hours.LONG_HOURS: 1.6}
HOURS_HEALTH_WEAR = {Hours.PART_TIME: 0.1, Hours.FULL_TIME: 0.3, Hours.LONG_HOURS: 1.0}
"""Lasting wear a year of work leaves (it lowers the health one can recover to)."""
HOURS_ILLNESS = {Hours.PART_TIME: 1.0, Hours.FULL_TIME: 1.0, Hours.LONG_HOURS: 1.3}
AGE_DECLINE_FROM = 40
AGE_DECLINE_PER_YEAR = 0.8
"""From 40 the health one can recover to falls by 0.8 a year (32 points by 80)."""
RECOVERY_PER_YEAR = 6.0
"""Health lost to an illness or accident comes back over the following years, up to that cap."""
UNTREATED_EXTRA_HEALTH_LOSS = 10
UNTREATED_LASTING_WEAR = 5.0
"""People without cover put off treatment: a serious illness harms them more, and for good."""
DISABILITY_INCOME_FACTOR = 0.7
"""A lasting disability (grade 7 in the game) cuts what one can earn by about a third."""
DISABILITY_EXTRA_HEALTH_LOSS = 15
DISABILITY_LASTING_WEAR = 15.0
MIN_STAGE_YEARS = 3
"""A stage shorter than this makes a round with too little happening."""
MAX_OCCURRENCES = 3
"""At most this many of one kind of event in one stage (a round stays readable)."""

ILLNESS_AGE_FACTORS: tuple[tuple[int, float], ...] = (
    (0, 0.6), (25, 0.8), (35, 1.0), (45, 1.3), (55, 1.9), (65, 2.8), (75, 3.6),
)  # fmt: skip
"""How the chance of illness grows with age, relative to 35–44: the shape of China's yearly
hospitalisation rate by age group in the National Health Services Survey (第六次国家卫生服务统计
调查, 2018: 住院率 rising from about 5% at 15–24 to about 27% at 65 and over); an estimate of the
game, which applies it to every illness event."""

# Draw indices of the counter-based generator reserved for the life itself (events use their
# slot numbers 0..n-1).
DEATH_DRAW_ROUND = 10_000
INCOME_DRAW_SLOT = 10_000

WORK_ONLY_KINDS = frozenset({EventKind.WORK_INJURY, EventKind.DEACTIVATION, EventKind.INCOME_SHOCK})
ILLNESS_KINDS = frozenset({EventKind.MINOR_ILLNESS, EventKind.SERIOUS_ILLNESS})
HEALTH_SPENDING_KINDS = frozenset(
    {EventKind.MINOR_ILLNESS, EventKind.SERIOUS_ILLNESS, EventKind.WORK_INJURY}
)
"""The person's own health bills (a relative's care, paid to another household, is not)."""


def illness_age_factor(age: float) -> float:
    """The relative chance of illness at ``age`` (see ``ILLNESS_AGE_FACTORS``)."""
    factor = ILLNESS_AGE_FACTORS[0][1]
    for start, value in ILLNESS_AGE_FACTORS:
        if age >= start:
            factor = value
    return factor


@dataclass(slots=True, init=False, unsafe_hash=True)
class Decide:
    """The one command: the decisions for round ``round``; it plays that stage of life."""

    round: int
    decisions: Decisions

    def __init__(
        self,
        round: int,
        decisions: Decisions,
    ) -> None:
        self.round = round
        self.decisions = decisions


@dataclass(slots=True, init=False, unsafe_hash=True)
class Applied:
    state: LifeState
    events: tuple[Event, ...]

    def __init__(
        self,
        state: LifeState,
        events: tuple[Event, ...],
    ) -> None:
        self.state = state
        self.events = events


# --- Starting a life ------------------------------------------------------------------------


def retirement_months(scenario: Scenario) -> int:
    """The persona's statutory retirement age in months (never before the game starts)."""
    persona = scenario.persona
    months = policy.statutory_retirement_age_months(persona.retirement_group, persona.birth_year)
    return max(months, (scenario.start_age + 1) * 12)


def drawn_death_age(scenario: Scenario, seed: int) -> int:
    """The age at which the life with ``seed`` ends: one draw of the seed's own generator,
    through the life table of the persona's sex (common to every replay of the life)."""
    draw = uniform(seed, DEATH_DRAW_ROUND, 0, 0)
    return mortality.death_age(scenario.persona.gender, scenario.start_age, scenario.max_age, draw)


def reaches_retirement(scenario: Scenario, seed: int) -> bool:
    """Whether the life with ``seed`` lives past the year of its statutory retirement age."""
    work_end = policy.working_years_end_age(retirement_months(scenario))
    return drawn_death_age(scenario, seed) > work_end


def plan_stages(scenario: Scenario, death_age: int) -> tuple[Stage, ...]:
    """Split the life into at most ``max_rounds`` stages: working stages from the start age to
    the year of the statutory retirement age (or to death), then retirement stages to death."""
    start = scenario.start_age
    work_end = policy.working_years_end_age(retirement_months(scenario))
    working_end = min(work_end, death_age)
    retired_years = max(0, death_age - work_end)
    n_retired = 0 if retired_years == 0 else 1 if retired_years <= 8 else 2
    n_retired = min(n_retired, retired_years, scenario.max_rounds - 1)
    working_years = working_end - start
    n_working = max(1, min(scenario.max_rounds - n_retired, working_years // MIN_STAGE_YEARS))
    stages: list[Stage] = []
    age = start
    for phase, years, count in (
        (Phase.WORKING, working_years, n_working),
        (Phase.RETIRED, retired_years, n_retired),
    ):
        for i in range(count):
            length = years // count + (1 if i < years % count else 0)
            stages.append(Stage(len(stages), age, length, phase))
            age += length
    return tuple(stages)


def new_life(scenario: Scenario, seed: int) -> LifeState:
    """A life at its start: nothing decided yet."""
    persona = scenario.persona
    months = retirement_months(scenario)
    death = drawn_death_age(scenario, seed)
    return LifeState(
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        seed=seed,
        stages=plan_stages(scenario, death),
        retirement_age=months // 12,
        retirement_months=months,
        death_age=death,
        round=0,
        age=scenario.start_age,
        year=scenario.start_year,
        savings=persona.start_savings,
        health=float(persona.start_health),
        health_wear=0.0,
        income_factor=1.0,
        pensions=Pensions(),
        medical=Medical(),
        city=None,
    )


def residents_pension_open(state: LifeState, stage: Stage) -> bool:
    """Whether a person may pay into the residents' pension in ``stage``: from 16 to 60, and after
    60 while short of 15 years, not yet drawing it and already a member with years paid (延缴 and
    补缴, 国发〔2014〕8号; someone who never paid cannot buy fifteen years at 60)."""
    if stage.start_age < policy.RESIDENTS_PENSION_AGE:
        return True
    p = state.pensions
    return (
        p.residents_years + p.employee_years > 0
        and (not p.residents_settled or p.residents_paying_on)
        and p.residents_from_age is None
        and p.employee_monthly == 0
        and not p.paying_on
        and p.residents_years + p.employee_years < policy.RESIDENTS_PENSION_MIN_YEARS
    )


def default_decisions(scenario: Scenario, state: LifeState) -> Decisions:
    """What a player who just taps on decides: the last round's choices where they still apply,
    else the scenario's first-round defaults."""
    stage = state.current_stage
    if not state.history:
        base = Decisions(
            job=scenario.defaults.job,
            hours=Hours(scenario.defaults.hours),
            saving_rate=scenario.defaults.saving_rate,
        )
    else:
        base = state.history[-1].decisions
    if stage is None:
        return base
    if base.pension is PensionChoice.RESIDENTS and not residents_pension_open(state, stage):
        # The residents' scheme is settled: tapping on must stay a valid choice.
        base = Decisions(
            job=base.job,
            hours=base.hours,
            pension=PensionChoice.NONE,
            pension_base_pct=base.pension_base_pct,
            residents_tier=0,
            medical=base.medical,
            accident_insurance=base.accident_insurance,
            saving_rate=base.saving_rate,
            personal_pension=0,
        )
    if stage.phase is Phase.WORKING:
        return base
    # Built field by field, not with dataclasses.replace (it inspects the fields at every call).
    return Decisions(
        job=None,
        hours=Hours.FULL_TIME,
        pension=base.pension,
        pension_base_pct=base.pension_base_pct,
        residents_tier=base.residents_tier,
        medical=base.medical,
        accident_insurance=False,
        saving_rate=base.saving_rate,
        personal_pension=0,
    )


# --- Checking a command ---------------------------------------------------------------------


def check(scenario: Scenario, state: LifeState, command: Decide) -> RuleViolation | None:
    """Why ``command`` cannot be applied to ``state``, or ``None`` if it can."""
    stage = state.current_stage
    if stage is None:
        return RuleViolation(errors.LIFE_OVER, "this life is over")
    if command.round != state.round:
        return RuleViolation(
            errors.ROUND_CLOSED,
            f"round {command.round} is not open; the open round is {state.round}",
            "round",
        )
    d = command.decisions
    if not 0 <= d.saving_rate <= 50:
        return _invalid("saving_rate", "saving_rate must be 0 to 50 percent")
    if stage.phase is Phase.RETIRED:
        return _check_retired(scenario, state, stage, d)
    return _check_working(scenario, state, stage, d)


def _invalid(field: str, message: str) -> RuleViolation:
    return RuleViolation(errors.INVALID_CHOICE, message, field)


def _not_eligible(field: str, message: str) -> RuleViolation:
    return RuleViolation(errors.NOT_ELIGIBLE, message, field)


def _check_residents(
    scenario: Scenario, state: LifeState, stage: Stage, city: City, d: Decisions
) -> RuleViolation | None:
    if d.residents_tier not in city.residents_pension_tiers:
        return _invalid("residents_tier", "choose one of the residents' pension tiers")
    if not residents_pension_open(state, stage):
        return _not_eligible(
            "pension",
            "residents' pension contributions stop at 60, or once 15 years are paid",
        )
    return None


def _check_retired(
    scenario: Scenario, state: LifeState, stage: Stage, d: Decisions
) -> RuleViolation | None:
    if d.job is not None:
        return _invalid("job", "a retired person has no job in the game")
    if d.pension is PensionChoice.RESIDENTS:
        city = scenario.city(state.city or scenario.persona.hukou_city)
        violation = _check_residents(scenario, state, stage, city, d)
        if violation is not None:
            return violation
    if d.accident_insurance:
        return _not_eligible("accident_insurance", "accident insurance is for working years")
    if d.personal_pension:
        return _not_eligible("personal_pension", "the personal pension is paid out at retirement")
    return None


def _check_working(
    scenario: Scenario, state: LifeState, stage: Stage, d: Decisions
) -> RuleViolation | None:
    if d.job is None:
        return _invalid("job", "choose a job for the working years")
    job = _find_job(scenario, d.job)
    if job is None:
        return _invalid("job", f"there is no job {d.job!r} in this scenario")
    city = scenario.city(job.city)
    if d.pension is PensionChoice.EMPLOYEE:
        if not policy.BASE_PCT_MIN <= d.pension_base_pct <= policy.BASE_PCT_MAX:
            return _invalid("pension_base_pct", "the base must be 60% to 300% of the average wage")
        lifted = city.hukou_limit_lifted_year
        year = state.year
        if lifted is not None and year < lifted.value and scenario.persona.hukou_city != city.id:
            return _not_eligible(
                "pension", "before the hukou limit was lifted only local hukou could join here"
            )
    if d.pension is PensionChoice.RESIDENTS:
        violation = _check_residents(scenario, state, stage, city, d)
        if violation is not None:
            return violation
    if not 0 <= d.personal_pension <= policy.PERSONAL_PENSION_YEARLY_CAP:
        return _invalid("personal_pension", "the personal pension takes 0 to 12,000 yuan a year")
    if d.personal_pension and d.pension is PensionChoice.NONE:
        return _not_eligible(
            "personal_pension", "only members of a basic pension scheme can open a personal pension"
        )
    return None


def _find_job(scenario: Scenario, job_id: str) -> Job | None:
    for job in scenario.jobs:
        if job.id == job_id:
            return job
    return None


# --- Applying a command ---------------------------------------------------------------------


def apply(scenario: Scenario, state: LifeState, command: Decide) -> Applied | RuleViolation:
    """Play one stage of life with the given decisions."""
    violation = check(scenario, state, command)
    if violation is not None:
        return violation
    return _StagePlay(scenario, state, command.decisions).run()


def replay(
    scenario: Scenario, seed: int, log: tuple[Decisions, ...] | list[Decisions]
) -> LifeState:
    """Rebuild a life from its seed and decisions; a refused decision in the log is an error."""
    state = new_life(scenario, seed)
    for decisions in log:
        result = apply(scenario, state, Decide(state.round, decisions))
        if isinstance(result, RuleViolation):
            raise ValueError(f"the log does not replay: {result.code}: {result.message}")
        state = result.state
    return state


def play_through(
    scenario: Scenario, seed: int, choose: Callable[[LifeState], Decisions]
) -> LifeState:
    """Play a whole life, asking ``choose(state)`` for each round's decisions."""
    state = new_life(scenario, seed)
    while not state.finished:
        result = apply(scenario, state, Decide(state.round, choose(state)))
        if isinstance(result, RuleViolation):
            raise ValueError(f"{result.code}: {result.message}")
        state = result.state
    return state


class _Drawn:
    """One event drawn for a year of the stage. A plain class, not a dataclass: compiled with
    mypyc its constructor is native code (a dataclass's generated ``__init__`` is not)."""

    __slots__ = ("disabling_draw", "event", "month", "slot", "vehicle_draw", "year_offset")

    def __init__(
        self,
        event: EventDef,
        slot: int,
        year_offset: int,
        month: int,
        disabling_draw: float,
        vehicle_draw: float,
    ) -> None:
        self.event = event
        self.slot = slot
        self.year_offset = year_offset
        self.month = month
        self.disabling_draw = disabling_draw
        self.vehicle_draw = vehicle_draw


_NONE_DRAWN: list[_Drawn] = []
"""A year without events (shared, never changed)."""


def _drawn_order(e: _Drawn) -> int:
    """Events in a stage come by year, month and slot: one integer, no tuple to build (a month
    is below 12 and a slot, an index into the scenario's events, far below 65,536)."""
    return (e.year_offset * 12 + e.month) * 65536 + e.slot


class _StagePlay:
    """The arithmetic of one stage, year by year. Mutable only inside ``run``; it returns a new
    immutable state."""

    def __init__(self, scenario: Scenario, state: LifeState, decisions: Decisions) -> None:
        self.sc = scenario
        self.state = state
        self.d = decisions
        self.stage = state.stages[state.round]
        self.working = self.stage.phase is Phase.WORKING
        self.job = scenario.job(decisions.job) if decisions.job is not None else None
        city_id = self.job.city if self.job else (state.city or scenario.persona.hukou_city)
        self.city: City = scenario.city(city_id)
        self.events: list[Event] = []
        self.savings = state.savings
        self.health = state.health
        self.wear = state.health_wear
        self.income_factor = state.income_factor
        p = state.pensions
        self.employee_years = p.employee_years
        self.index_sum = p.employee_index_sum
        self.employee_account = p.employee_account
        self.years_by_city = dict(p.years_by_city)
        self.city_order = list(p.city_order)
        self.residents_years = p.residents_years
        self.residents_account = p.residents_account
        self.personal_account = p.personal_account
        self.employee_monthly = p.employee_monthly
        self.residents_monthly = p.residents_monthly
        self.residents_from_age = p.residents_from_age
        self.residents_settled = p.residents_settled
        self.residents_paying_on = p.residents_paying_on
        self.account_paid_out = p.account_paid_out
        self.account_monthly = p.account_monthly
        self.paying_on = p.paying_on
        self.minimum_years = p.minimum_years
        m = state.medical
        self.med_last = m.last_choice
        self.med_continuous = m.continuous_years
        self.med_without = m.years_without_cover
        self.med_ever = m.ever_covered
        self.med_employee_years = m.employee_years
        # ledger totals
        self.earnings = 0.0
        self.pension_income = 0.0
        self.lump_sums = 0.0
        self.living = 0.0
        self.contributions = 0.0
        self.spending = 0.0
        self.bills = 0.0
        self.covered = 0.0
        self.years_pension = 0.0
        self.years_medical = 0
        self.years_injury = 0
        self.catastrophic_years = 0
        self.old_age_met = 0.0
        self.poor_years = 0
        self.lowest_savings = self.savings
        self.health_years = 0.0
        self.assistance = 0.0
        self._plan_the_stage()

    def _plan_the_stage(self) -> None:
        """What stays the same every year of the stage, worked out once."""
        d, city, sc, st = self.d, self.city, self.sc, self.state
        household = sc.persona.household_size.value
        self.living_year = costs.living_yearly(sc, city, self.working)
        self.subsistence_year = city.minimum_living_standard_monthly.value * 12 * household
        self.poverty_line_year = self.subsistence_year
        self.income_year = 0.0
        if self.job is not None:
            # A stage's income varies around the job's full-time figure (common random numbers:
            # the draw depends on the seed and the round only).
            spread = self.job.income_spread.value
            draw = uniform(st.seed, self.stage.index, INCOME_DRAW_SLOT, 0)
            self.income_year = (
                self.job.monthly_income_full_time.value * 12 * (1 + spread * (2 * draw - 1))
            )
        self.hours_income = HOURS_INCOME[d.hours]
        self.hours_wear = HOURS_HEALTH_WEAR[d.hours] if self.working else 0.0
        pilot = self.job.injury_pilot_from_year if self.job is not None else None
        self.pilot_from = pilot.value if pilot is not None else None
        # The year of the statutory age is worked (and paid for) up to the month of retirement.
        self.last_work_share = 1.0
        last_working_stage = self.working and (
            self.stage.index + 1 == len(st.stages)
            or st.stages[self.stage.index + 1].phase is Phase.RETIRED
        )
        part = st.retirement_months % 12
        if last_working_stage and self.stage.end_age * 12 > st.retirement_months and part:
            self.last_work_share = part / 12
        self.arrears_months = 0
        if not self.working and st.history and st.history[-1].stage.phase is Phase.WORKING:
            self.arrears_months = (12 - part) % 12
        self.employee_payment: tuple[float, float, float] | None = None
        if self.working and d.pension is PensionChoice.EMPLOYEE:
            self.employee_payment = costs.employee_pension_yearly(city, d.pension_base_pct)
        self.residents_tier = d.residents_tier if d.pension is PensionChoice.RESIDENTS else 0
        local = city.residents_pension_subsidies
        self.residents_subsidy = policy.residents_contribution_subsidy(
            self.residents_tier,
            city.residents_pension_tiers,
            local.by_tier if local is not None else None,
        )
        self.medical_premium = costs.medical_premium_yearly(city, d.medical)
        self.employee_medical_years_needed = city.employee_medical_years_for_retirement.value
        self.accident_premium = (
            costs.accident_premium_yearly(sc) if self.working and d.accident_insurance else None
        )

    # The stage ------------------------------------------------------------------------------

    def run(self) -> Applied:
        st, stage = self.state, self.stage
        if self.working and st.city is not None and st.city != self.city.id:
            self.events.append(Moved(st.city, self.city.id, st.year, self.employee_years))
        self._news()
        if self.arrears_months or (
            not self.working and st.history and st.history[-1].stage.phase is Phase.WORKING
        ):
            self._settle_retirement()
        drawn = self._draw_events()
        waiting = 0
        if self.d.medical is not MedicalChoice.NONE and self.med_last is MedicalChoice.NONE:
            waiting = policy.waiting_period_months(self.med_without)
        # ``drawn`` is in year order: each year takes its run of it.
        first = 0
        for offset in range(stage.years):
            last = first
            while last < len(drawn) and drawn[last].year_offset == offset:
                last += 1
            self._year(offset, drawn[first:last] if last > first else _NONE_DRAWN, waiting)
            first = last
            waiting = max(0, waiting - 12)
        ledger = Ledger(
            earnings=self.earnings,
            pension_income=self.pension_income,
            lump_sums=self.lump_sums,
            living=self.living,
            contributions=self.contributions,
            spending=self.spending,
            bills=self.bills,
            covered=self.covered,
            assistance=self.assistance,
        )
        self.events.append(
            StageClosed(stage.index, stage.start_age, stage.end_age, self.savings, self.health)
        )
        finished = stage.index + 1 >= len(st.stages)
        if finished:
            inherited = max(0.0, self.employee_account + self.residents_account)
            inherited = max(0.0, inherited - self.account_paid_out)
            paid_in = self.employee_years + self.residents_years > 0
            drew = self.employee_monthly > 0 or self.residents_from_age is not None
            before_pension = paid_in and not drew
            self.events.append(LifeEnded(stage.end_age, self.savings, inherited, before_pension))
        record = StageRecord(
            stage=stage,
            decisions=self.d,
            city=self.city.id,
            events=tuple(self.events),
            ledger=ledger,
            savings_end=self.savings,
            health_end=self.health,
            insured_years_pension=self.years_pension,
            insured_years_medical=self.years_medical,
            injury_covered_years=self.years_injury,
            catastrophic_years=self.catastrophic_years,
            old_age_met=self.old_age_met,
            poor_years=self.poor_years,
            lowest_savings=self.lowest_savings,
            health_years=self.health_years,
        )
        # Built field by field, not with dataclasses.replace: replace introspects the fields at
        # every call, a tenth of a stage's time.
        new_state = LifeState(
            scenario_id=st.scenario_id,
            scenario_version=st.scenario_version,
            seed=st.seed,
            stages=st.stages,
            retirement_age=st.retirement_age,
            retirement_months=st.retirement_months,
            death_age=st.death_age,
            round=st.round + 1,
            age=stage.end_age,
            year=st.year + stage.years,
            savings=self.savings,
            health=self.health,
            health_wear=self.wear,
            income_factor=self.income_factor,
            city=self.city.id,
            pensions=Pensions(
                employee_years=self.employee_years,
                employee_index_sum=self.index_sum,
                employee_account=self.employee_account,
                years_by_city=tuple(sorted(self.years_by_city.items())),
                city_order=tuple(self.city_order),
                residents_years=self.residents_years,
                residents_account=self.residents_account,
                personal_account=self.personal_account,
                employee_monthly=self.employee_monthly,
                residents_monthly=self.residents_monthly,
                residents_from_age=self.residents_from_age,
                residents_settled=self.residents_settled,
                residents_paying_on=self.residents_paying_on,
                account_paid_out=self.account_paid_out,
                account_monthly=self.account_monthly,
                paying_on=self.paying_on,
                minimum_years=self.minimum_years,
            ),
            medical=Medical(
                last_choice=self.med_last,
                continuous_years=self.med_continuous,
                years_without_cover=self.med_without,
                ever_covered=self.med_ever,
                employee_years=self.med_employee_years,
            ),
            history=(*st.history, record),
        )
        return Applied(new_state, tuple(self.events))

    def _news(self) -> None:
        first = self.stage.index == 0
        last_year = self.state.year + self.stage.years - 1
        for news in self.sc.news:
            if (first and news.year < self.state.year) or self.state.year <= news.year <= last_year:
                self.events.append(NewsShown(news.id, news.year))

    def _draw_events(self) -> list[_Drawn]:
        """Common random numbers: the draws depend on (seed, round, slot) only; the choices and the
        person's condition set the thresholds they are compared with. One draw sets how many
        times an event comes in the stage (binomial over its years), others when."""
        seed, rnd, years = self.state.seed, self.stage.index, self.stage.years
        start_age = self.stage.start_age
        drawn: list[_Drawn] = []
        for slot, event in enumerate(self.sc.events):
            if event.min_age >= start_age + years or event.max_age < start_age:
                continue
            chance = min(self._yearly_chance(event), 0.95)
            if chance <= 0:
                continue
            count = _binomial_count(uniform(seed, rnd, slot, 0), years, chance, MAX_OCCURRENCES)
            for j in range(count):
                k = 1 + 5 * j
                offset = int(uniform(seed, rnd, slot, k) * years)
                if not event.min_age <= start_age + offset <= event.max_age:
                    continue
                drawn.append(
                    _Drawn(
                        event,
                        slot,
                        offset,
                        int(uniform(seed, rnd, slot, k + 1) * 12),
                        uniform(seed, rnd, slot, k + 2),
                        uniform(seed, rnd, slot, k + 3),
                    )
                )
        drawn.sort(key=_drawn_order)
        return drawn

    def _yearly_chance(self, event: EventDef) -> float:
        base = event.chance_per_year.value
        kind = event.kind
        if kind in WORK_ONLY_KINDS:
            if self.job is None:
                return 0.0
            if kind is EventKind.WORK_INJURY:
                return base * self.job.accident_risk.value * HOURS_ACCIDENT[self.d.hours]
            return base
        if kind in ILLNESS_KINDS:
            mid_age = self.stage.start_age + self.stage.years / 2
            health_factor = 1 + (100 - self.health) / 100
            hours = HOURS_ILLNESS[self.d.hours] if self.working else 1.0
            return base * illness_age_factor(mid_age) * health_factor * hours
        return base

    # One year -------------------------------------------------------------------------------

    def _year(self, offset: int, drawn: list[_Drawn], waiting_months: int) -> None:
        d = self.d
        age = self.stage.start_age + offset
        year = self.state.year + offset
        last = offset == self.stage.years - 1
        work_share = self.last_work_share if last else 1.0
        living = self.living_year
        savings_at_start = self.savings
        gross = self.income_year * (self.hours_income * self.income_factor) * work_share
        if age >= policy.RESIDENTS_PENSION_AGE and not self.residents_settled:
            self._settle_residents(age, year)
        contributions = self._pay_contributions(age, work_share)
        pension_income = self._pension_income(age, year)
        if self.paying_on:
            contributions += self._pay_on(age, year)

        # medical cover this year
        medical = d.medical
        if medical is not MedicalChoice.NONE:
            self.med_continuous += 1
            self.med_without = 0
            self.med_ever = True
            self.years_medical += 1
        else:
            self.med_continuous = 0
            self.med_without += 1
        self.med_last = medical
        injury_pilot = self.pilot_from is not None and year >= self.pilot_from
        if injury_pilot or d.accident_insurance:
            self.years_injury += 1 if self.working else 0

        household_income = gross + pension_income
        poor = savings_at_start <= 0 and household_income < self.poverty_line_year
        loss_months = 0.0
        bills = covered = lump = 0.0
        if drawn:  # most years bring no event: nothing to build for them
            year_bill = _YearBills()
            happened: list[Happening] = []
            for e in drawn:
                h = self._happen(e, year, age, waiting_months, injury_pilot, gross, poor, year_bill)
                happened.append(h)
                bills += h.bill
                covered += h.covered
                lump += h.payout
                if e.event.income_loss_months:
                    loss_months += e.event.income_loss_months
            capacity = policy.capacity_to_pay(household_income, living, self.subsistence_year)
            if policy.is_catastrophic(year_bill.health_out_of_pocket, capacity):
                self.catastrophic_years += 1
                for h in happened:
                    # Built just above and not yet shared: marked in place, not copied.
                    if h.kind in HEALTH_SPENDING_KINDS:
                        h.catastrophic = True
            self.events.extend(happened)
        earnings = gross * (1 - min(loss_months, 12) / 12)
        assistance = 0.0
        available = pension_income - contributions + max(0.0, savings_at_start)
        if not self.working and available < living:
            # Savings used up and a pension too small: an old person cuts spending to what they
            # have, and the minimum living allowance (低保) tops it up to the local line.
            assistance = max(0.0, self.subsistence_year - available)
            living = max(available, self.subsistence_year)
            lump += assistance
        regular = earnings + pension_income - living - contributions
        target = earnings * d.saving_rate / 100
        spending = max(0.0, regular - target) if regular > 0 else 0.0
        self.savings += regular - spending + lump - (bills - covered)
        self.earnings += earnings
        self.pension_income += pension_income
        self.lump_sums += lump
        self.living += living
        self.contributions += contributions
        self.spending += spending
        self.bills += bills
        self.covered += covered
        if not self.working:
            need = self.living_year
            available = pension_income + max(0.0, savings_at_start)
            self.old_age_met += min(1.0, available / need) if need > 0 else 1.0
            if assistance > 0 or (pension_income < self.poverty_line_year and self.savings <= 0):
                self.poor_years += 1
            self.assistance += assistance
        self.lowest_savings = min(self.lowest_savings, self.savings)

        self.wear += self.hours_wear
        cap = 100 - AGE_DECLINE_PER_YEAR * max(0, age + 1 - AGE_DECLINE_FROM) - self.wear
        self.health = max(1.0, min(cap, self.health + RECOVERY_PER_YEAR))
        self.health_years += self.health

    def _pay_contributions(self, age: int, work_share: float) -> float:
        paid = 0.0
        if self.employee_payment is not None:
            payment, to_account, ratio = self.employee_payment
            paid += payment * work_share
            self.employee_account += to_account * work_share
            self.employee_years += work_share
            self.index_sum += ratio * work_share
            city_id = self.city.id
            self.years_by_city[city_id] = self.years_by_city.get(city_id, 0) + work_share
            if not self.city_order or self.city_order[-1] != city_id:
                if city_id in self.city_order:
                    self.city_order.remove(city_id)
                self.city_order.append(city_id)
            self.years_pension += work_share
        elif self.residents_tier and (
            age < policy.RESIDENTS_PENSION_AGE or self.residents_paying_on
        ):
            paid += self.residents_tier
            self.residents_account += self.residents_tier + self.residents_subsidy
            self.residents_years += 1
            self.years_pension += 1
            if self.residents_paying_on:
                self._residents_paid_on(age)
        if self.d.medical is MedicalChoice.RESIDENTS:
            paid += self.medical_premium
        elif self.d.medical is MedicalChoice.EMPLOYEE and (
            self.working or self.med_employee_years < self.employee_medical_years_needed
        ):
            paid += self.medical_premium
            self.med_employee_years += 1
        if self.accident_premium is not None:
            paid += self.accident_premium
        if self.working and self.d.personal_pension:
            paid += self.d.personal_pension * work_share
            self.personal_account += self.d.personal_pension * work_share
        return paid

    def _pension_income(self, age: int, year: int) -> float:
        if self.working:
            # The residents' pension is paid from 60 whether one still works or not.
            if self.residents_from_age is not None and age >= self.residents_from_age:
                self.account_paid_out += self._residents_account_part * 12
                return self.residents_monthly * 12
            return 0.0
        months = 12 + self.arrears_months
        self.arrears_months = 0
        income = self.employee_monthly * months
        if self.employee_monthly:
            self.account_paid_out += self.account_monthly * months
        if self.residents_from_age is not None and age >= self.residents_from_age:
            income += self.residents_monthly * 12
            self.account_paid_out += self._residents_account_part * 12
        return income

    @property
    def _residents_account_part(self) -> float:
        return self.residents_account / policy.RESIDENTS_ACCOUNT_DIVISOR

    # One event ------------------------------------------------------------------------------

    def _happen(
        self,
        e: _Drawn,
        year: int,
        age: int,
        waiting_months: int,
        injury_pilot: bool,
        gross: float,
        poor: bool,
        year_bill: _YearBills,
    ) -> Happening:
        ev, kind = e.event, e.event.kind
        cost = ev.cost.value if ev.cost is not None else 0.0
        lost = gross * ev.income_loss_months / 12
        if kind is EventKind.WINDFALL:
            return Happening(ev.id, kind, year, age, e.month, payout=cost, income_lost=lost)
        if kind in (EventKind.DEACTIVATION, EventKind.INCOME_SHOCK):
            return Happening(ev.id, kind, year, age, e.month, income_lost=lost)
        if kind is EventKind.FAMILY_CARE:
            self.health = max(1.0, self.health - ev.health_loss)
            return Happening(ev.id, kind, year, age, e.month, bill=cost, income_lost=lost)

        paid_by: list[tuple[Payer, float]] = []
        remaining = cost
        payout = 0.0
        injury = kind is EventKind.WORK_INJURY
        disabled = injury and e.disabling_draw < ev.disabling_chance
        vehicle = injury and e.vehicle_draw < ev.motor_vehicle_liable_chance
        in_waiting = False
        employer_owed = False
        if vehicle:
            share = min(remaining, policy.MOTOR_COMPULSORY_MEDICAL_CAP)
            paid_by.append(("motor_compulsory", share))
            remaining -= share
            payout += policy.motor_compulsory_disability(disabled)
        if injury:
            payer = self._injury_payer(injury_pilot)
            if payer is not None:
                if remaining > 0:
                    paid_by.append((payer, remaining))
                    remaining = 0.0
                employer_owed = payer == "employer"
                if disabled:
                    payout += policy.injury_disability_benefit(self.city.average_wage_monthly.value)
        if remaining > 0 and self.d.medical is not MedicalChoice.NONE:
            if e.month < waiting_months:
                in_waiting = True
            else:
                remaining = self._medical_pays(kind, remaining, poor, year_bill, paid_by)
        if injury and self.d.accident_insurance:
            insurance = self.sc.commercial_accident_insurance
            share = min(remaining, insurance.medical_cap.value)
            if share > 0:
                paid_by.append(("commercial_accident", share))
                remaining -= share
            if disabled:
                payout += insurance.disability_payout.value
        covered = cost - remaining
        year_bill.health_out_of_pocket += remaining
        loss = ev.health_loss
        if kind is EventKind.SERIOUS_ILLNESS and covered == 0:
            loss += UNTREATED_EXTRA_HEALTH_LOSS
            self.wear += UNTREATED_LASTING_WEAR
        if disabled:
            loss += DISABILITY_EXTRA_HEALTH_LOSS
            self.wear += DISABILITY_LASTING_WEAR
            self.income_factor *= DISABILITY_INCOME_FACTOR
        self.health = max(1.0, self.health - loss)
        return Happening(
            ev.id,
            kind,
            year,
            age,
            e.month,
            bill=cost,
            covered=covered,
            paid_by=tuple(paid_by),
            income_lost=lost,
            payout=payout,
            disabled=disabled,
            waiting_period=in_waiting,
            vehicle_liable=vehicle,
            employer_owed=employer_owed,
        )

    def _injury_payer(self, injury_pilot: bool) -> Payer | None:
        """Who pays a work injury's costs: the occupational-injury pilot for platform work in the
        pilot; for an employee, the work-injury fund where a construction project insured the
        site or the employer enrolled them, else the employer (工伤保险条例 art. 62)."""
        if injury_pilot:
            return "injury_pilot"
        employer = self.job.employer if self.job is not None else None
        if employer is None:
            return None
        if employer.enrols or employer.injury_by_project:
            return "work_injury_fund"
        return "employer"

    def _medical_pays(
        self,
        kind: EventKind,
        remaining: float,
        poor: bool,
        year_bill: _YearBills,
        paid_by: list[tuple[Payer, float]],
    ) -> float:
        """Basic medical insurance, then (residents) critical-illness insurance, then medical
        assistance for a person in poverty: what is left to pay."""
        residents = self.d.medical is MedicalChoice.RESIDENTS
        plan = self.city.residents_medical if residents else self.city.employee_medical
        minor = kind is EventKind.MINOR_ILLNESS
        rate = plan.outpatient_rate.value if minor else plan.inpatient_rate.value
        share = min(remaining * rate, max(0.0, plan.annual_cap.value - year_bill.basic_paid))
        if share > 0:
            paid_by.append(("residents_medical" if residents else "employee_medical", share))
            remaining -= share
            year_bill.basic_paid += share
        if residents and kind is EventKind.SERIOUS_ILLNESS and remaining > 0:
            ci = self.city.critical_illness
            cap = ci.cap.value + policy.continuity_cap_bonus(self.med_continuous, ci.cap.value)
            year_bill.left_after_basic += remaining
            extra = policy.critical_illness_payment(
                year_bill.left_after_basic,
                year_bill.critical_paid,
                ci.threshold.value,
                ci.rate.value,
                cap,
            )
            extra = min(extra, remaining)
            if extra > 0:
                paid_by.append(("critical_illness", extra))
                remaining -= extra
                year_bill.critical_paid += extra
        if poor and remaining > 0:
            ma = self.city.medical_assistance
            help_ = policy.medical_assistance_payment(
                remaining, ma.rate.value, ma.yearly_cap.value - year_bill.assistance_paid
            )
            if help_ > 0:
                paid_by.append(("medical_assistance", help_))
                remaining -= help_
                year_bill.assistance_paid += help_
        return remaining

    # Retirement -----------------------------------------------------------------------------

    def _settle_retirement(self) -> None:
        """At the statutory age the employees' pension is settled. Short of the minimum years, a
        player who chose to keep the employees' pension makes them up: in one sum if savings
        allow, else by paying on year by year after the retirement age (the 2024-09-13 decision,
        art. 2, allows both). Otherwise the employees' years move to the residents' pension
        (社会保险法 art. 16; 城乡养老保险制度衔接暂行办法, 人社部发〔2014〕17号), settled at 60."""
        retire_year = policy.retirement_year(
            self.sc.persona.birth_year, self.state.retirement_months
        )
        age = self.stage.start_age
        minimum = policy.minimum_contribution_years(retire_year)
        self.minimum_years = minimum
        claim = self._claim_city()
        personal = self.personal_account * (1 - policy.PERSONAL_PENSION_PAYOUT_TAX)
        self.personal_account = 0.0
        self.savings += personal
        self.lump_sums += personal
        made_up = cost = 0.0
        if 0 < self.employee_years < minimum and self.d.pension is PensionChoice.EMPLOYEE:
            missing = minimum - self.employee_years
            cost = policy.make_up_cost(missing, claim.pension_base_floor.value)
            if self.savings >= cost:
                self.savings -= cost
                self.contributions += cost
                self._add_floor_years(claim, missing)
                made_up = missing
            else:
                cost = 0.0
                self.paying_on = True
        claim_city = claim.id if self.employee_years > 0 else None
        years_paid = self.employee_years
        if self.paying_on:
            outcome: PensionOutcome = "paying_on"
            employee_monthly = 0.0
        else:
            outcome, employee_monthly = self._claim(self.state.retirement_age, age)
        if outcome != "employee_pension":
            self.arrears_months = 0
        self.events.append(
            Retired(
                age=self.state.retirement_age,
                year=retire_year,
                minimum_years=minimum,
                employee_years=years_paid,
                made_up_years=made_up,
                make_up_cost=cost,
                claim_city=claim_city,
                outcome=outcome,
                employee_monthly=employee_monthly,
                personal_pension_payout=personal,
                months=self.state.retirement_months % 12,
            )
        )

    def _claim_city(self) -> City:
        hukou = self.sc.persona.hukou_city
        return self.sc.city(policy.pension_claim_city(hukou, self.years_by_city, self.city_order))

    def _add_floor_years(self, claim: City, years: float) -> None:
        floor = claim.pension_base_floor.value
        self.employee_account += years * 12 * floor * policy.INDIVIDUAL_ACCOUNT_RATE
        self.index_sum += years * floor / claim.average_wage_monthly.value
        self.employee_years += years
        self.years_by_city[claim.id] = self.years_by_city.get(claim.id, 0) + years

    def _claim(self, claim_age: int, age: int) -> tuple[PensionOutcome, float]:
        """Claim the employees' pension from ``claim_age`` (the account is divided by that age's
        months, 国发〔2005〕38号) if the minimum years are reached; else the years and the account
        move to the residents' scheme, which pays from 60 after 15 years in all. ``age`` is the
        age now."""
        if self.employee_years > 0 and self.employee_years >= self.minimum_years:
            claim = self._claim_city()
            account = self.employee_account + self.residents_account
            self.account_monthly = policy.monthly_account_pension(account, claim_age)
            formula_wage = claim.pension_formula_wage_monthly or claim.average_wage_monthly
            self.employee_monthly = (
                policy.monthly_basic_pension(
                    formula_wage.value,
                    self.index_sum / self.employee_years,
                    self.employee_years,
                )
                + self.account_monthly
            )
            self.employee_account = account
            self.residents_account = 0.0
            self.residents_settled = True
            return "employee_pension", self.employee_monthly
        if self.employee_years > 0:
            # 人社部发〔2014〕17号: moving to the residents' scheme, the years count and the whole
            # account moves with them.
            self.residents_years += self.employee_years
            self.residents_account += self.employee_account
            self.employee_years = 0.0
            self.employee_account = 0.0
            self.index_sum = 0.0
            if age >= policy.RESIDENTS_PENSION_AGE:
                self.residents_settled = False
                self._settle_residents(age, self.state.year + (age - self.state.age))
            return "to_residents", 0.0
        return "nothing", 0.0

    def _settle_residents(self, age: int, year: int) -> None:
        """At 60 the residents' pension is settled (国发〔2014〕8号): with 15 years in all it
        starts; short of 15, a player who keeps paying makes up the missing years in one sum at the
        lowest tier if savings allow (补缴), else pays on year by year (延缴); otherwise there is
        no residents' pension and the account goes to the family. Someone still in the employees'
        scheme is settled there first (at the statutory age)."""
        if self.employee_monthly > 0:
            self.residents_settled = True  # the residents' account joined the employees' pension
            return
        if self.paying_on or (self.employee_years > 0 and self.working):
            return  # the employees' scheme settles first, at the statutory age
        self.residents_settled = True
        years = self.residents_years
        minimum = policy.RESIDENTS_PENSION_MIN_YEARS
        if years >= minimum:
            self._start_residents(age, year, 0, 0.0)
            return
        if self.d.pension is not PensionChoice.RESIDENTS:
            if years > 0:
                self.events.append(
                    ResidentsShort(age, year, int(years), self.residents_account, False)
                )
            return
        missing = math.ceil(minimum - years)
        lowest = self.city.residents_pension_tiers[0]
        cost = policy.residents_make_up_cost(missing, lowest)
        if self.savings >= cost:
            self.savings -= cost
            self.contributions += cost
            self.residents_years += missing
            self.residents_account += cost
            self._start_residents(age, year, missing, cost)
            return
        self.residents_paying_on = True
        self.events.append(ResidentsShort(age, year, int(years), self.residents_account, True))

    def _residents_paid_on(self, age: int) -> None:
        if self.residents_years >= policy.RESIDENTS_PENSION_MIN_YEARS:
            self.residents_paying_on = False
            self._start_residents(age + 1, self.state.year + (age + 1 - self.state.age), 0, 0.0)

    def _start_residents(self, age: int, year: int, made_up: int, cost: float) -> None:
        hukou = self.sc.city(self.sc.persona.hukou_city)
        self.residents_from_age = age
        self.residents_monthly = policy.monthly_residents_pension(
            hukou.residents_pension_basic_monthly.value, self.residents_account
        )
        self.events.append(
            ResidentsPensionStarted(
                age, year, self.residents_monthly, int(self.residents_years), made_up, cost
            )
        )

    def _pay_on(self, age: int, year: int) -> float:
        """A year of paying on after the retirement age (延长缴费) at the floor base, while the
        player keeps choosing it (borrowing if savings run out, as many families do); when the
        minimum is reached the pension starts. Choosing to stop settles the pension as it is:
        the years move to the residents' scheme (paid from 60 after 15 years in all)."""
        paid = 0.0
        if self.d.pension is PensionChoice.EMPLOYEE:
            claim = self._claim_city()
            years = min(1.0, self.minimum_years - self.employee_years)
            paid = years * 12 * claim.pension_base_floor.value * policy.FLEXIBLE_PENSION_RATE
            self._add_floor_years(claim, years)
            if self.employee_years < self.minimum_years:
                return paid
        self.paying_on = False
        outcome, monthly = self._claim(age + 1, age + 1)
        self.events.append(PayingOnEnded(age + 1, year + 1, outcome, monthly))
        return paid


class _YearBills:
    """What insurance paid and what is left, summed over one year's bills (caps are yearly)."""

    __slots__ = (
        "assistance_paid",
        "basic_paid",
        "critical_paid",
        "health_out_of_pocket",
        "left_after_basic",
    )

    def __init__(self) -> None:
        self.basic_paid = 0.0
        self.left_after_basic = 0.0
        self.critical_paid = 0.0
        self.assistance_paid = 0.0
        self.health_out_of_pocket = 0.0


def _binomial_count(draw: float, years: int, chance: float, most: int) -> int:
    """How many of ``years`` independent years with ``chance`` each bring the event, by
    inverting the binomial distribution at ``draw`` (at most ``most``)."""
    if draw >= 1 - (1 - chance) ** years:
        return 0
    q = 1.0 - chance
    p_k = q**years
    cumulative = p_k
    k = 0
    while k < most and draw >= cumulative:
        p_k *= (years - k) / (k + 1) * chance / q
        k += 1
        cumulative += p_k
    return max(1, k)
