"""The options sent with each round are exactly those the engine accepts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from game_server.content.loader import load_all
from game_server.engine import (
    Decide,
    Decisions,
    LifeState,
    MedicalChoice,
    PensionChoice,
    Phase,
    RuleViolation,
    apply,
    default_decisions,
    new_life,
)
from game_server.engine.life import check
from game_server.service.choices import round_options

SCENARIOS = load_all()


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_every_option_offered_is_accepted_and_no_other(scenario_id: str) -> None:
    sc = SCENARIOS[scenario_id]
    state = new_life(sc, 7)
    seen_retired = False
    while state.current_stage is not None:
        options = round_options(sc, state)
        assert options is not None
        base = replace(default_decisions(sc, state), personal_pension=0)

        def accepted(d: Decisions, now: LifeState = state) -> bool:
            return check(sc, now, Decide(now.round, d)) is None

        for m in MedicalChoice:
            assert accepted(replace(base, medical=m)) == (m.value in options["medical"])
        if state.current_stage.phase is Phase.RETIRED:
            seen_retired = True
            assert "jobs" not in options
            # the residents' pension is open in retirement only to members paying to 60 or
            # short of 15 years past it: offered exactly when the engine accepts it
            lowest = replace(base, pension=PensionChoice.RESIDENTS, residents_tier=100)
            assert ("residents" in options["pension"]) == accepted(lowest)
            for tier in options["residents_tiers"]:
                assert accepted(replace(base, pension=PensionChoice.RESIDENTS, residents_tier=tier))
            for p in options["pension"]:
                if p != "residents":
                    assert accepted(replace(base, pension=PensionChoice(p)))
        else:
            for job in sc.jobs:
                offered = options["jobs"].get(job.id)
                assert offered is not None
                at_job = replace(base, job=job.id, pension=PensionChoice.NONE, residents_tier=0)
                for tier in offered["residents_tiers"]:
                    d = replace(at_job, pension=PensionChoice.RESIDENTS, residents_tier=tier)
                    assert accepted(d)
                employee = replace(at_job, pension=PensionChoice.EMPLOYEE)
                assert accepted(employee) == ("employee" in offered["pension"])
                residents_ok = accepted(
                    replace(at_job, pension=PensionChoice.RESIDENTS, residents_tier=100)
                )
                assert ("residents" in offered["pension"]) == residents_ok
            assert options["personal_pension"]["none"] == [0]
        result = apply(sc, state, Decide(state.round, default_decisions(sc, state)))
        assert not isinstance(result, RuleViolation)
        state = result.state
    assert seen_retired
    assert round_options(sc, state) is None


def test_shared_options_are_the_options_of_each_life() -> None:
    # round_options answers once for lives the rules cannot tell apart: over many lives and
    # choices, the shared answer is the one worked out for that life alone.
    from game_server.service.choices import _round_options

    checked = 0
    for scenario_id in sorted(SCENARIOS):
        sc = SCENARIOS[scenario_id]
        for seed in range(12):
            state = new_life(sc, seed)
            while state.current_stage is not None:
                shared = round_options(sc, state)
                alone = _round_options(sc, state, default_decisions(sc, state))
                assert shared == alone
                checked += 1
                d = default_decisions(sc, state)
                if state.current_stage.phase is Phase.WORKING and seed % 3 == 0:
                    tiers = sc.city(sc.job(d.job or sc.defaults.job).city).residents_pension_tiers
                    d = replace(d, pension=PensionChoice.RESIDENTS, residents_tier=tiers[0])
                    if check(sc, state, Decide(state.round, d)) is not None:
                        d = default_decisions(sc, state)
                result = apply(sc, state, Decide(state.round, d))
                assert not isinstance(result, RuleViolation)
                state = result.state
    assert checked > 100


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_the_prices_shown_are_what_the_life_is_charged(scenario_id: str) -> None:
    """The phone's prices (``options.prices``) come from the functions the engine charges with:
    a working round with every cover bought is charged its prices, month by month."""
    scenario = SCENARIOS[scenario_id]
    life = new_life(scenario, 7)
    options = round_options(scenario, life)
    assert options is not None
    prices = options["prices"]
    base = default_decisions(scenario, life)
    job = scenario.job(base.job or scenario.defaults.job)
    d = replace(
        base,
        pension=PensionChoice.EMPLOYEE,
        pension_base_pct=100,
        residents_tier=0,
        medical=MedicalChoice.EMPLOYEE,
        accident_insurance=True,
        personal_pension=0,
    )
    assert check(scenario, life, Decide(0, d)) is None
    result = apply(scenario, life, Decide(0, d))
    assert not isinstance(result, RuleViolation)
    record = result.state.history[0]
    city = prices["cities"][job.city]
    monthly = city["employee_pension"]["100"] + city["medical"]["employee"] + prices["accident"]
    years = record.stage.years
    assert abs(record.ledger.contributions / years / 12 - monthly) <= 2  # each price rounded
    assert prices["income"][job.id]["full_time"] == round(job.monthly_income_full_time.value)
