"""Balance: does the game teach the truth?

Simulates many lives of a scenario under fixed strategies, with the same draws for each strategy
(life ``i`` has the same seed under every strategy, so it meets the same illnesses and accidents
and dies at the same age), and reports what each strategy comes to. Insurance must win where it
truly wins (a long life, a serious illness, a disabling accident) and cost what it truly costs
(money in the working years; nothing back for a life cut short but the account left to the
family). Field names of :class:`StrategyStats` are stable: ``--json`` prints them and
``docs/game-design.md`` documents them.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

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
from game_server.engine.life import residents_pension_open

Strategy = Callable[[Scenario, LifeState], Decisions]

RESIDENTS_TIER_WISH = 500
"""The residents' pension tier the 'residents' strategy pays (or the nearest one offered)."""
SAVER_RATE = 30
"""The saver insures nothing and puts 30% of earnings aside instead."""


def _with_cover(
    pension: PensionChoice,
    medical: MedicalChoice,
    base_pct: int = 60,
    accident: bool = False,
    saving_rate: int | None = None,
) -> Strategy:
    def choose(scenario: Scenario, state: LifeState) -> Decisions:
        d = default_decisions(scenario, state)
        stage = state.stages[state.round]
        working = stage.phase is Phase.WORKING
        tier = 0
        chosen = pension
        if pension is PensionChoice.RESIDENTS:
            if residents_pension_open(state, stage):
                city_id = (
                    scenario.job(d.job).city if d.job else state.city or scenario.persona.hukou_city
                )
                tiers = scenario.city(city_id).residents_pension_tiers
                tier = min(tiers, key=lambda t: abs(t - RESIDENTS_TIER_WISH))
            else:
                chosen = PensionChoice.NONE
        job = scenario.job(d.job) if d.job else None
        needs_accident = (
            accident
            and working
            and job is not None
            and job.injury_pilot_from_year is None
            and job.employer is None
        )
        # Built directly, not with dataclasses.replace (which inspects the fields every call):
        # the benchmark of the engine plays its lives through this strategy.
        return Decisions(
            job=d.job,
            hours=d.hours,
            pension=chosen,
            pension_base_pct=base_pct,
            residents_tier=tier,
            medical=medical,
            accident_insurance=needs_accident,
            saving_rate=d.saving_rate if saving_rate is None else saving_rate,
            personal_pension=d.personal_pension,
        )

    return choose


STRATEGIES: dict[str, Strategy] = {
    "nothing": _with_cover(PensionChoice.NONE, MedicalChoice.NONE),
    "saver": _with_cover(PensionChoice.NONE, MedicalChoice.NONE, saving_rate=SAVER_RATE),
    "medical_only": _with_cover(PensionChoice.NONE, MedicalChoice.RESIDENTS),
    "residents": _with_cover(PensionChoice.RESIDENTS, MedicalChoice.RESIDENTS),
    "flexible_60": _with_cover(PensionChoice.EMPLOYEE, MedicalChoice.EMPLOYEE, 60, True),
    "flexible_100": _with_cover(PensionChoice.EMPLOYEE, MedicalChoice.EMPLOYEE, 100, True),
}


