"""The same life replayed with other cover: what the player's choices changed.

Because every draw depends only on the seed, the round and the event slot (common random
numbers), the same illnesses, accidents and shocks come at the same times; only the cover differs
(and what follows from it, such as health after an untreated illness).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from game_server.content.schema import Scenario
from game_server.engine.decisions import Decisions, MedicalChoice, PensionChoice
from game_server.engine.errors import RuleViolation
from game_server.engine.life import Decide, apply, new_life
from game_server.engine.scoring import LifeSummary, summarize
from game_server.engine.state import LifeState, Phase

FULL_COVER_BASE_PCT = 60
"""Most flexible workers who join choose the floor base; 'fully insured' uses it too."""


@dataclass(frozen=True, slots=True)
class Counterfactual:
    actual: LifeSummary
    insured: LifeSummary
    """The same life with the employees' pension (60% base), employees' medical and, where no
    injury pilot covers the job, accident insurance."""
    uninsured: LifeSummary
    """The same life with no pension, no medical and no injury cover."""


def insured(decisions: Decisions, phase: Phase) -> Decisions:
    """Fully insured: same work and saving, full cover."""
    working = phase is Phase.WORKING
    return replace(
        decisions,
        pension=PensionChoice.EMPLOYEE,
        pension_base_pct=FULL_COVER_BASE_PCT,
        residents_tier=0,
        medical=MedicalChoice.EMPLOYEE,
        accident_insurance=working,
    )


def uninsured(decisions: Decisions, phase: Phase) -> Decisions:
    """Not insured at all: same work and saving, no cover of any kind."""
    return replace(
        decisions,
        pension=PensionChoice.NONE,
        residents_tier=0,
        medical=MedicalChoice.NONE,
        accident_insurance=False,
        personal_pension=0,
    )


def _fallback(scenario: Scenario, life: LifeState, decisions: Decisions) -> Decisions:
    """Where the employees' pension is not open (hukou limit), the residents' scheme stands in,
    at its lowest tier; from 60, when that is closed too, no pension."""
    stage = life.stages[life.round]
    if decisions.job is not None and stage.start_age < 60:
        tier = scenario.city(scenario.job(decisions.job).city).residents_pension_tiers[0]
        return replace(
            decisions, pension=PensionChoice.RESIDENTS, residents_tier=tier, personal_pension=0
        )
    return replace(decisions, pension=PensionChoice.NONE, residents_tier=0, personal_pension=0)


def replay_with(
    scenario: Scenario,
    state: LifeState,
    change: Callable[[Decisions, Phase], Decisions],
) -> LifeState:
    """Replay ``state``'s decisions through ``change(decisions, phase)``."""
    life = new_life(scenario, state.seed)
    for original in state.decisions_log:
        stage = life.stages[life.round]
        decided = change(original, stage.phase)
        result = apply(scenario, life, Decide(life.round, decided))
        if isinstance(result, RuleViolation):
            result = apply(scenario, life, Decide(life.round, _fallback(scenario, life, decided)))
        if isinstance(result, RuleViolation):  # pragma: no cover - the fallback is always valid
            raise ValueError(f"{result.code}: {result.message}")
        life = result.state
    return life


TwinKey = tuple[str, int, int, tuple[Decisions, ...]]
"""(scenario, its version, seed, the twin's decisions): a twin life, named by what it plays."""


def counterfactual(
    scenario: Scenario,
    state: LifeState,
    twins: dict[TwinKey, LifeSummary] | None = None,
    actual: LifeSummary | None = None,
) -> Counterfactual:
    """The player's life next to the same life fully insured and not insured at all.

    A twin whose decisions are the player's own is the player's life (nothing is replayed);
    ``twins``, a cache the caller keeps for lives of one seed (a workshop's room), answers a
    twin another player's life has already played — lives that chose the same work and savings
    have the same twins. ``actual``: the life's summary, when the caller has it."""
    mine = summarize(scenario, state) if actual is None else actual
    log = state.decisions_log

    def twin(change: Callable[[Decisions, Phase], Decisions]) -> LifeSummary:
        changed = tuple(change(d, state.stages[i].phase) for i, d in enumerate(log))
        if changed == log:
            return mine
        key = (scenario.id, scenario.version, state.seed, changed)
        found = twins.get(key) if twins is not None else None
        if found is None:
            found = summarize(scenario, replay_with(scenario, state, change))
            if twins is not None:
                twins[key] = found
        return found

    return Counterfactual(actual=mine, insured=twin(insured), uninsured=twin(uninsured))
