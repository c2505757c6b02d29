"""Every message the server sends, as pydantic models: one discriminated union, like the inbound
one (``messages.py``). ``docs/protocol.md`` is checked against these names by a test, and the
end-to-end tests validate every frame a client receives against ``ServerMessage``.

The large views inside (a life's status, a stage, a summary) are the engine's values as JSON
(``service/views.py``) and stay open dictionaries here; their fields are listed in the protocol
document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

EventKind = Literal[
    "player_joined",
    "game_started",
    "round_opened",
    "paused",
    "resumed",
    "player_kicked",
    "decided",
    "round_closed",
    "game_over",
]
"""The room event kinds clients receive (``decided``: to hosts only, unnumbered)."""
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)


class Outbound(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def wire(self) -> dict[str, Any]:
        """The message as its JSON object (the fields it was given)."""
        return self.model_dump(exclude_unset=True)

    # A message also reads like the JSON object it becomes (tests, the terminal, the bots).
    def __getitem__(self, key: str) -> Any:
        return self.wire()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.wire()

    def get(self, key: str, default: Any = None) -> Any:
        return self.wire().get(key, default)


class Welcome(Outbound):
    type: Literal["welcome"]
    protocol: int
    instance: str


class Pong(Outbound):
    type: Literal["pong"]


class RoomCreated(Outbound):
    type: Literal["room_created"]
    client_msg_id: str
    code: str
    mode: Literal["solo", "workshop"]
    scenario_id: str
    rounds: int
    host_token: str | None = None
    player_id: str | None = None
    player_token: str | None = None
    nickname: str | None = None
    join_url: str | None = None


class Joined(Outbound):
    type: Literal["joined"]
    client_msg_id: str
    code: str
    player_id: str
    player_token: str
    nickname: str


class Ack(Outbound):
    """The answer to an action: a decision's carries the round's count, a host action's the
    event's ``seq`` and the round's ``deadline``, a post-game quiz answer's the right answer."""

    type: Literal["ack"]
    client_msg_id: str
    round: int | None = None
    decided: int | None = None
    total: int | None = None
    all_decided: bool | None = None
    seq: int | None = None
    deadline: int | None = None
    correct: bool | None = None
    answer: int | None = None


class Snapshot(Outbound):
    type: Literal["snapshot"]
    role: Literal["host", "player"]
    seq: int
    code: str
    mode: Literal["solo", "workshop"]
    scenario_id: str
    quiz_ids: list[str]
    rounds: int
    room_status: Literal["lobby", "playing", "paused", "finished"]
    round: int
    round_state: Literal["none", "open", "closing", "closed"]
    deadline: int
    remaining: int
    pool: bool
    decided: int
    player_count: int
    players: list[dict[str, Any]] | None = None
    player_id: str | None = None
    nickname: str | None = None
    status: dict[str, Any] | None = None
    last_stage: dict[str, Any] | None = None
    pending: dict[str, Any] | None = None
    life_over: dict[str, Any] | None = None


class EventBody(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    kind: EventKind


class Event(Outbound):
    type: Literal["event"]
    seq: int = Field(ge=0)
    event: EventBody


class RoundResult(Outbound):
    type: Literal["round_result"]
    seq: int
    status: dict[str, Any]
    stage: dict[str, Any] | None


class LifeOver(Outbound):
    type: Literal["life_over"]
    seq: int
    status: dict[str, Any]
    stage: dict[str, Any] | None
    life_over: dict[str, Any]


class Resumed(Outbound):
    type: Literal["resumed"]
    seq: int
    missed: int


class Error(Outbound):
    type: Literal["error"]
    code: str
    message: str
    client_msg_id: str | None = None


ServerMessage = Annotated[
    Welcome
    | Pong
    | RoomCreated
    | Joined
    | Ack
    | Snapshot
    | Event
    | RoundResult
    | LifeOver
    | Resumed
    | Error,
    Field(discriminator="type"),
]

SERVER_MESSAGE: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)


def server_message_types() -> set[str]:
    """The ``type`` of every message the server sends."""
    out: set[str] = set()
    for model in (Welcome, Pong, RoomCreated, Joined, Ack, Snapshot, Event, RoundResult,
                  LifeOver, Resumed, Error):  # fmt: skip
        annotation = model.model_fields["type"].annotation
        out.update(getattr(annotation, "__args__", ()))
    return out
