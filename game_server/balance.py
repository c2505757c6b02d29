"""Balance: does the game teach the truth?

Simulates many lives of a scenario under fixed strategies, with the same draws for each strategy
(life ``i`` has the same seed under every strategy), and reports what each strategy comes to.
Full cover must lower the share of catastrophic outcomes and raise retirement income, while
costing money in the working years: the real trade-off, not a rigged one.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from game_server.content.schema import Scenario
from game_server.engine import (
    Decisions,
    LifeState,
    LifeSummary,
    MedicalChoice,
    PensionChoice,
    Phase,
    default_decisions,
    play_through,
    summarize,
)

Strategy = Callable[[Scenario, LifeState], Decisions]

RESIDENTS_TIER_WISH = 500
"""The residents' pension tier the 'residents' strategy pays (or the nearest one offered)."""


def _with_cover(
    pension: PensionChoice, medical: MedicalChoice, base_pct: int = 60, accident: bool = False
) -> Strategy:
    def choose(scenario: Scenario, state: LifeState) -> Decisions:
        d = default_decisions(scenario, state)
        stage = state.stages[state.round]
        working = stage.phase is Phase.WORKING
        tier = 0
        chosen = pension
        if pension is PensionChoice.RESIDENTS:
            if working and stage.start_age < 60:
                city = scenario.city(scenario.job(d.job or scenario.defaults.job).city)
                tier = min(city.residents_pension_tiers, key=lambda t: abs(t - RESIDENTS_TIER_WISH))
            else:
                chosen = PensionChoice.NONE
        job = scenario.job(d.job) if d.job else None
        needs_accident = (
            accident and working and job is not None and job.injury_pilot_from_year is None
        )
        return replace(
            d,
            pension=chosen,
            pension_base_pct=base_pct,
            residents_tier=tier,
            medical=medical,
            accident_insurance=needs_accident,
        )

    return choose


STRATEGIES: dict[str, Strategy] = {
    "nothing": _with_cover(PensionChoice.NONE, MedicalChoice.NONE),
    "medical_only": _with_cover(PensionChoice.NONE, MedicalChoice.RESIDENTS),
    "residents": _with_cover(PensionChoice.RESIDENTS, MedicalChoice.RESIDENTS),
    "flexible_60": _with_cover(PensionChoice.EMPLOYEE, MedicalChoice.EMPLOYEE, 60, True),
    "flexible_100": _with_cover(PensionChoice.EMPLOYEE, MedicalChoice.EMPLOYEE, 100, True),
}


@dataclass(frozen=True, slots=True)
class StrategyStats:
    strategy: str
    lives: int
    score_mean: float
    score_p5: float
    score_p50: float
    score_p95: float
    catastrophic_share: float
    median_monthly_pension: float
    mean_paid_in: float
    mean_received: float
    mean_working_cost: float
    """Contributions and premiums paid in the working years, per life."""
    mean_working_spending: float
    """What was left to spend above needs in the working years, per life."""


def life_seed(seed: int, index: int) -> int:
    """The seed of life ``index`` of a balance run: the same for every strategy."""
    return seed * 1_000_003 + index


def simulate(scenario: Scenario, strategy: Strategy, lives: int, seed: int) -> list[LifeState]:
    return [
        play_through(scenario, life_seed(seed, i), lambda st: strategy(scenario, st))
        for i in range(lives)
    ]


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def stats_for(name: str, scenario: Scenario, states: Sequence[LifeState]) -> StrategyStats:
    summaries: list[LifeSummary] = [summarize(scenario, s) for s in states]
    scores = sorted(float(s.score) for s in summaries)
    n = len(summaries)
    working = [[r for r in s.history if r.stage.phase is Phase.WORKING] for s in states]
    return StrategyStats(
        strategy=name,
        lives=n,
        score_mean=statistics.fmean(scores),
        score_p5=_percentile(scores, 0.05),
        score_p50=_percentile(scores, 0.50),
        score_p95=_percentile(scores, 0.95),
        catastrophic_share=sum(1 for s in summaries if s.catastrophic) / n,
        median_monthly_pension=statistics.median(s.monthly_pension for s in summaries),
        mean_paid_in=statistics.fmean(s.paid_in for s in summaries),
        mean_received=statistics.fmean(s.received for s in summaries),
        mean_working_cost=statistics.fmean(sum(r.ledger.contributions for r in w) for w in working),
        mean_working_spending=statistics.fmean(sum(r.ledger.spending for r in w) for w in working),
    )


def run_balance(
    scenario: Scenario, lives: int, seed: int, strategies: dict[str, Strategy] | None = None
) -> list[StrategyStats]:
    chosen = STRATEGIES if strategies is None else strategies
    return [
        stats_for(name, scenario, simulate(scenario, strategy, lives, seed))
        for name, strategy in chosen.items()
    ]


def format_table(scenario: Scenario, lives: int, seed: int, rows: Sequence[StrategyStats]) -> str:
    header = (
        f"{'strategy':<13}{'score mean':>11}{'p5':>6}{'p50':>6}{'p95':>6}"
        f"{'catastrophic':>13}{'pension/mo':>11}{'paid in':>11}{'received':>11}"
        f"{'work cost':>11}{'work spend':>11}"
    )
    lines = [
        f"Balance of {scenario.id} v{scenario.version}: {lives} lives per strategy, seed {seed}",
        "(money in yuan per life, pension per month; catastrophic = share of lives with a bill "
        "paid out of pocket of at least 40% of a year's income)",
        header,
        "-" * len(header),
    ]
    for r in rows:
        lines.append(
            f"{r.strategy:<13}{r.score_mean:>11.0f}{r.score_p5:>6.0f}{r.score_p50:>6.0f}"
            f"{r.score_p95:>6.0f}{r.catastrophic_share:>12.1%} {r.median_monthly_pension:>10.0f}"
            f"{r.mean_paid_in:>11.0f}{r.mean_received:>11.0f}{r.mean_working_cost:>11.0f}"
            f"{r.mean_working_spending:>11.0f}"
        )
    return "\n".join(lines)
