"""What happened to a room: the events ``apply`` returns, and the only input of ``evolve``.

``public`` events go to the room's stream and to every client (``to_wire`` is their JSON, as
``docs/protocol.md`` lists them); the others (a close begun) change the room's state but tell the
clients nothing. Parts computed from the players' lives (a round's statistics, the podium) are
not room state: the service passes them in the command and they ride in ``extra``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

GameOverReason = Literal["complete", "host", "idle"]


@dataclass(frozen=True, slots=True)
class RoomEvent:
    public = True

    @property
    def kind(self) -> str:
        raise NotImplementedError

    def to_wire(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class PlayerJoined(RoomEvent):
    player_id: str
    nickname: str

    @property
    def kind(self) -> str:
        return "player_joined"

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "player_id": self.player_id, "nickname": self.nickname}


@dataclass(frozen=True, slots=True)
class GameStarted(RoomEvent):
    rounds: int

    @property
    def kind(self) -> str:
        return "game_started"

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "rounds": self.rounds}


@dataclass(frozen=True, slots=True)
class RoundOpened(RoomEvent):
    round: int
    deadline: int
    pool: bool
    rounds: int

    @property
    def kind(self) -> str:
        return "round_opened"

    def to_wire(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "round": self.round,
            "deadline": self.deadline,
            "pool": self.pool,
            "rounds": self.rounds,
        }


@dataclass(frozen=True, slots=True)
class Paused(RoomEvent):
    round: int
    remaining: int

    @property
    def kind(self) -> str:
        return "paused"

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "round": self.round, "remaining": self.remaining}


@dataclass(frozen=True, slots=True)
class Resumed(RoomEvent):
    round: int
    deadline: int

    @property
    def kind(self) -> str:
        return "resumed"

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "round": self.round, "deadline": self.deadline}


@dataclass(frozen=True, slots=True)
class PlayerKicked(RoomEvent):
    player_id: str

    @property
    def kind(self) -> str:
        return "player_kicked"

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "player_id": self.player_id}


@dataclass(frozen=True, slots=True)
class CloseBegun(RoomEvent):
    """An instance took the round's lease (taken over when the last holder's ran out)."""

    public = False
    round: int
    holder: str
    until: int

    @property
    def kind(self) -> str:
        return "close_begun"

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "round": self.round, "holder": self.holder, "until": self.until}


@dataclass(frozen=True, slots=True)
class RoundClosed(RoomEvent):
    round: int
    extra: Mapping[str, Any] = field(default_factory=dict)
    """The round's figures from the lives: players, defaulted, stats, leaderboard, pool."""

    @property
    def kind(self) -> str:
        return "round_closed"

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "round": self.round, **self.extra}


@dataclass(frozen=True, slots=True)
class GameOver(RoomEvent):
    reason: GameOverReason
    extra: Mapping[str, Any] = field(default_factory=dict)
    """At a complete game: the podium, stats and talking points."""

    @property
    def kind(self) -> str:
        return "game_over"

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "reason": self.reason, **self.extra}
