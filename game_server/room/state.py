"""The state of a room: where it is in its life, who sits in it, and who is closing its round.

Frozen values: ``apply`` returns a new state and the old one is unchanged, so a store can compare
``version`` before writing (a stale writer is refused, as boardgame.io refuses a stale move).
What a room's players chose and lived is not here: decisions and logs are the players' (Redis
hashes beside the room), the room state is only what every rule of the room depends on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Mode = Literal["solo", "workshop"]


class Status(StrEnum):
    LOBBY = "lobby"
    PLAYING = "playing"
    PAUSED = "paused"
    FINISHED = "finished"


class RoundState(StrEnum):
    NONE = "none"
    """No round yet (the lobby)."""
    OPEN = "open"
    CLOSING = "closing"
    """An instance holds the lease and is playing the round's lives."""
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Lease:
    """Who is closing the round, and until when (ms) the others leave it to them."""

    holder: str
    until: int


@dataclass(frozen=True, slots=True)
class RoomState:
    mode: Mode
    rounds: int
    """Rounds in the life the room plays (fixed when the room is made)."""
    capacity: int
    """Seats at most."""
    status: Status = Status.LOBBY
    round: int = 0
    round_state: RoundState = RoundState.NONE
    deadline: int = 0
    """When the open round closes by itself (ms since the epoch); 0: only when all decided or
    the host closes it."""
    remaining: int = 0
    """While paused: the ms the round had left (0: it had no deadline)."""
    pool: bool = False
    """The open round is a risk-pool round."""
    closed_rounds: int = 0
    lease: Lease | None = None
    seats: int = 0
    kicked: frozenset[str] = frozenset()
    version: int = 0
    """Bumped by every change but a join (joins only add a seat; they never race a rule)."""

    @property
    def active_seats(self) -> int:
        return self.seats - len(self.kicked)

    @property
    def finished(self) -> bool:
        return self.status is Status.FINISHED
