"""One life, played round by round: the pure reducer at the heart of the game.

``apply(scenario, state, Decide(round, decisions))`` returns either ``Applied(state, events)`` or a
:class:`RuleViolation` (and the old state stands). No I/O, no clock, no global random: the same
seed and decisions give the same life, and :func:`replay` rebuilds any life from its log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from game_server.content.schema import City, EventDef, EventKind, Job, Scenario
from game_server.engine import errors, policy
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

HOURS_INCOME = {Hours.PART_TIME: 0.55, Hours.FULL_TIME: 1.0, Hours.LONG_HOURS: 1.3}
HOURS_ACCIDENT = {Hours.PART_TIME: 0.5, Hours.FULL_TIME: 1.0, Hours.LONG_HOURS: 1.6}
HOURS_HEALTH_WEAR = {Hours.PART_TIME: 0.1, Hours.FULL_TIME: 0.3, Hours.LONG_HOURS: 1.0}
"""Lasting wear a year of work leaves (it lowers the health one can recover to)."""
HOURS_ILLNESS = {Hours.PART_TIME: 1.0, Hours.FULL_TIME: 1.0, Hours.LONG_HOURS: 1.3}
RETIRED_LIVING_SHARE = 0.8
"""Living costs fall in retirement (no commuting, no work costs)."""
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
RETIREMENT_STAGES = 2
MIN_STAGE_YEARS = 3
"""A stage shorter than this makes a round with too little happening."""

WORK_ONLY_KINDS = frozenset({EventKind.WORK_INJURY, EventKind.DEACTIVATION, EventKind.INCOME_SHOCK})
ILLNESS_KINDS = frozenset({EventKind.MINOR_ILLNESS, EventKind.SERIOUS_ILLNESS})


@dataclass(frozen=True, slots=True)
class Decide:
    """The one command: the decisions for round ``round``; it plays that stage of life."""

    round: int
    decisions: Decisions


@dataclass(frozen=True, slots=True)
class Applied:
    state: LifeState
    events: tuple[Event, ...]


# --- Starting a life ------------------------------------------------------------------------


def plan_stages(scenario: Scenario) -> tuple[Stage, ...]:
    """Split the life into at most ``max_rounds`` stages: working stages from the start age to the
    statutory retirement age, then retirement stages to ``end_age``."""
    persona = scenario.persona
    retire_age = policy.statutory_retirement_age(persona.retirement_group, persona.birth_year)
    start = scenario.start_age
    retire_age = max(retire_age, start + 1)
    end = max(scenario.end_age, retire_age + 1)
    retired_years = end - retire_age
    n_retired = min(RETIREMENT_STAGES, retired_years)
    working_years = retire_age - start
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
    return LifeState(
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        seed=seed,
        stages=plan_stages(scenario),
        retirement_age=max(
            policy.statutory_retirement_age(persona.retirement_group, persona.birth_year),
            scenario.start_age + 1,
        ),
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
    if stage is None or stage.phase is Phase.WORKING:
        if (
            base.pension is PensionChoice.RESIDENTS
            and stage is not None
            and stage.start_age >= policy.RESIDENTS_PENSION_AGE
        ):
            # Residents' contributions stop at 60: tapping on must stay a valid choice.
            return replace(base, pension=PensionChoice.NONE, residents_tier=0, personal_pension=0)
        return base
    pension = base.pension if base.pension is PensionChoice.EMPLOYEE else PensionChoice.NONE
    return replace(
        base,
        job=None,
        hours=Hours.FULL_TIME,
        pension=pension,
        residents_tier=0,
        accident_insurance=False,
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
        return _check_retired(d)
    return _check_working(scenario, state, stage, d)


def _invalid(field: str, message: str) -> RuleViolation:
    return RuleViolation(errors.INVALID_CHOICE, message, field)


def _not_eligible(field: str, message: str) -> RuleViolation:
    return RuleViolation(errors.NOT_ELIGIBLE, message, field)


def _check_retired(d: Decisions) -> RuleViolation | None:
    if d.job is not None:
        return _invalid("job", "a retired person has no job in the game")
    if d.pension is PensionChoice.RESIDENTS:
        return _not_eligible("pension", "pensions are settled at retirement")
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
        if d.residents_tier not in city.residents_pension_tiers:
            return _invalid("residents_tier", "choose one of the residents' pension tiers")
        if stage.start_age >= policy.RESIDENTS_PENSION_AGE:
            return _not_eligible("pension", "residents' pension contributions stop at 60")
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


@dataclass(slots=True)
class _Drawn:
    event: EventDef
    slot: int
    year_offset: int
    month: int
    disabling_draw: float


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
        self.years_pension = 0
        self.years_medical = 0
        self.years_injury = 0
        self._plan_the_stage()

    def _plan_the_stage(self) -> None:
        """What stays the same every year of the stage, worked out once."""
        d, city, sc = self.d, self.city, self.sc
        living = city.living_cost_monthly.value * 12 * sc.persona.household_size.value
        if not self.working:
            living *= RETIRED_LIVING_SHARE
        self.living_year = living
        self.income_year = (
            self.job.monthly_income_full_time.value * 12 if self.job is not None else 0.0
        )
        self.hours_income = HOURS_INCOME[d.hours]
        self.hours_wear = HOURS_HEALTH_WEAR[d.hours] if self.working else 0.0
        pilot = self.job.injury_pilot_from_year if self.job is not None else None
        self.pilot_from = pilot.value if pilot is not None else None
        self.employee_payment: tuple[float, float, float] | None = None
        if self.working and d.pension is PensionChoice.EMPLOYEE:
            avg = city.average_wage_monthly.value
            base = policy.contribution_base(
                d.pension_base_pct, avg, city.pension_base_floor.value,
                city.pension_base_ceiling.value,
            )  # fmt: skip
            payment, to_account = policy.yearly_flexible_contribution(base)
            self.employee_payment = (payment, to_account, base / avg)
        self.residents_payment = (
            d.residents_tier if self.working and d.pension is PensionChoice.RESIDENTS else None
        )
        self.medical_premium = 0.0
        if d.medical is MedicalChoice.RESIDENTS:
            self.medical_premium = city.residents_medical_premium_yearly.value
        elif d.medical is MedicalChoice.EMPLOYEE:
            self.medical_premium = (
                city.employee_medical_rate.value * city.pension_base_floor.value * 12
            )
        self.employee_medical_years_needed = city.employee_medical_years_for_retirement.value
        self.accident_premium = (
            sc.commercial_accident_insurance.premium_yearly.value
            if self.working and d.accident_insurance
            else None
        )

    # The stage ------------------------------------------------------------------------------

    def run(self) -> Applied:
        st, stage = self.state, self.stage
        if self.working and st.city is not None and st.city != self.city.id:
            self.events.append(Moved(st.city, self.city.id, st.year, self.employee_years))
        self._news()
        if not self.working and st.history and st.history[-1].stage.phase is Phase.WORKING:
            self._settle_retirement()
        drawn = self._draw_events()
        waiting = 0
        if self.d.medical is not MedicalChoice.NONE and self.med_last is MedicalChoice.NONE:
            waiting = policy.waiting_period_months(self.med_without)
        for offset in range(stage.years):
            self._year(offset, [e for e in drawn if e.year_offset == offset], waiting)
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
        )
        self.events.append(
            StageClosed(stage.index, stage.start_age, stage.end_age, self.savings, self.health)
        )
        finished = stage.index + 1 >= len(st.stages)
        if finished:
            self.events.append(LifeEnded(stage.end_age, self.savings))
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
        )
        new_state = replace(
            st,
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
        person's condition set the thresholds they are compared with."""
        seed, rnd, years = self.state.seed, self.stage.index, self.stage.years
        drawn: list[_Drawn] = []
        for slot, event in enumerate(self.sc.events):
            chance = self._yearly_chance(event)
            if chance <= 0:
                continue
            if uniform(seed, rnd, slot, 0) >= 1 - (1 - min(chance, 0.95)) ** years:
                continue
            drawn.append(
                _Drawn(
                    event,
                    slot,
                    int(uniform(seed, rnd, slot, 1) * years),
                    int(uniform(seed, rnd, slot, 2) * 12),
                    uniform(seed, rnd, slot, 3),
                )
            )
        drawn.sort(key=lambda e: (e.year_offset, e.month, e.slot))
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
            age_factor = 1 + max(0.0, mid_age - 40) / 20
            health_factor = 1 + (100 - self.health) / 100
            hours = HOURS_ILLNESS[self.d.hours] if self.working else 1.0
            return base * age_factor * health_factor * hours
        return base

    # One year -------------------------------------------------------------------------------

    def _year(self, offset: int, drawn: list[_Drawn], waiting_months: int) -> None:
        d = self.d
        age = self.stage.start_age + offset
        year = self.state.year + offset
        living = self.living_year
        gross = self.income_year * (self.hours_income * self.income_factor)
        contributions = self._pay_contributions(age)
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

        capacity = max(gross or pension_income, living)
        loss_months = 0.0
        bills = covered = lump = 0.0
        for e in drawn:
            h = self._happen(e, year, age, waiting_months, injury_pilot, gross, capacity)
            self.events.append(h)
            bills += h.bill
            covered += h.covered
            lump += h.payout
            if e.event.income_loss_months:
                loss_months += e.event.income_loss_months
        earnings = gross * (1 - min(loss_months, 12) / 12)
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

        self.wear += self.hours_wear
        cap = 100 - AGE_DECLINE_PER_YEAR * max(0, age + 1 - AGE_DECLINE_FROM) - self.wear
        self.health = max(1.0, min(cap, self.health + RECOVERY_PER_YEAR))

    def _pay_contributions(self, age: int) -> float:
        paid = 0.0
        if self.employee_payment is not None:
            payment, to_account, ratio = self.employee_payment
            paid += payment
            self.employee_account += to_account
            self.employee_years += 1
            self.index_sum += ratio
            city_id = self.city.id
            self.years_by_city[city_id] = self.years_by_city.get(city_id, 0) + 1
            if not self.city_order or self.city_order[-1] != city_id:
                if city_id in self.city_order:
                    self.city_order.remove(city_id)
                self.city_order.append(city_id)
            self.years_pension += 1
        elif self.residents_payment is not None and age < policy.RESIDENTS_PENSION_AGE:
            paid += self.residents_payment
            self.residents_account += self.residents_payment
            self.residents_years += 1
            self.years_pension += 1
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
            paid += self.d.personal_pension
            self.personal_account += self.d.personal_pension
        return paid

    def _pension_income(self, age: int, year: int) -> float:
        if self.working:
            return 0.0
        income = self.employee_monthly * 12
        if self.residents_from_age is not None and age >= self.residents_from_age:
            if age == self.residents_from_age:
                self.events.append(
                    ResidentsPensionStarted(age, year, self.residents_monthly, self.residents_years)
                )
            income += self.residents_monthly * 12
        return income

    # One event ------------------------------------------------------------------------------

    def _happen(
        self,
        e: _Drawn,
        year: int,
        age: int,
        waiting_months: int,
        injury_pilot: bool,
        gross: float,
        capacity: float,
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
        disabled = kind is EventKind.WORK_INJURY and e.disabling_draw < ev.disabling_chance
        in_waiting = False
        if kind is EventKind.WORK_INJURY and injury_pilot:
            paid_by.append(("injury_pilot", remaining))
            remaining = 0.0
            if disabled:
                payout += policy.injury_disability_benefit(self.city.average_wage_monthly.value)
        if remaining > 0 and self.d.medical is not MedicalChoice.NONE:
            if e.month < waiting_months:
                in_waiting = True
            else:
                plan = (
                    self.city.employee_medical
                    if self.d.medical is MedicalChoice.EMPLOYEE
                    else self.city.residents_medical
                )
                rate = (
                    plan.outpatient_rate.value
                    if kind is EventKind.MINOR_ILLNESS
                    else plan.inpatient_rate.value
                )
                cap = plan.annual_cap.value
                cap += policy.continuity_cap_bonus(self.med_continuous, cap)
                share = min(remaining * rate, cap)
                payer: Payer = (
                    "employee_medical"
                    if self.d.medical is MedicalChoice.EMPLOYEE
                    else "residents_medical"
                )
                paid_by.append((payer, share))
                remaining -= share
        if kind is EventKind.WORK_INJURY and self.d.accident_insurance:
            insurance = self.sc.commercial_accident_insurance
            share = min(remaining, insurance.medical_cap.value)
            if share > 0:
                paid_by.append(("commercial_accident", share))
                remaining -= share
            if disabled:
                payout += insurance.disability_payout.value
        covered = cost - remaining
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
            catastrophic=remaining >= policy.CATASTROPHIC_SHARE * capacity,
        )

    # Retirement -----------------------------------------------------------------------------

    def _settle_retirement(self) -> None:
        """At the statutory age the pensions are settled. Short of the minimum years, a player who
        chose to keep the employees' pension makes them up: in one sum if savings allow, else by
        paying on year by year after the retirement age (the 2024-09-13 decision, art. 2, allows
        both). Otherwise the employees' years join the residents' pension if together they reach
        15 (城乡养老保险制度衔接暂行办法, 人社部发〔2014〕17号), or the accounts are paid out."""
        year = self.state.year
        age = self.stage.start_age
        minimum = policy.minimum_contribution_years(year)
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
        if self.paying_on:
            outcome: PensionOutcome = "paying_on"
            employee_monthly = lump = 0.0
        else:
            outcome, employee_monthly, lump = self._claim(age)
        self.events.append(
            Retired(
                age=age,
                year=year,
                minimum_years=minimum,
                employee_years=self.employee_years,
                made_up_years=made_up,
                make_up_cost=cost,
                claim_city=claim.id if self.employee_years > 0 else None,
                outcome=outcome,
                employee_monthly=employee_monthly,
                lump_sum=lump,
                personal_pension_payout=personal,
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

    def _claim(self, age: int) -> tuple[PensionOutcome, float, float]:
        """Claim the pension at ``age``: the outcome, the employees' pension a month, and the lump
        sum paid out when no monthly pension is reached."""
        lump = 0.0
        total_years = self.employee_years + self.residents_years
        outcome: PensionOutcome
        if self.employee_years > 0 and self.employee_years >= self.minimum_years:
            outcome = "employee_pension"
            claim = self._claim_city()
            account = self.employee_account + self.residents_account
            self.employee_monthly = policy.monthly_basic_pension(
                claim.average_wage_monthly.value,
                self.index_sum / self.employee_years,
                self.employee_years,
            ) + policy.monthly_account_pension(account, age)
            self.employee_account = account
            self.residents_account = 0.0
        elif total_years >= policy.RESIDENTS_PENSION_MIN_YEARS:
            outcome = "residents_pension"
            hukou = self.sc.city(self.sc.persona.hukou_city)
            self.residents_account += self.employee_account
            self.residents_years = int(total_years)
            self.employee_account = 0.0
            self.residents_from_age = max(policy.RESIDENTS_PENSION_AGE, age)
            self.residents_monthly = policy.monthly_residents_pension(
                hukou.residents_pension_basic_monthly.value, self.residents_account
            )
        else:
            lump = self.employee_account + self.residents_account
            outcome = "lump_sum" if lump > 0 else "nothing"
            self.employee_account = self.residents_account = 0.0
            self.savings += lump
            self.lump_sums += lump
        return outcome, self.employee_monthly, lump

    def _pay_on(self, age: int, year: int) -> float:
        """A year of paying on after the retirement age (延长缴费) at the floor base, while the
        player keeps choosing it (borrowing if savings run out, as many families do); when the
        minimum is reached the pension starts. Choosing to stop settles the pension as it is:
        the residents' pension if the years reach 15 together, else the accounts paid out."""
        paid = 0.0
        if self.d.pension is PensionChoice.EMPLOYEE:
            claim = self._claim_city()
            years = min(1.0, self.minimum_years - self.employee_years)
            paid = years * 12 * claim.pension_base_floor.value * policy.FLEXIBLE_PENSION_RATE
            self._add_floor_years(claim, years)
            if self.employee_years < self.minimum_years:
                return paid
        self.paying_on = False
        outcome, monthly, lump = self._claim(age + 1)
        self.events.append(PayingOnEnded(age + 1, year + 1, outcome, monthly, lump))
        return paid
