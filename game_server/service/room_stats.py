"""Room statistics and views for the host: pure functions of the room's lives.

``round_stats`` feeds the host's live bars and the debrief; ``leaderboard``, ``pool_view`` and
``game_stats`` go into the round's events; ``roster_view`` is the host's player list.
"""

from __future__ import annotations

import secrets
import statistics
from collections import Counter
from collections.abc import Mapping
from typing import Any

from game_server.content.schema import Scenario
from game_server.engine import LifeState, PoolMember, reaches_retirement, risk_pool
from game_server.engine.events import Happening
from game_server.engine.scoring import LifeSummary
from game_server.service.lives import decision_from_text

ILLNESS = ("minor_illness", "serious_illness")
"""The kinds of event that send someone to hospital (the reveal counts them apart from
accidents at work)."""


def round_stats(lives: Mapping[str, LifeState], round_index: int) -> dict[str, Any]:
    """How the room chose and fared in a round: for the host's live bars and the debrief."""
    pension: Counter[str] = Counter()
    medical: Counter[str] = Counter()
    groups: dict[str, dict[str, float]] = {}
    injury = illness = accidents = accidents_covered = 0
    bills = covered = hit = catastrophic = 0.0
    savings: list[float] = []
    for life in lives.values():
        if len(life.history) <= round_index:
            continue
        record = life.history[round_index]
        pension[record.decisions.pension.value] += 1
        medical[record.decisions.medical.value] += 1
        injury += record.injury_covered_years > 0
        bills += record.ledger.bills
        covered += record.ledger.covered
        hit += record.ledger.bills > 0
        catastrophic += any(getattr(e, "catastrophic", False) for e in record.events)
        happenings = [e for e in record.events if isinstance(e, Happening) and e.bill > 0]
        illness += any(e.kind in ILLNESS for e in happenings)
        injured = [e for e in happenings if e.kind == "work_injury"]
        accidents += bool(injured)
        accidents_covered += any(e.covered > 0 for e in injured)
        group = groups.setdefault(
            record.decisions.medical.value,
            {"players": 0, "hit": 0, "bills": 0.0, "covered": 0.0, "out_of_pocket": 0.0},
        )
        group["players"] += 1
        group["hit"] += record.ledger.bills > 0
        group["bills"] += record.ledger.bills
        group["covered"] += record.ledger.covered
        group["out_of_pocket"] += record.ledger.bills - record.ledger.covered
        savings.append(record.savings_end)
    return {
        # What hit the room (the host's reveal): by the medical cover each player chose.
        "illness": illness,
        "accidents": accidents,
        "accidents_covered": accidents_covered,
        "covered": round(covered),
        "out_of_pocket": round(bills - covered),
        "by_medical": {k: {f: round(v) for f, v in g.items()} for k, g in groups.items()},
        "pension": dict(pension),
        "medical": dict(medical),
        "injury_covered": injury,
        "hit_by_bills": int(hit),
        "catastrophic": int(catastrophic),
        "bills": round(bills),
        "median_savings": round(statistics.median(savings)) if savings else 0,
    }


def roster_view(
    players: Mapping[str, Mapping[str, Any]],
    kicked: frozenset[str],
    pending: Mapping[str, str],
    connected: set[str] | None,
) -> list[dict[str, Any]]:
    """Each player for the host: decided (with the cover chosen, for the live bars) and, when
    ``connected`` is given, connected."""
    out: list[dict[str, Any]] = []
    for pid, p in players.items():
        row: dict[str, Any] = {
            "player_id": pid,
            "nickname": p["nick"],
            "kicked": pid in kicked,
            "decided": pid in pending,
        }
        if connected is not None:
            row["connected"] = pid in connected
        raw = pending.get(pid)
        if raw is not None:
            chosen = decision_from_text(raw)
            row["pension"], row["medical"] = chosen.pension.value, chosen.medical.value
        out.append(row)
    return out


def leaderboard(
    summaries: Mapping[str, LifeSummary],
    players: Mapping[str, Mapping[str, Any]],
    size: int,
) -> list[dict[str, Any]]:
    """The best scores (ties by player id, so every instance shows the same board)."""
    scored = [(s.score, pid) for pid, s in summaries.items()]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [
        {"player_id": pid, "nickname": players[pid]["nick"], "score": score}
        for score, pid in scored[:size]
    ]


def round_bills(
    lives: Mapping[str, LifeState], played: Mapping[str, object], round_index: int
) -> dict[str, float]:
    """The bills each player who played the round actually met in it: the very bills their
    round result lists (the pool shares real bills, never imagined ones)."""
    bills: dict[str, float] = {}
    for pid in played:
        history = lives[pid].history
        if len(history) > round_index:
            bills[pid] = history[round_index].ledger.bills
    return bills


def pool_view(losses: Mapping[str, float]) -> dict[str, Any]:
    """The group risk pool over the members' bills of the round: everyone pays the average,
    the pool pays each bill. ``total_losses`` is the sum of ``losses`` (rounded the same way)."""
    # Rounded first, so the shown total is exactly the sum of the shown bills.
    rounded = {pid: round(loss) for pid, loss in losses.items()}
    losses = {pid: float(loss) for pid, loss in rounded.items()}
    share = statistics.fmean(losses.values()) if losses else 0.0
    result = risk_pool([PoolMember(pid, share, loss) for pid, loss in losses.items()])
    return {
        "members": len(losses),
        "contribution": round(share),
        "total_losses": round(result.total_losses),
        "paid_out": round(result.paid_out),
        "hit": sum(1 for loss in losses.values() if loss > 0),
        "worst_alone": round(result.worst_alone),
        "worst_pooled": round(result.worst_pooled),
        "losses": rounded,
    }


def game_stats(summaries_of: Mapping[str, LifeSummary]) -> dict[str, Any]:
    summaries = list(summaries_of.values())
    if not summaries:
        return {"players": 0}
    return {
        "players": len(summaries),
        "mean_score": round(statistics.fmean(s.score for s in summaries)),
        "with_monthly_pension": sum(
            1 for s in summaries if s.pension_outcome in ("employee_pension", "residents_pension")
        ),
        "catastrophic": sum(1 for s in summaries if s.catastrophic),
        "median_pension": round(statistics.median(s.monthly_pension for s in summaries)),
        "badges": dict(Counter(b for s in summaries for b in s.badges)),
    }


def room_seed(scenario: Scenario) -> int:
    """A new room's seed, drawn among the lives that reach the statutory retirement age (about
    nine in ten do), so that a seven-minute lesson always reaches the pension years it is about;
    how long one lives after that is the life table's draw. Early deaths are in the model and
    in the balance figures (``died_before_pension_share``), not in the game played; workshop
    and solo rooms draw alike."""
    while True:
        seed = secrets.randbits(63)
        if reaches_retirement(scenario, seed):
            return seed
