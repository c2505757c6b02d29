"""The debrief's talking points: the room's own figures, each with a source."""

from __future__ import annotations

from game_server.content.loader import load_all
from game_server.engine import default_decisions, play_through, summarize
from game_server.engine.events import Happening
from game_server.service.debrief import talking_points


def test_talking_points_count_the_rooms_own_lives() -> None:
    scenario = load_all()["hangzhou-rider"]
    lives = {f"p{seed}": play_through(scenario, seed, lambda s: default_decisions(scenario, s))
             for seed in range(8)}  # fmt: skip
    points = {p["id"]: p for p in talking_points(scenario, lives)}
    assert all(p["source"] for p in points.values())
    summaries = [summarize(scenario, life) for life in lives.values()]
    pension = points["pension"]
    assert pension["total"] == 8
    assert pension["n"] == sum(
        s.pension_outcome not in ("employee_pension", "residents_pension") for s in summaries
    )
    records = [r for life in lives.values() for r in life.history]
    medical = points["medical"]
    assert medical["bills"] == round(sum(r.ledger.bills for r in records))
    assert medical["covered"] == round(sum(r.ledger.covered for r in records))
    assert medical["estimate"] is True
    injuries = [
        e for r in records for e in r.events if isinstance(e, Happening) and e.kind == "work_injury"
    ]
    if injuries:
        assert points["injury"]["n"] == len(injuries)
    else:
        assert "injury" not in points
    assert points["catastrophic"]["n"] == sum(s.catastrophic for s in summaries)


def test_no_lives_no_points() -> None:
    assert talking_points(load_all()["hangzhou-rider"], {}) == []
