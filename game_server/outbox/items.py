"""The results outbox, pure part: key names, the items it holds, their encoders, the retry delay.

A room's results reach SQL through Redis: the room scripts write each result into the room's
outbox hash in the same script that commits the round or ends the game (so a result exists as
soon as the game says so, and survives the instance), and the drainer (``drainer.py``) copies the
outbox to SQL and empties it once SQL has acknowledged. Nothing here does I/O or reads a clock.

- ``{room:CODE}:outbox`` hash: field -> JSON text of one :data:`OutboxItem`. Fields:
  ``life:{player_id}``, ``room``, ``quiz:{player_id}:{phase}:{question_id}``. A later write of a
  field replaces the item (a life that played further).
- ``gig:outbox`` sorted set: room code -> when (ms) its outbox is next due to be flushed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter

from game_server.engine.counterfactual import Counterfactual
from game_server.stores.results import (
    LifeResultCreate,
    Mode,
    QuizAnswerCreate,
    QuizPhase,
    RoomSummaryCreate,
)

OUTBOX_INDEX = "gig:outbox"
"""Sorted set: room code -> when (ms) the room's outbox should next be flushed."""

ROOM_FIELD = "room"

RETRY_FIRST_MS = 500
RETRY_MAX_MS = 30_000


def outbox_key(code: str) -> str:
    """The room's outbox hash; the hash tag keeps it in the slot of the room's other keys."""
    return f"{{room:{code}}}:outbox"


def retry_key(code: str) -> str:
    """How many flushes of the room failed in a row (a counter, deleted by a success): kept in
    Redis, not in one instance's memory, because any instance may take the next attempt."""
    return f"{{room:{code}}}:outbox:retries"


def life_field(player_id: str) -> str:
    return f"life:{player_id}"


def quiz_field(player_id: str, phase: QuizPhase, question_id: str) -> str:
    return f"quiz:{player_id}:{phase}:{question_id}"


class LifeItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["life"] = "life"
    row: LifeResultCreate


class RoomItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["room"] = "room"
    row: RoomSummaryCreate


class QuizItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["quiz"] = "quiz"
    row: QuizAnswerCreate


OutboxItem = Annotated[LifeItem | RoomItem | QuizItem, Field(discriminator="kind")]
"""One row on its way to SQL, tagged by the table it goes to."""

_ITEM: TypeAdapter[LifeItem | RoomItem | QuizItem] = TypeAdapter(OutboxItem)


def parse_item(text: str) -> LifeItem | RoomItem | QuizItem:
    """An outbox value back as its item; raises ``pydantic.ValidationError`` if it is not one."""
    return _ITEM.validate_json(text)


def field_of(item: LifeItem | RoomItem | QuizItem) -> str:
    """The outbox field an item belongs in (the drainer refuses an item found elsewhere)."""
    match item:
        case LifeItem(row=row):
            return life_field(row.player_id)
        case RoomItem():
            return ROOM_FIELD
        case QuizItem(row=row):
            return quiz_field(row.player_id, row.phase, row.question_id)


def _text(item: LifeItem | RoomItem | QuizItem) -> str:
    return item.model_dump_json()


def life_entry(
    room_code: str,
    scenario_version: int,
    mode: Mode,
    player_id: str,
    nickname: str,
    counterfactual: Counterfactual,
    finished_at: datetime,
) -> tuple[str, str]:
    """The outbox field and value of a player's life, as far as it got.

    ``finished_at``: when this version of the life was made (the time of the round commit or of
    the game end; timezone-aware). It also orders versions: SQL keeps the one with the latest
    ``finished_at``, so two instances flushing at once cannot put an older version back."""
    row = LifeResultCreate.from_counterfactual(
        counterfactual,
        room_code=room_code,
        scenario_version=scenario_version,
        mode=mode,
        player_id=player_id,
        nickname=nickname,
        finished_at=finished_at,
    )
    return life_field(player_id), _text(LifeItem(row=row))


def room_entry(
    room_code: str,
    scenario_id: str,
    mode: Mode,
    players: int,
    created_at: datetime,
    finished_at: datetime | None,
    stats: Mapping[str, JsonValue],
    host_token_hash: str | None = None,
) -> tuple[str, str]:
    """The outbox field and value of the room's summary (``finished_at`` ``None``: still
    playing). Versions are ordered by ``finished_at``, else ``created_at``.

    ``host_token_hash``: the room's ``host_th`` (the SHA-256 of its host token), kept with the
    summary so the trainer can export the results after the room expired from Redis."""
    row = RoomSummaryCreate(
        room_code=room_code,
        scenario_id=scenario_id,
        mode=mode,
        players=players,
        created_at=created_at,
        finished_at=finished_at,
        stats=dict(stats),
        host_token_hash=host_token_hash,
    )
    return ROOM_FIELD, _text(RoomItem(row=row))


def quiz_entry(
    room_code: str,
    player_id: str,
    question_id: str,
    phase: QuizPhase,
    answer: int,
    correct: bool,
    answered_at: datetime,
) -> tuple[str, str]:
    """The outbox field and value of one quiz answer (a later answer to the same question and
    phase replaces it: versions are ordered by ``answered_at``)."""
    row = QuizAnswerCreate(
        room_code=room_code,
        player_id=player_id,
        question_id=question_id,
        phase=phase,
        answer=answer,
        correct=correct,
        answered_at=answered_at,
    )
    return quiz_field(player_id, phase, question_id), _text(QuizItem(row=row))


def split_items(
    items: Sequence[tuple[str, str]],
) -> tuple[list[LifeResultCreate], list[RoomSummaryCreate], list[QuizAnswerCreate]]:
    """Encoded items as the rows ``ResultsStore.save_batch`` takes (lives, rooms, quiz)."""
    lives: list[LifeResultCreate] = []
    rooms: list[RoomSummaryCreate] = []
    quiz: list[QuizAnswerCreate] = []
    for _, text in items:
        item = parse_item(text)
        if isinstance(item, LifeItem):
            lives.append(item.row)
        elif isinstance(item, RoomItem):
            rooms.append(item.row)
        else:
            quiz.append(item.row)
    return lives, rooms, quiz


def retry_delay_ms(failures: int) -> int:
    """How long to wait before the next flush after ``failures`` failed ones in a row: 0.5 s,
    doubling, at most 30 s (a database that is down is not hammered, one that is back is used
    again within half a minute)."""
    if failures < 1:
        return 0
    return min(RETRY_MAX_MS, RETRY_FIRST_MS << min(failures - 1, 16))


__all__ = [
    "OUTBOX_INDEX",
    "RETRY_FIRST_MS",
    "RETRY_MAX_MS",
    "ROOM_FIELD",
    "LifeItem",
    "OutboxItem",
    "QuizItem",
    "RoomItem",
    "field_of",
    "life_entry",
    "life_field",
    "outbox_key",
    "parse_item",
    "quiz_entry",
    "quiz_field",
    "retry_delay_ms",
    "retry_key",
    "room_entry",
]
