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


class LifeCache:
    """Rebuilds lives from logs, remembering the latest ones (bounded, least recently used)."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._cache: OrderedDict[tuple[str, int, str], LifeState] = OrderedDict()

    def life(self, scenario: Scenario, seed: int, log: list[Decisions]) -> LifeState:
        key = (scenario.id, seed, encode_log(log))
        state = self._cache.get(key)
        if state is not None:
            self._cache.move_to_end(key)
            return state
        # Start from the longest cached prefix (usually the log without its last round).
        state = new_life(scenario, seed)
        start = 0
        if log:
            prefix = self._cache.get((scenario.id, seed, encode_log(log[:-1])))
            if prefix is not None:
                state, start = prefix, len(log) - 1
        for d in log[start:]:
            result = apply(scenario, state, Decide(state.round, d))
            if isinstance(result, RuleViolation):
                raise ValueError(f"a stored log does not replay: {result.code}")
            state = result.state
        self.put(scenario, seed, log, state)
        return state

    def put(self, scenario: Scenario, seed: int, log: list[Decisions], state: LifeState) -> None:
        self._cache[(scenario.id, seed, encode_log(log))] = state
        self._cache.move_to_end((scenario.id, seed, encode_log(log)))
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
