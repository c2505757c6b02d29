"""What the server sends about a life: plain JSON-able dicts built from engine values."""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from typing import Any

from game_server.content.schema import Scenario
from game_server.engine import (
    Counterfactual,
    LifeState,
    LifeSummary,
    default_decisions,
    policy,
    summarize,
)
from game_server.engine.events import Event
from game_server.engine.state import StageRecord
from game_server.service.choices import round_options
from game_server.service.lives import decisions_to_dict

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


_EVENT_SHAPES: dict[type, tuple[str, tuple[str, ...]]] = {}
"""Per event class: its wire type name and field names (``asdict`` would deep-copy every event
of every stage at every close: a third of a close's time)."""


def event_view(event: Event) -> dict[str, Any]:
    """An engine event as JSON: its fields (flat values and tuples, all immutable) and its type."""
    shape = _EVENT_SHAPES.get(type(event))
    if shape is None:
        name = _CAMEL.sub("_", type(event).__name__).lower()
        shape = _EVENT_SHAPES[type(event)] = (name, tuple(f.name for f in fields(event)))
    out = {field: getattr(event, field) for field in shape[1]}
    out["type"] = shape[0]
    return out


def stage_view(record: StageRecord) -> dict[str, Any]:
    ledger = record.ledger
    return {
        "round": record.stage.index,
        "start_age": record.stage.start_age,
        "end_age": record.stage.end_age,
        "phase": record.stage.phase.value,
        "city": record.city,
        "decisions": decisions_to_dict(record.decisions),
        "ledger": {
            "earnings": round(ledger.earnings),
            "pension_income": round(ledger.pension_income),
            "lump_sums": round(ledger.lump_sums),
            "living": round(ledger.living),
            "contributions": round(ledger.contributions),
            "spending": round(ledger.spending),
            "bills": round(ledger.bills),
            "covered": round(ledger.covered),
            "assistance": round(ledger.assistance),
        },
        "events": [event_view(e) for e in record.events],
        "savings": round(record.savings_end),
        "health": round(record.health_end),
    }


def status_view(
    scenario: Scenario,
    state: LifeState,
    summary: LifeSummary | None = None,
    timeline: bool = True,
) -> dict[str, Any]:
    """Where the life stands now, and (if it goes on) the next round and its default choices.
    ``timeline``: with every played stage's digest (for a snapshot and the end of the life,
    where the phone may lack the rounds it did not see; a round's result goes without it)."""
    p = state.pensions
    stage = state.current_stage
    retirement_year = state.year + state.retirement_age - state.age
    out: dict[str, Any] = {
        "round": state.round,
        "rounds": len(state.stages),
        "age": state.age,
        "year": state.year,
        "savings": round(state.savings),
        "health": round(state.health),
        "city": state.city or scenario.job(scenario.defaults.job).city,
        "retirement_age": state.retirement_age,
        "employee_years": p.employee_years,
        "residents_years": p.residents_years,
        "minimum_years": policy.minimum_contribution_years(retirement_year),
        "monthly_pension": round(p.employee_monthly + p.residents_monthly),
        "finished": state.finished,
    }
    if timeline:
        out["timeline"] = [
            {
                "round": r.stage.index,
                "start_age": r.stage.start_age,
                "end_age": r.stage.end_age,
                "savings": round(r.savings_end),
                "health": round(r.health_end),
            }
            for r in state.history
        ]
    if state.history:
        summary = summary or summarize(scenario, state)
        out["score"] = summary.score
        parts = summary.parts  # flat: a shallow copy (``asdict`` deep-copies)
        out["score_parts"] = {f.name: getattr(parts, f.name) for f in fields(parts)}
    if stage is not None:
        out["stage"] = {
            "index": stage.index,
            "start_age": stage.start_age,
            "years": stage.years,
            "phase": stage.phase.value,
            "start_year": state.year,
        }
        out["defaults"] = decisions_to_dict(default_decisions(scenario, state))
        out["options"] = round_options(scenario, state)
    return out


def summary_view(summary: LifeSummary) -> dict[str, Any]:
    out = asdict(summary)
    out["catastrophic"] = summary.catastrophic
    for key in ("monthly_pension", "retired_living_monthly", "savings_end", "paid_in",
                "received", "bills", "out_of_pocket", "health_end", "old_age_income_monthly",
                "inherited_account", "lowest_savings", "left_for_living_working"):  # fmt: skip
        out[key] = round(out[key])
    return out


def counterfactual_view(cf: Counterfactual) -> dict[str, Any]:
    return {
        "actual": summary_view(cf.actual),
        "insured": summary_view(cf.insured),
        "uninsured": summary_view(cf.uninsured),
    }
