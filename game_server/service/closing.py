"""Closing a round: every life of the room plays it, once, and every figure and view the room's
events and players need is computed from those lives here, once (the closer's one pass).

Pure apart from the life cache it is given: the closer (``service/rooms.py``) reads the room in
``begin close``, steps a ``RoundCloser``, and writes what it returns in ``commit close``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from game_server.content.schema import Scenario
from game_server.engine import (
    Counterfactual,
    Decide,
    LifeState,
    RuleViolation,
    apply,
    counterfactual,
    default_decisions,
    summarize,
)
from game_server.engine.counterfactual import TwinKey
from game_server.engine.decisions import Decisions
from game_server.engine.scoring import LifeSummary
from game_server.protocol.codec import encode
from game_server.service.debrief import talking_points
from game_server.service.lives import (
    LifeCache,
    append_to_log,
    decision_from_text,
    decision_text,
    decode_log,
)
from game_server.service.room_stats import (
    game_stats,
    leaderboard,
    pool_view,
    round_bills,
    round_stats,
)
from game_server.service.views import counterfactual_view, stage_view, status_view, summary_view

LEADERBOARD_SIZE = 10
OVER = "|over"
"""Suffix of a player's field in the room's ``results`` hash holding the end of their life."""


@dataclass(frozen=True, slots=True)
class RoomLives:
    """What a close needs to know about the room that never changes."""

    code: str
    scenario: Scenario
    seed: int
    rounds: int


FRESH_ROOMS = 1_000
"""Rooms whose last close is kept in :class:`FreshResults` (the oldest are forgotten first):
about 34 KB for a room of ten, so at most a few tens of MB."""


class FreshResults:
    """Each room's views from its last round closed by this instance, kept from the commit
    until they are forwarded: its players' ``round_result`` (and ``life_over``) are then sent
    from memory, not read back from Redis where the same step wrote them (a room of ten: ~34 KB
    read and parsed per round). Keyed by the closing step's event numbers, so an event of any
    other step (another instance's close, a room ended by its host) is read from Redis."""

    def __init__(self, rooms: int = FRESH_ROOMS) -> None:
        self.rooms = rooms
        self._by_room: dict[str, tuple[int, int, Mapping[str, str]]] = {}

    def keep(self, code: str, first_seq: int, last_seq: int, results: Mapping[str, str]) -> None:
        """The views a commit wrote, with the sequence numbers of the events it published."""
        self._by_room.pop(code, None)  # re-inserted last: dicts keep insertion order
        self._by_room[code] = (first_seq, last_seq, results)
        if len(self._by_room) > self.rooms:
            del self._by_room[next(iter(self._by_room))]

    def of(self, code: str, seq: int) -> Mapping[str, str] | None:
        """The views written with event ``seq`` of the room, if this instance wrote them."""
        entry = self._by_room.get(code)
        if entry is None or not entry[0] <= seq <= entry[1]:
            return None
        return entry[2]

    def forget(self, code: str) -> None:
        self._by_room.pop(code, None)


def life_of(cache: LifeCache, room: RoomLives, player_id: str, log_text: str | None) -> LifeState:
    log = decode_log(log_text)
    return cache.life(room.scenario, room.code, room.seed, player_id, log)


class RoundCloser:
    """Round ``round_index`` played by every seated player's life: their stored decision
    (checked when it was sent), or the defaults for who did not decide. The caller steps it a
    player at a time (``play``, then ``view``) so a big room does not hold the event loop, then
    takes the round's figures (``figures``)."""

    def __init__(
        self,
        room: RoomLives,
        cache: LifeCache,
        round_index: int,
        players: Mapping[str, str],
        logs: Mapping[str, str],
        pending: Mapping[str, str],
        kicked: frozenset[str],
    ) -> None:
        self.room, self.cache, self.round = room, cache, round_index
        self.players, self.logs, self.pending = players, logs, pending
        self.seated = [pid for pid in players if pid not in kicked]
        self.finished = round_index + 1 >= room.rounds
        self.new_logs: dict[str, str] = {}
        self.lives: dict[str, LifeState] = {}
        self.played: dict[str, Decisions] = {}
        self.summaries: dict[str, LifeSummary] = {}
        self.counterfactuals: dict[str, Counterfactual] = {}
        self.results: dict[str, str] = {}
        self.defaulted = 0
        self.twins: dict[TwinKey, LifeSummary] = {}
        """The room's twin lives (insured, uninsured) so far: one seed, so players who chose the
        same work and savings share them."""

    def play(self, pid: str) -> None:
        scenario, r = self.room.scenario, self.round
        log_text = self.logs.get(pid) or "[]"
        # The life after r closed rounds: cached by whoever closed the last round; decoded from
        # the log only on a miss.
        life = self.cache.get((self.room.code, self.room.seed, pid, r)) or life_of(
            self.cache, self.room, pid, log_text
        )
        # Normally one step (round r); a life that is behind (it should not be, but a room must
        # never stall on one seat) catches up with the defaults.
        while not life.finished and life.round <= r:
            raw = self.pending.get(pid) if life.round == r else None
            decisions = decision_from_text(raw) if raw is not None else None
            result = apply(scenario, life, Decide(life.round, decisions)) if decisions else None
            if decisions is None or result is None or isinstance(result, RuleViolation):
                decisions = default_decisions(scenario, life)
                self.defaulted += life.round == r
                result = apply(scenario, life, Decide(life.round, decisions))
                assert not isinstance(result, RuleViolation)
            if life.round == r:
                self.played[pid] = decisions
            log_text = append_to_log(log_text, decision_text(decisions))
            life = result.state
            self.cache.put((self.room.code, self.room.seed, pid, len(life.history)), life)
            self.new_logs[pid] = log_text
        self.lives[pid] = life

    def view(self, pid: str) -> None:
        """The player's summary (and, at the end, the life beside its insured and uninsured
        twins) and views, each computed once."""
        scenario, life = self.room.scenario, self.lives[pid]
        summary: LifeSummary | None = None
        if self.finished:
            cf = self.counterfactuals[pid] = counterfactual(scenario, life, self.twins)
            summary = cf.actual
        elif life.history:
            summary = summarize(scenario, life)
        if summary is not None and life.history:
            self.summaries[pid] = summary
        self.results[pid] = encode(player_views(scenario, life, summary, timeline=False))
        if self.finished:
            self.results[pid + OVER] = encode(end_views(scenario, life, self.counterfactuals[pid]))

    def figures(self, pool: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ``round_closed`` event's figures, and (the last round) ``game_over``'s."""
        nicknames = {pid: {"nick": nick} for pid, nick in self.players.items()}
        extra: dict[str, Any] = {
            "players": len(self.lives),
            "defaulted": self.defaulted,
            "stats": round_stats(self.lives, self.round),
            "leaderboard": leaderboard(self.summaries, nicknames, LEADERBOARD_SIZE),
        }
        if pool:
            extra["pool"] = pool_view(round_bills(self.lives, self.played, self.round))
        over: dict[str, Any] = {}
        if self.finished:
            over = {
                "podium": leaderboard(self.summaries, nicknames, 3),
                "stats": game_stats(self.summaries),
                "talking_points": talking_points(self.room.scenario, self.lives, self.summaries),
            }
        return extra, over


def player_views(
    scenario: Scenario, life: LifeState, summary: LifeSummary | None = None, timeline: bool = True
) -> dict[str, Any]:
    """Where a player's life stands after a round: for ``round_result`` (without the timeline:
    the phone has the rounds it saw) and for snapshots and the end (with it)."""
    return {
        "status": status_view(scenario, life, summary, timeline),
        "stage": stage_view(life.history[-1]) if life.history else None,
    }


def end_views(scenario: Scenario, life: LifeState, cf: Counterfactual) -> dict[str, Any]:
    """A life at its end as ``life_over`` and a late snapshot show it: where it stands (with
    the timeline) and the summary beside its twins."""
    return {**player_views(scenario, life, cf.actual), **over_view(cf)}


def over_view(cf: Counterfactual) -> dict[str, Any]:
    """The end of a life as the player sees it: the summary beside the same life insured and
    not."""
    return {
        "life_over": {"summary": summary_view(cf.actual), "counterfactual": counterfactual_view(cf)}
    }
