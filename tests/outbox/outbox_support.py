"""Outbox items for the tests, built with the encoders the room service uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from game_server.content.loader import load_all
from game_server.engine import counterfactual, default_decisions, play_through
from game_server.engine.counterfactual import Counterfactual
from game_server.outbox.items import life_entry, quiz_entry, room_entry

SCENARIO = "hangzhou-rider"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@cache
def a_life(seed: int = 7) -> Counterfactual:
    scenario = load_all()[SCENARIO]
    state = play_through(scenario, seed, lambda st: default_decisions(scenario, st))
    return counterfactual(scenario, state)


def life(
    code: str, player: str, *, at: datetime = T0, nickname: str = "小王", seed: int = 7
) -> tuple[str, str]:
    return life_entry(code, 1, "workshop", player, nickname, a_life(seed), at)


def quiz(
    code: str, player: str, question: str = "q1", *, answer: int = 1, at: datetime = T0
) -> tuple[str, str]:
    return quiz_entry(code, player, question, "pre", answer, answer == 1, at)


def room(code: str, players: int = 2, *, at: datetime = T0) -> tuple[str, str]:
    return room_entry(
        code, SCENARIO, "workshop", players, at - timedelta(hours=1), at, {"mean_score": 512.5}
    )
