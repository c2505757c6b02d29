"""Property tests over random lives: random seeds and random valid decisions every round."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from game_server.content.schema import Scenario
from game_server.engine import (
    Applied,
    Decide,
    Decisions,
    Hours,
    LifeState,
    MedicalChoice,
    PensionChoice,
    Phase,
    RuleViolation,
    apply,
    check,
    errors,
    new_life,
    policy,
    replay,
)
from game_server.engine.events import Happening, Retired
from game_server.engine.life import residents_pension_open

SEEDS = st.integers(min_value=0, max_value=2**63 - 1)
LIVES = settings(max_examples=60, deadline=None)


def _employee_open(scenario: Scenario, city_id: str, year: int) -> bool:
    lifted = scenario.city(city_id).hukou_limit_lifted_year
    return lifted is None or year >= lifted.value or scenario.persona.hukou_city == city_id


@st.composite
def valid_decisions(draw: st.DrawFn, scenario: Scenario, state: LifeState) -> Decisions:
    """Any decisions the rules accept for the open round."""
    stage = state.current_stage
    assert stage is not None
    saving = draw(st.integers(0, 50))
    medical = draw(st.sampled_from(MedicalChoice))
    if stage.phase is Phase.RETIRED:
        options = [PensionChoice.NONE, PensionChoice.EMPLOYEE]
        if residents_pension_open(state, stage):
            options.append(PensionChoice.RESIDENTS)
        pension = draw(st.sampled_from(options))
        here = scenario.city(state.city or scenario.persona.hukou_city)
        tier = draw(st.sampled_from(here.residents_pension_tiers))
        return Decisions(
            pension=pension,
            residents_tier=tier if pension is PensionChoice.RESIDENTS else 0,
            medical=medical,
            saving_rate=saving,
        )
    job = draw(st.sampled_from(scenario.jobs))
    city = scenario.city(job.city)
    pensions = [PensionChoice.NONE]
    if _employee_open(scenario, city.id, state.year):
        pensions.append(PensionChoice.EMPLOYEE)
    if residents_pension_open(state, stage):
        pensions.append(PensionChoice.RESIDENTS)
    pension = draw(st.sampled_from(pensions))
    tier = draw(st.sampled_from(city.residents_pension_tiers))
    personal = 0
    if pension is not PensionChoice.NONE:
        personal = draw(st.one_of(st.just(0), st.integers(0, policy.PERSONAL_PENSION_YEARLY_CAP)))
    return Decisions(
        job=job.id,
        hours=draw(st.sampled_from(Hours)),
        pension=pension,
        pension_base_pct=draw(st.integers(policy.BASE_PCT_MIN, policy.BASE_PCT_MAX)),
        residents_tier=tier if pension is PensionChoice.RESIDENTS else 0,
        medical=medical,
        accident_insurance=draw(st.booleans()),
        saving_rate=saving,
        personal_pension=personal,
    )


def random_life(
    data: st.DataObject, scenario: Scenario, seed: int, rounds: int | None = None
) -> LifeState:
    """Play ``rounds`` rounds (all by default) with random valid decisions."""
    state = new_life(scenario, seed)
    limit = len(state.stages) if rounds is None else rounds
    while state.round < limit:
        decisions = data.draw(valid_decisions(scenario, state))
        result = apply(scenario, state, Decide(state.round, decisions))
        assert isinstance(result, Applied), (decisions, result)
        state = result.state
    return state


def _scenario(data: st.DataObject, scenarios: dict[str, Scenario]) -> Scenario:
    return scenarios[data.draw(st.sampled_from(sorted(scenarios)))]


@LIVES
@given(data=st.data(), seed=SEEDS)
def test_same_seed_and_decisions_same_state(
    scenarios: dict[str, Scenario], data: st.DataObject, seed: int
) -> None:
    sc = _scenario(data, scenarios)
    state = random_life(data, sc, seed)
    assert state.finished
    again = new_life(sc, seed)
    for decisions in state.decisions_log:
        result = apply(sc, again, Decide(again.round, decisions))
        assert isinstance(result, Applied)
        assert result.events == state.history[again.round].events
        again = result.state
    assert again == state


@LIVES
@given(data=st.data(), seed=SEEDS)
def test_replaying_the_log_gives_the_stored_state(
    scenarios: dict[str, Scenario], data: st.DataObject, seed: int
) -> None:
    sc = _scenario(data, scenarios)
    rounds = data.draw(st.integers(0, len(new_life(sc, seed).stages)))
    state = random_life(data, sc, seed, rounds)
    assert replay(sc, seed, state.decisions_log) == state
    assert replay(sc, seed, list(state.decisions_log)) == state


@LIVES
@given(data=st.data(), seed=SEEDS)
def test_money_is_conserved_per_stage(
    scenarios: dict[str, Scenario], data: st.DataObject, seed: int
) -> None:
    sc = _scenario(data, scenarios)
    state = random_life(data, sc, seed)
    previous = sc.persona.start_savings
    for record in state.history:
        ledger = record.ledger
        change = record.savings_end - previous
        assert abs(change - ledger.net) <= 1e-6 * max(1.0, abs(change), abs(ledger.net))
        hs = [e for e in record.events if isinstance(e, Happening)]
        assert abs(sum(h.bill for h in hs) - ledger.bills) <= 1e-6
        assert abs(sum(h.covered for h in hs) - ledger.covered) <= 1e-6
        lumps = sum(h.payout for h in hs)
        lumps += sum(e.personal_pension_payout for e in record.events if isinstance(e, Retired))
        lumps += ledger.assistance
        assert abs(lumps - ledger.lump_sums) <= 1e-6 * max(1.0, lumps)
        assert ledger.earnings >= 0
        assert ledger.contributions >= 0
        assert ledger.spending >= 0
        assert 0 <= ledger.covered <= ledger.bills + 1e-9
        previous = record.savings_end
    assert state.savings == previous


# --- Invalid mutations ----------------------------------------------------------------------------

OUT_OF_PCT = st.one_of(st.integers(max_value=policy.BASE_PCT_MIN - 1), st.integers(min_value=301))
OUT_OF_SAVING = st.one_of(st.integers(max_value=-1), st.integers(min_value=51))
OUT_OF_PERSONAL = st.one_of(st.integers(max_value=-1), st.integers(min_value=12_001))
ANY_TEXT_ID = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=20)


@st.composite
def invalid_command(
    draw: st.DrawFn, scenario: Scenario, state: LifeState
) -> tuple[Decide, str, str]:
    """A command broken in one way, the code it must be refused with, and how it was broken."""
    stage = state.current_stage
    if stage is None:
        d = Decisions(job=draw(st.sampled_from([None, scenario.defaults.job])))
        return Decide(draw(st.integers(-3, state.round + 3)), d), errors.LIFE_OVER, "life over"
    base = draw(valid_decisions(scenario, state))
    job_ids = {j.id for j in scenario.jobs}
    if stage.phase is Phase.WORKING:
        tiers = scenario.city(scenario.job(base.job or "").city).residents_pension_tiers
        kind = draw(
            st.sampled_from(
                [
                    "round",
                    "unknown job",
                    "no job",
                    "saving",
                    "base pct",
                    "tier",
                    "personal",
                    "personal without pension",
                ]
            )
        )
        if kind == "unknown job":
            job = draw(ANY_TEXT_ID.filter(lambda j: j not in job_ids))
            return Decide(state.round, replace(base, job=job)), errors.INVALID_CHOICE, kind
        if kind == "no job":
            return Decide(state.round, replace(base, job=None)), errors.INVALID_CHOICE, kind
        if kind == "base pct":
            d = replace(base, pension=PensionChoice.EMPLOYEE, pension_base_pct=draw(OUT_OF_PCT))
            return Decide(state.round, d), errors.INVALID_CHOICE, kind
        if kind == "tier":
            tier = draw(st.integers(-10, 5000).filter(lambda t: t not in tiers))
            d = replace(base, pension=PensionChoice.RESIDENTS, residents_tier=tier)
            return Decide(state.round, d), errors.INVALID_CHOICE, kind
        if kind == "personal" and base.pension is not PensionChoice.NONE:
            d = replace(base, personal_pension=draw(OUT_OF_PERSONAL))
            return Decide(state.round, d), errors.INVALID_CHOICE, kind
        if kind in ("personal", "personal without pension"):
            amount = draw(st.integers(1, policy.PERSONAL_PENSION_YEARLY_CAP))
            d = replace(base, pension=PensionChoice.NONE, personal_pension=amount)
            return Decide(state.round, d), errors.NOT_ELIGIBLE, "personal without pension"
    else:
        kind = draw(
            st.sampled_from(["round", "job", "saving", "residents", "accident", "personal"])
        )
        if kind == "job":
            d = replace(base, job=draw(st.one_of(ANY_TEXT_ID, st.sampled_from(sorted(job_ids)))))
            return Decide(state.round, d), errors.INVALID_CHOICE, kind
        if kind == "residents":
            if residents_pension_open(state, stage):
                # a member short of 15 years may pay on after 60: only a wrong tier is refused
                d = replace(base, pension=PensionChoice.RESIDENTS, residents_tier=150)
                return Decide(state.round, d), errors.INVALID_CHOICE, kind
            d = replace(base, pension=PensionChoice.RESIDENTS, residents_tier=100)
            return Decide(state.round, d), errors.NOT_ELIGIBLE, kind
        if kind == "accident":
            return (
                Decide(state.round, replace(base, accident_insurance=True)),
                errors.NOT_ELIGIBLE,
                kind,
            )
        if kind == "personal":
            amount = draw(st.integers(-50_000, 50_000).filter(bool))
            d = replace(base, personal_pension=amount)
            return Decide(state.round, d), errors.NOT_ELIGIBLE, kind
    if kind == "saving":
        d = replace(base, saving_rate=draw(OUT_OF_SAVING))
        return Decide(state.round, d), errors.INVALID_CHOICE, kind
    wrong = draw(st.integers(-5, len(state.stages) + 5).filter(lambda r: r != state.round))
    return Decide(wrong, base), errors.ROUND_CLOSED, "round"


@settings(max_examples=150, deadline=None)
@given(data=st.data(), seed=SEEDS)
def test_invalid_decisions_are_refused_and_change_nothing(
    scenarios: dict[str, Scenario], data: st.DataObject, seed: int
) -> None:
    sc = _scenario(data, scenarios)
    rounds = data.draw(st.integers(0, len(new_life(sc, seed).stages)))
    state = random_life(data, sc, seed, rounds)
    # An independent copy: the same life rebuilt from its seed and log (copy.deepcopy cannot
    # rebuild the engine's classes once compiled with mypyc).
    snapshot = replay(sc, seed, [r.decisions for r in state.history])
    assert snapshot == state
    assert snapshot is not state
    command, code, how = data.draw(invalid_command(sc, state))
    result = apply(sc, state, command)
    assert isinstance(result, RuleViolation), (how, command)
    assert result.code in errors.CODES
    assert result.code == code, (how, result)
    assert result.message
    assert check(sc, state, command) == result
    assert state == snapshot
    # the life goes on from the untouched state exactly as from the copy
    if not state.finished:
        decisions = data.draw(valid_decisions(sc, state))
        after = apply(sc, state, Decide(state.round, decisions))
        from_copy = apply(sc, snapshot, Decide(snapshot.round, decisions))
        assert isinstance(after, Applied)
        assert after == from_copy
