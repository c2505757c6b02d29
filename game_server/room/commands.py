"""What can be asked of a room. ``now`` is never read from a clock: the caller passes it in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

CloseReason = Literal["all_decided", "deadline", "host"]


@dataclass(frozen=True, slots=True)
class Join:
    player_id: str
    nickname: str


@dataclass(frozen=True, slots=True)
class Start:
    now: int
    seconds: int
    """The round's length (0: no deadline, as in a solo game)."""
    pool: bool = False


@dataclass(frozen=True, slots=True)
class OpenRound:
    now: int
    seconds: int
    pool: bool = False


@dataclass(frozen=True, slots=True)
class Pause:
    now: int


@dataclass(frozen=True, slots=True)
class Resume:
    now: int


@dataclass(frozen=True, slots=True)
class Kick:
    player_id: str
    seated: bool
    """Whether the room has that player (read with the state: seats are the players' hash)."""


@dataclass(frozen=True, slots=True)
class End:
    """The host ends the game (the lives as far as they got are saved)."""


@dataclass(frozen=True, slots=True)
class Expire:
    """Nobody touched the room for its idle time: it is disposed of (lives saved)."""


@dataclass(frozen=True, slots=True)
class BeginClose:
    """Take the round's lease to close it. ``round`` ``None``: whatever round is current (the
    poller's case, which does not know it)."""

    holder: str
    now: int
    lease_ms: int
    reason: CloseReason
    round: int | None = None


@dataclass(frozen=True, slots=True)
class CommitClose:
    """The lease holder has played the round's lives: the round is closed. ``extra`` and
    ``game_over`` are the figures from those lives for the events (``game_over`` used when this
    was the last round). A solo room opens its next round in the same step (``now``)."""

    holder: str
    round: int
    now: int
    extra: Mapping[str, Any] = field(default_factory=dict)
    game_over: Mapping[str, Any] = field(default_factory=dict)


RoomCommand = (
    Join | Start | OpenRound | Pause | Resume | Kick | End | Expire | BeginClose | CommitClose
)
