"""The room as a reducer: ``apply(state, command)`` -> ``Applied(state, events)`` or ``Refused``.

Built as a decider: ``decide`` reads the state and the command and says what happened (events)
or why not (a stable error code); ``evolve`` folds one event into the state. ``apply`` is the two
together, so replaying a room's events rebuilds its state (a property test checks it). No I/O,
no clock: Redis keeps the state and serialises writers (``stores/room_store.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from game_server.room.commands import (
    BeginClose,
    CommitClose,
    End,
    Expire,
    Join,
    Kick,
    OpenRound,
    Pause,
    Resume,
    RoomCommand,
    Start,
)
from game_server.room.events import (
    CloseBegun,
    GameOver,
    GameStarted,
    Paused,
    PlayerJoined,
    PlayerKicked,
    Resumed,
    RoomEvent,
    RoundClosed,
    RoundOpened,
)
from game_server.room.state import Lease, Mode, RoomState, RoundState, Status

WRONG_STATE: Final = "room/wrong_state"
FULL: Final = "room/full"
PLAYER_NOT_FOUND: Final = "room/player_not_found"
BUSY: Final = "room/busy"
"""A round is being closed: try again in a moment (a join waits for the close)."""
NOT_DUE: Final = "room/not_due"
"""Nothing to close now (the round is not due, or another instance holds a live lease)."""
LEASE_LOST: Final = "room/lease_lost"
"""The closer's lease ran out and another took the round: its commit is refused."""


@dataclass(frozen=True, slots=True)
class Applied:
    state: RoomState
    events: tuple[RoomEvent, ...]


@dataclass(frozen=True, slots=True)
class Refused:
    code: str
    reason: str


def new_room(
    mode: Mode, rounds: int, capacity: int, solo_player: tuple[str, str] | None = None
) -> Applied:
    """A new room: a workshop waits in its lobby; a solo game seats its player and opens round 0
    at once, with no deadline (the player sets the pace)."""
    state = RoomState(mode=mode, rounds=rounds, capacity=capacity)
    if solo_player is None:
        return Applied(state, ())
    events: tuple[RoomEvent, ...] = (
        PlayerJoined(*solo_player),
        GameStarted(rounds),
        RoundOpened(0, 0, False, rounds),
    )
    return Applied(_fold(state, events), events)


def apply(state: RoomState, command: RoomCommand) -> Applied | Refused:
    decided = decide(state, command)
    if isinstance(decided, Refused):
        return decided
    return Applied(_fold(state, decided), decided)


def _fold(state: RoomState, events: tuple[RoomEvent, ...]) -> RoomState:
    for event in events:
        state = evolve(state, event)
    return state


def decide(state: RoomState, command: RoomCommand) -> tuple[RoomEvent, ...] | Refused:
    """What the command makes happen in this state, or why it is refused."""
    s = state
    match command:
        case Join(player_id, nickname):
            if s.finished:
                return Refused(WRONG_STATE, "the game is over")
            if s.seats >= s.capacity:
                return Refused(FULL, "the room is full")
            if s.round_state is RoundState.CLOSING:
                return Refused(BUSY, "a round is closing")
            return (PlayerJoined(player_id, nickname),)
        case Start(now, seconds, pool):
            if s.status is not Status.LOBBY:
                return Refused(WRONG_STATE, "the game has started")
            return (GameStarted(s.rounds), _opened(s, 0, now, seconds, pool))
        case OpenRound(now, seconds, pool):
            if (
                s.status is not Status.PLAYING
                or s.round_state is not RoundState.CLOSED
                or s.round + 1 >= s.rounds
            ):
                return Refused(WRONG_STATE, "no round can open now")
            return (_opened(s, s.round + 1, now, seconds, pool),)
        case Pause(now):
            if s.status is not Status.PLAYING or s.round_state is not RoundState.OPEN:
                return Refused(WRONG_STATE, "no open round to pause")
            left = max(0, s.deadline - now) if s.deadline else 0
            return (Paused(s.round, left),)
        case Resume(now):
            if s.status is not Status.PAUSED:
                return Refused(WRONG_STATE, "the game is not paused")
            return (Resumed(s.round, now + s.remaining if s.remaining else 0),)
        case Kick(player_id, seated):
            if not seated:
                return Refused(PLAYER_NOT_FOUND, "there is no such player")
            if player_id in s.kicked:
                return Refused(WRONG_STATE, "that player was removed already")
            return (PlayerKicked(player_id),)
        case End():
            if s.finished:
                return Refused(WRONG_STATE, "the game is over")
            return (GameOver("host"),)
        case Expire():
            if s.finished:
                return Refused(WRONG_STATE, "the game is over")
            return (GameOver("idle"),)
        case BeginClose(holder, now, lease_ms, reason, wanted):
            return _begin_close(s, holder, now, lease_ms, reason, wanted)
        case CommitClose(holder, r, now, extra, game_over):
            if s.round_state is not RoundState.CLOSING or s.round != r:
                return Refused(LEASE_LOST, "the round is not being closed")
            if s.lease is None or s.lease.holder != holder:
                return Refused(LEASE_LOST, "another instance took the round over")
            events: list[RoomEvent] = [RoundClosed(r, extra)]
            if s.finished:
                pass  # ended by the host while closing: the round's lives still count
            elif r + 1 >= s.rounds:
                events.append(GameOver("complete", game_over))
            elif s.mode == "solo":
                events.append(RoundOpened(r + 1, 0, False, s.rounds))
            return tuple(events)
    raise AssertionError(f"unknown room command {command!r}")  # pragma: no cover


