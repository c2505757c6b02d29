"""The trainer's talking points: facts from the room's own lives, each with its source.

A point is data, not prose: an ``id`` (the host page words it in the trainer's language, with a
question to ask the room), the room's figures, and the source of the rule behind it. Figures
that rest on the scenarios' estimated rates carry ``estimate`` (the page shows "约" / "≈").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from game_server.content.schema import Scenario
from game_server.engine import LifeState, summarize
from game_server.engine.events import Happening
from game_server.engine.scoring import LifeSummary

MONTHLY_PENSION = ("employee_pension", "residents_pension")

PENSION_SOURCE = "《社会保险法》第十六条（累计缴费满十五年，按月领取基本养老金）"
MEDICAL_SOURCE = "本局数据；报销比例见剧本（医保发〔2024〕19号，部分为估算）"
INJURY_SOURCE = "《工伤保险条例》；新就业形态人员职业伤害保障试点"
ROOM_SOURCE = "本局数据"


def talking_points(
    scenario: Scenario,
    lives: Mapping[str, LifeState],
    summaries_of: Mapping[str, LifeSummary] | None = None,
) -> list[dict[str, Any]]:
    """Points for the debrief, most telling first; none when no life was played.
    ``summaries_of``: the lives' summaries when the caller has them already."""
    ids = [pid for pid, life in lives.items() if life.history]
    if not ids:
        return []
    played = [lives[pid] for pid in ids]
    known = summaries_of or {}
    summaries = [known.get(pid) or summarize(scenario, lives[pid]) for pid in ids]
    total = len(summaries)
    no_pension = sum(1 for s in summaries if s.pension_outcome not in MONTHLY_PENSION)
    never_paid = sum(1 for s in summaries if s.employee_years == 0 and s.residents_years == 0)
    ages = sorted(s.retirement_age for s in summaries)
    bills = covered = uninsured_paid = 0.0
    uninsured_hit = accidents = accidents_covered = 0
    for life in played:
        for record in life.history:
            bills += record.ledger.bills
            covered += record.ledger.covered
            if record.decisions.medical.value == "none" and record.ledger.bills > 0:
                uninsured_hit += 1
                uninsured_paid += record.ledger.bills - record.ledger.covered
            for e in record.events:
                if isinstance(e, Happening) and e.kind == "work_injury":
                    accidents += 1
                    accidents_covered += e.covered > 0 or e.payout > 0
    catastrophic = sum(1 for s in summaries if s.catastrophic)
    points: list[dict[str, Any]] = [
        {
            "id": "pension",
            "n": no_pension,
            "never": never_paid,
            "total": total,
            "age": ages[len(ages) // 2],
            "source": PENSION_SOURCE,
        },
        {
            "id": "medical",
            "bills": round(bills),
            "covered": round(covered),
            "share": round(covered / bills, 2) if bills else 0.0,
            "uninsured_hit": uninsured_hit,
            "uninsured_paid": round(uninsured_paid),
            "estimate": True,
            "source": MEDICAL_SOURCE,
        },
    ]
    if accidents:
        points.append(
            {
                "id": "injury",
                "n": accidents,
                "covered": accidents_covered,
                "source": _injury_source(scenario),
            }
        )
    points.append({"id": "catastrophic", "n": catastrophic, "total": total, "source": ROOM_SOURCE})
    return points


def _injury_source(scenario: Scenario) -> str:
    """The occupational-injury pilot as the scenario cites it (its jobs' own source)."""
    for job in scenario.jobs:
        if job.injury_pilot_from_year is not None:
            return job.injury_pilot_from_year.source
    return INJURY_SOURCE
