"""Lives as the server keeps them: the room's seed and each player's decisions log.

The engine replays any life exactly from its seed and log, so Redis holds only the log (a few
hundred bytes a player) and each instance rebuilds the state when it needs it, with a small cache
so that a round's work does not replay every life from the start.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from game_server.content.schema import Scenario
from game_server.engine import (
    Decide,
    Decisions,
    Hours,
    LifeState,
    MedicalChoice,
    PensionChoice,
    RuleViolation,
    apply,
    new_life,
)
from game_server.protocol.messages import DecisionsIn

# Compact, positional: a log of 12 rounds stays well under a kilobyte.
_FIELDS = (
    "job",
    "hours",
    "pension",
    "pension_base_pct",
    "residents_tier",
    "medical",
    "accident_insurance",
    "saving_rate",
    "personal_pension",
)


def decisions_to_list(d: Decisions) -> list[Any]:
    return [
        d.job,
        d.hours.value,
        d.pension.value,
        d.pension_base_pct,
        d.residents_tier,
        d.medical.value,
        d.accident_insurance,
        d.saving_rate,
        d.personal_pension,
    ]


def decisions_from_list(row: list[Any]) -> Decisions:
    return Decisions(
        job=row[0],
        hours=Hours(row[1]),
        pension=PensionChoice(row[2]),
        pension_base_pct=int(row[3]),
        residents_tier=int(row[4]),
        medical=MedicalChoice(row[5]),
        accident_insurance=bool(row[6]),
        saving_rate=int(row[7]),
        personal_pension=int(row[8]),
    )


def decisions_from_message(d: DecisionsIn) -> Decisions:
    return Decisions(
        job=d.job,
        hours=Hours(d.hours),
        pension=PensionChoice(d.pension),
        pension_base_pct=d.pension_base_pct,
        residents_tier=d.residents_tier,
        medical=MedicalChoice(d.medical),
        accident_insurance=d.accident_insurance,
        saving_rate=d.saving_rate,
        personal_pension=d.personal_pension,
    )


def decisions_to_dict(d: Decisions) -> dict[str, Any]:
    return dict(zip(_FIELDS, decisions_to_list(d), strict=True))


def encode_log(log: list[Decisions] | tuple[Decisions, ...]) -> str:
    return json.dumps([decisions_to_list(d) for d in log], separators=(",", ":"))


def decode_log(raw: str | None) -> list[Decisions]:
    return [decisions_from_list(row) for row in json.loads(raw)] if raw else []


def decision_text(d: Decisions) -> str:
    """One decision in the log's form (what ``pending`` holds, appended to the log at close)."""
    return json.dumps(decisions_to_list(d), separators=(",", ":"))


def decision_from_text(raw: str) -> Decisions:
    return decisions_from_list(json.loads(raw))


def append_to_log(log_text: str | None, decision: str) -> str:
    """The log with one more round, without decoding the rounds before it."""
    if not log_text or log_text == "[]":
        return f"[{decision}]"
    return f"{log_text[:-1]},{decision}]"


LifeKey = tuple[str, int, str, int]
"""(room code, seed, player id, closed rounds): a player's life after that many rounds. A log
only grows, one round at each close, so these name a life without re-encoding its log; the seed
tells a room from an expired one whose code was drawn again."""


class LifeCache:
    """Lives by (room, player, closed rounds), the latest ones kept (bounded, least recently
    used); a miss replays the log from the longest cached prefix."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._cache: OrderedDict[LifeKey, LifeState] = OrderedDict()

    def get(self, key: LifeKey) -> LifeState | None:
        state = self._cache.get(key)
        if state is not None:
            self._cache.move_to_end(key)
        return state

    def life(
        self, scenario: Scenario, code: str, seed: int, player_id: str, log: list[Decisions]
    ) -> LifeState:
        key = (code, seed, player_id, len(log))
        state = self.get(key)
        if state is not None:
            return state
        start, state = 0, new_life(scenario, seed)
        if log:
            prefix = self.get((code, seed, player_id, len(log) - 1))
            if prefix is not None:
                state, start = prefix, len(log) - 1
        for d in log[start:]:
            result = apply(scenario, state, Decide(state.round, d))
            if isinstance(result, RuleViolation):
                raise ValueError(f"a stored log does not replay: {result.code}")
            state = result.state
        self.put(key, state)
        return state

    def put(self, key: LifeKey, state: LifeState) -> None:
        self._cache[key] = state
        self._cache.move_to_end(key)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
