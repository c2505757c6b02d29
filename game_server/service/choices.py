"""The options a player may take in the open round, as the engine's own rules say.

The phone draws one card per decision and shows only the options that are open to this person
now. Rather than copy an eligibility rule here (or into the page), each candidate option is put
into the round's default decisions and handed to :func:`game_server.engine.life.check`: an
option is open when the engine accepts it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from game_server.content.schema import City, Scenario
from game_server.engine import (
    Decide,
    Decisions,
    LifeState,
    MedicalChoice,
    PensionChoice,
    Phase,
    costs,
    default_decisions,
    policy,
)
from game_server.engine.decisions import Hours
from game_server.engine.life import check, residents_pension_open

SAVING_RATES = (0, 10, 20, 30, 40, 50)
BASE_LEVELS = (60, 80, 100, 150, 200, 300)
"""The employees' pension base levels the phone offers (% of the average wage; 60: the floor)."""
PERSONAL_PENSION_YEARLY = (0, 1000, 3000, 6000, 12000)
"""The amounts the phone offers (the engine takes any amount within its cap)."""


_MEMO: dict[tuple[Any, ...], tuple[Scenario, dict[str, Any]]] = {}
_MEMO_MAX = 4096


def round_options(scenario: Scenario, state: LifeState) -> dict[str, Any] | None:
    """What is open in the current round, or ``None`` when the life is over. The result is
    shared between lives that the rules cannot tell apart (read it, never change it): the
    engine's check depends on the scenario, the stage, the year, the city, whether the
    residents' scheme is open to this person, and the round's default decisions — computed once
    for all of them (a 2,000-player room's close asks the same question 2,000 times)."""
    stage = state.current_stage
    if stage is None:
        return None
    base = default_decisions(scenario, state)
    key = (
        scenario.id,
        scenario.version,
        stage,
        state.year,
        state.city,
        residents_pension_open(state, stage),
        base,
    )
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is scenario:
        return hit[1]
    out = _round_options(scenario, state, base)
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[key] = (scenario, out)
    return out


def _round_options(scenario: Scenario, state: LifeState, base: Decisions) -> dict[str, Any]:
    stage = state.current_stage
    assert stage is not None

    def ok(d: Decisions) -> bool:
        return check(scenario, state, Decide(state.round, d)) is None

    # Medical and saving choices with a pension that needs nothing else (no personal pension).
    plain = replace(base, personal_pension=0)
    out: dict[str, Any] = {
        "medical": [m.value for m in MedicalChoice if ok(replace(plain, medical=m))],
        "saving_rate": [r for r in SAVING_RATES if ok(replace(plain, saving_rate=r))],
    }
    if stage.phase is Phase.RETIRED:
        out["pension"] = [
            p.value
            for p in (PensionChoice.NONE, PensionChoice.EMPLOYEE)
            if ok(replace(plain, pension=p, residents_tier=0))
        ]
        # A member of the residents' scheme pays to 60, and past 60 while short of 15 years.
        here = scenario.city(state.city or scenario.persona.hukou_city)
        tiers = [
            t
            for t in here.residents_pension_tiers
            if ok(replace(plain, pension=PensionChoice.RESIDENTS, residents_tier=t))
        ]
        if tiers:
            out["pension"].append(PensionChoice.RESIDENTS.value)
        out["residents_tiers"] = tiers
        out["prices"] = _prices(scenario, [here], False)
        if state.pensions.employee_years > 0:
            retirement_year = state.year + state.retirement_age - state.age
            minimum = policy.minimum_contribution_years(retirement_year)
            short = max(0.0, minimum - state.pensions.employee_years)
            out["prices"]["make_up"] = round(
                policy.make_up_cost(short, here.pension_base_floor.value)
            )
        return out
    jobs: dict[str, Any] = {}
    for job in scenario.jobs:
        at_job = replace(plain, job=job.id, pension=PensionChoice.NONE, residents_tier=0)
        if not ok(at_job):
            continue
        tiers = [
            t
            for t in scenario.city(job.city).residents_pension_tiers
            if ok(replace(at_job, pension=PensionChoice.RESIDENTS, residents_tier=t))
        ]
        employee = replace(at_job, pension=PensionChoice.EMPLOYEE)
        pensions = [PensionChoice.NONE.value]
        if tiers:
            pensions.append(PensionChoice.RESIDENTS.value)
        if ok(employee):
            pensions.append(PensionChoice.EMPLOYEE.value)
        jobs[job.id] = {
            "pension": pensions,
            "residents_tiers": tiers,
            "accident_insurance": [
                v for v in (False, True) if ok(replace(at_job, accident_insurance=v))
            ],
        }
    out["jobs"] = jobs
    out["personal_pension"] = _personal_pension(ok, plain, jobs)
    out["prices"] = _prices(scenario, [scenario.city(j.city) for j in scenario.jobs], True)
    out["prices"]["income"] = {
        job.id: {h.value: round(costs.typical_income_yearly(job, h) / 12) for h in Hours}
        for job in scenario.jobs
        if job.id in jobs
    }
    return out


def _prices(scenario: Scenario, cities: list[City], working: bool) -> dict[str, Any]:
    """What each option costs a month in each city of the round (and, for the summary, the
    household's living costs), from the very functions the engine charges with
    (``engine/costs.py``): the phone shows these, it computes no price itself."""
    by_city: dict[str, Any] = {}
    for city in cities:
        by_city[city.id] = {
            "employee_pension": {
                str(pct): round(costs.employee_pension_yearly(city, pct)[0] / 12)
                for pct in BASE_LEVELS
            },
            "medical": {
                m.value: round(costs.medical_premium_yearly(city, m) / 12) for m in MedicalChoice
            },
            "living": round(costs.living_yearly(scenario, city, working) / 12),
        }
    return {
        "cities": by_city,
        "accident": round(costs.accident_premium_yearly(scenario) / 12),
    }


def _personal_pension(ok: Any, plain: Decisions, jobs: dict[str, Any]) -> dict[str, list[int]]:
    """The yearly amounts open with each pension choice (checked at the default job)."""
    job = plain.job if plain.job in jobs else next(iter(jobs), None)
    out: dict[str, list[int]] = {}
    if job is None:
        return out
    for choice in jobs[job]["pension"]:
        pension = PensionChoice(choice)
        tier = jobs[job]["residents_tiers"][0] if pension is PensionChoice.RESIDENTS else 0
        d = replace(plain, job=job, pension=pension, residents_tier=tier)
        out[choice] = [a for a in PERSONAL_PENSION_YEARLY if ok(replace(d, personal_pension=a))]
    return out