def _opened(s: RoomState, r: int, now: int, seconds: int, pool: bool) -> RoundOpened:
    return RoundOpened(r, now + seconds * 1000 if seconds > 0 else 0, pool, s.rounds)


def _begin_close(
    s: RoomState, holder: str, now: int, lease_ms: int, reason: str, wanted: int | None
) -> tuple[RoomEvent, ...] | Refused:
    if wanted is not None and wanted != s.round:
        return Refused(NOT_DUE, "that round is not current")
    if s.round_state is RoundState.CLOSING:
        assert s.lease is not None
        # A closer that died (or froze) past its lease: anyone takes the round over, whatever
        # its deadline, paused or not, so no round waits on a dead instance.
        if s.lease.until > now:
            return Refused(NOT_DUE, "another instance is closing the round")
        return (CloseBegun(s.round, holder, now + lease_ms),)
    if s.round_state is not RoundState.OPEN or s.finished:
        return Refused(NOT_DUE, "no round is open")
    if s.status is Status.PAUSED and reason != "host":
        return Refused(NOT_DUE, "the game is paused")
    if reason == "deadline" and (s.deadline == 0 or s.deadline > now):
        return Refused(NOT_DUE, "the round is not due")
    return (CloseBegun(s.round, holder, now + lease_ms),)


def evolve(state: RoomState, event: RoomEvent) -> RoomState:
    """The state after one event (every event but a join is a new version)."""
    s = state
    match event:
        case PlayerJoined():
            return replace(s, seats=s.seats + 1)
        case GameStarted():
            s = replace(s, status=Status.PLAYING)
        case RoundOpened(r, deadline, pool):
            s = replace(
                s,
                status=Status.PLAYING,
                round=r,
                round_state=RoundState.OPEN,
                deadline=deadline,
                remaining=0,
                pool=pool,
            )
        case Paused(_, remaining):
            s = replace(s, status=Status.PAUSED, remaining=remaining, deadline=0)
        case Resumed(_, deadline):
            s = replace(s, status=Status.PLAYING, deadline=deadline, remaining=0)
        case PlayerKicked(player_id):
            s = replace(s, kicked=s.kicked | {player_id})
        case CloseBegun(_, holder, until):
            s = replace(s, round_state=RoundState.CLOSING, lease=Lease(holder, until))
        case RoundClosed(r):
            status = Status.PLAYING if s.status is Status.PAUSED else s.status
            s = replace(
                s,
                status=status,
                round_state=RoundState.CLOSED,
                deadline=0,
                remaining=0,
                closed_rounds=r + 1,
                lease=None,
            )
        case GameOver():
            s = replace(s, status=Status.FINISHED, deadline=0, remaining=0)
        case _:  # pragma: no cover
            raise AssertionError(f"unknown room event {event!r}")
    return replace(s, version=s.version + 1)


KICKED: Final = "room/kicked"
ROUND_CLOSED: Final = "rule/round_closed"


def decision_refusal(s: RoomState, seated: bool, kicked: bool, round_index: int) -> str | None:
    """Why a player's decision for ``round_index`` is not taken now (``None``: it is). The
    hot-path script ``stores/lua/submit.lua`` applies this rule, in this order, on live data."""
    if not seated:
        return PLAYER_NOT_FOUND
    if kicked:
        return KICKED
    if s.status is not Status.PLAYING:
        return WRONG_STATE
    if s.round != round_index or s.round_state is not RoundState.OPEN:
        return ROUND_CLOSED
    return None


def invariant_violations(s: RoomState) -> list[str]:
    """What is wrong with a state (empty for every state ``apply`` can reach)."""
    wrong: list[str] = []
    if (s.round_state is RoundState.CLOSING) != (s.lease is not None):
        wrong.append("a lease exactly while closing")
    if s.status is Status.LOBBY and (s.round_state is not RoundState.NONE or s.round):
        wrong.append("no round in the lobby")
    if s.status in (Status.PLAYING, Status.PAUSED) and s.round_state is RoundState.NONE:
        wrong.append("a round once playing")
    if s.status is Status.PAUSED and s.round_state is RoundState.CLOSED:
        wrong.append("only an open (or closing) round is paused")
    if s.deadline and (s.status is not Status.PLAYING or s.round_state is RoundState.CLOSED):
        wrong.append("a deadline only on a playing round")
    if s.remaining and s.status is not Status.PAUSED:
        wrong.append("time remaining only while paused")
    if not 0 <= s.round < max(1, s.rounds):
        wrong.append("the round within the life")
    done = s.round + 1 if s.round_state is RoundState.CLOSED else s.round
    if s.status is not Status.LOBBY and s.closed_rounds != done:
        wrong.append("closed rounds counted")
    if s.status is Status.LOBBY and s.closed_rounds:
        wrong.append("nothing closed in the lobby")
    if s.seats > s.capacity or len(s.kicked) > s.seats:
        wrong.append("seats within capacity, kicked among them")
    if s.mode == "solo" and s.deadline:
        wrong.append("a solo game has no deadlines")
    return wrong