@dataclass(frozen=True, slots=True)
class StrategyStats:
    """What a strategy comes to over ``lives`` seeded lives (money in yuan, per life unless said;
    incomes a month)."""

    strategy: str
    lives: int
    score_mean: float
    score_p5: float
    score_p50: float
    score_p95: float
    catastrophic_incidence: float
    """Share of all years lived with catastrophic health spending (WHO: out of pocket ≥ 40% of
    the capacity to pay): the annual incidence."""
    catastrophic_share: float
    """Share of lives with at least one catastrophic year."""
    debt_share: float
    """Share of lives ending in debt."""
    old_age_poverty_share: float
    """Among lives that reached retirement, the share with at least one old-age year below the
    local minimum living standard (低保) with no savings left."""
    median_old_age_income: float
    """Pensions plus the planned drawdown of savings at retirement, a month (median)."""
    median_monthly_pension: float
    mean_paid_in: float
    mean_received: float
    mean_inherited: float
    """What was left in the individual pension accounts at death."""
    died_before_pension_share: float
    mean_working_cost: float
    """Contributions and premiums paid in the working years."""
    mean_working_left: float
    """What was left for living in the working years: earnings less needs, contributions and
    health bills (spent or saved)."""
    mean_working_spending: float
    """What was spent above needs in the working years (not saved)."""


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
    retired = [s for s in summaries if s.retired_years > 0]
    years = sum(s.total_years for s in summaries)
    return StrategyStats(
        strategy=name,
        lives=n,
        score_mean=statistics.fmean(scores),
        score_p5=_percentile(scores, 0.05),
        score_p50=_percentile(scores, 0.50),
        score_p95=_percentile(scores, 0.95),
        catastrophic_incidence=sum(s.catastrophic_years for s in summaries) / years,
        catastrophic_share=sum(1 for s in summaries if s.catastrophic) / n,
        debt_share=sum(1 for s in summaries if s.savings_end < 0) / n,
        old_age_poverty_share=(
            sum(1 for s in retired if s.old_age_poor_years > 0) / len(retired) if retired else 0.0
        ),
        median_old_age_income=statistics.median(s.old_age_income_monthly for s in retired)
        if retired
        else 0.0,
        median_monthly_pension=statistics.median(s.monthly_pension for s in summaries),
        mean_paid_in=statistics.fmean(s.paid_in for s in summaries),
        mean_received=statistics.fmean(s.received for s in summaries),
        mean_inherited=statistics.fmean(s.inherited_account for s in summaries),
        died_before_pension_share=sum(1 for s in summaries if s.died_before_pension) / n,
        mean_working_cost=statistics.fmean(sum(r.ledger.contributions for r in w) for w in working),
        mean_working_left=statistics.fmean(s.left_for_living_working for s in summaries),
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


def format_json(rows: Sequence[StrategyStats]) -> str:
    """One JSON object per strategy, one per line (field names as in :class:`StrategyStats`)."""
    return "\n".join(json.dumps(asdict(r), ensure_ascii=False, sort_keys=True) for r in rows)


def format_table(scenario: Scenario, lives: int, seed: int, rows: Sequence[StrategyStats]) -> str:
    header = (
        f"{'strategy':<13}{'score':>6}{'p5':>5}{'p50':>5}{'p95':>5}"
        f"{'cat/yr':>8}{'cat life':>9}{'debt':>7}{'poor old':>9}{'old inc':>8}{'pension':>8}"
        f"{'paid in':>9}{'received':>10}{'inherit':>8}{'died<pen':>9}{'work left':>10}"
    )
    lines = [
        f"Balance of {scenario.id} v{scenario.version}: {lives} lives per strategy, seed {seed}",
        "(yuan per life; incomes a month. cat/yr: annual incidence of catastrophic health "
        "spending, WHO 40% of capacity to pay; cat life: lives with one such year or more; "
        "poor old: retired lives with a year below 低保; old inc: pensions + savings drawdown)",
        header,
        "-" * len(header),
    ]
    for r in rows:
        lines.append(
            f"{r.strategy:<13}{r.score_mean:>6.0f}{r.score_p5:>5.0f}{r.score_p50:>5.0f}"
            f"{r.score_p95:>5.0f}{r.catastrophic_incidence:>8.1%}{r.catastrophic_share:>9.1%}"
            f"{r.debt_share:>7.1%}{r.old_age_poverty_share:>9.1%}{r.median_old_age_income:>8.0f}"
            f"{r.median_monthly_pension:>8.0f}{r.mean_paid_in:>9.0f}{r.mean_received:>10.0f}"
            f"{r.mean_inherited:>8.0f}{r.died_before_pension_share:>9.1%}"
            f"{r.mean_working_left:>10.0f}"
        )
    return "\n".join(lines)
