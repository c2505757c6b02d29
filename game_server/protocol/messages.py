"""The WebSocket protocol: every client message as a pydantic model, one discriminated union.

A message is a JSON object with a ``type``. The first message on a connection is ``hello`` with
the protocol version (and, to resume, the player's token and the last sequence number seen).
Actions that change something carry a ``client_msg_id``: a repeated id is answered again, never
applied twice. ``docs/protocol.md`` lists every message with an example.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 16 * 1024

ClientMsgId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Code = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Token = Annotated[str, StringConstraints(max_length=200)]
"""Any text up to 200 characters: a malformed token is ``auth/bad_token``, not a bad message."""
ShortId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,47}$")]
Nickname = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""Raw nickname as sent; the service cleans it (see ``service/nicknames.py``)."""


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DecisionsIn(Message):
    """A round's decisions as sent by a client; the engine checks what is allowed."""

    job: ShortId | None = None
    hours: Literal["part_time", "full_time", "long_hours"] = "full_time"
    pension: Literal["none", "residents", "employee"] = "none"
    pension_base_pct: StrictInt = Field(default=60, ge=0, le=1000)
    residents_tier: StrictInt = Field(default=0, ge=0, le=100_000)
    medical: Literal["none", "residents", "employee"] = "none"
    accident_insurance: StrictBool = False
    saving_rate: StrictInt = Field(default=10, ge=0, le=100)
    personal_pension: StrictInt = Field(default=0, ge=0, le=1_000_000)


class Hello(Message):
    type: Literal["hello"]
    protocol: StrictInt
    token: Token | None = None
    last_seq: StrictInt | None = Field(default=None, ge=0)


class CreateRoom(Message):
    type: Literal["create_room"]
    client_msg_id: ClientMsgId
    scenario_id: ShortId
    mode: Literal["solo", "workshop"]
    nickname: Nickname | None = None
    """Solo: the player's nickname (a friendly default if none)."""
    round_seconds: StrictInt | None = Field(default=None, ge=10, le=3600)
    passcode: Annotated[str, StringConstraints(max_length=200)] | None = None


class JoinRoom(Message):
    type: Literal["join"]
    client_msg_id: ClientMsgId
    code: Code
    nickname: Nickname | None = None


class Decide(Message):
    type: Literal["decide"]
    client_msg_id: ClientMsgId
    round: StrictInt = Field(ge=0, le=100)
    decisions: DecisionsIn


class QuizAnswer(Message):
    type: Literal["quiz_answer"]
    client_msg_id: ClientMsgId
    phase: Literal["pre", "post"]
    question_id: ShortId
    answer: StrictInt = Field(ge=0, le=10)


class HostAction(Message):
    """What only the host may do. ``seconds``: the round's length for ``open_round``; ``pool``:
    make it a risk-pool round; ``player_id``: for ``kick``."""

    type: Literal["host"]
    client_msg_id: ClientMsgId
    action: Literal["start", "open_round", "close_round", "pause", "resume", "kick", "end"]
    seconds: StrictInt | None = Field(default=None, ge=10, le=3600)
    pool: StrictBool = False
    player_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,16}$")] | None = None


class Ping(Message):
    type: Literal["ping"]


ClientMessage = Annotated[
    Hello | CreateRoom | JoinRoom | Decide | QuizAnswer | HostAction | Ping,
    Field(discriminator="type"),
]
