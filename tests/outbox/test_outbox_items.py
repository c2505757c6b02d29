"""The outbox's pure part: fields and values made by the encoders, read back, and the backoff."""

from __future__ import annotations

import hashlib

import pytest
from outbox.outbox_support import SCENARIO, T0, a_life, life, quiz, room
from pydantic import ValidationError
from redis.crc import key_slot

from game_server.outbox.items import (
    OUTBOX_INDEX,
    LifeItem,
    QuizItem,
    RoomItem,
    field_of,
    outbox_key,
    parse_item,
    retry_delay_ms,
    retry_key,
    room_entry,
)
from game_server.stores.room_store import RoomKeys


def test_keys_share_the_room_slot() -> None:
    # A Redis Cluster must keep the outbox with the room's keys: the scripts that fill it
    # run on the room's keys.
    slot = key_slot(RoomKeys("123456").meta.encode())
    assert key_slot(outbox_key("123456").encode()) == slot
    assert key_slot(retry_key("123456").encode()) == slot
    assert outbox_key("123456") == "{room:123456}:outbox"
    assert OUTBOX_INDEX == "gig:outbox"


def test_a_life_entry_reads_back_as_the_result_of_the_life() -> None:
    field, text = life("123456", "p1")
    item = parse_item(text)
    assert field == "life:p1"
    assert isinstance(item, LifeItem)
    cf = a_life()
    row = item.row
    assert (row.room_code, row.player_id, row.nickname) == ("123456", "p1", "小王")
    assert (row.scenario_id, row.seed, row.score) == (SCENARIO, cf.actual.seed, cf.actual.score)
    assert row.badges == list(cf.actual.badges)
    assert row.summary.uninsured.score == cf.uninsured.score
    assert row.finished_at == T0
    assert field_of(item) == field


def test_room_and_quiz_entries_read_back() -> None:
    field, text = room("123456", players=3)
    summary = parse_item(text)
    assert field == "room"
    assert isinstance(summary, RoomItem)
    assert (summary.row.players, summary.row.finished_at) == (3, T0)
    assert summary.row.stats == {"mean_score": 512.5}
    assert field_of(summary) == "room"

    field, text = quiz("123456", "p1", "q2", answer=2)
    answer = parse_item(text)
    assert field == "quiz:p1:pre:q2"
    assert isinstance(answer, QuizItem)
    assert (answer.row.answer, answer.row.correct, answer.row.phase) == (2, False, "pre")
    assert field_of(answer) == field


def test_a_room_entry_carries_the_host_token_hash() -> None:
    """The room's ``host_th`` rides with its summary to SQL (the export after the room
    expired checks it); without one the row has none."""
    host_th = hashlib.sha256(b"secret").hexdigest()
    _, text = room_entry("123456", SCENARIO, "workshop", 2, T0, T0, {}, host_token_hash=host_th)
    item = parse_item(text)
    assert isinstance(item, RoomItem)
    assert item.row.host_token_hash == host_th
    plain = parse_item(room("123456")[1])
    assert isinstance(plain, RoomItem)
    assert plain.row.host_token_hash is None


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"kind": "vote", "row": {}}',
        '{"kind": "quiz", "row": {"room_code": "123456"}}',
        '{"kind": "room", "row": {"room_code": "", "scenario_id": "x", "mode": "solo",'
        ' "players": 1, "created_at": "2026-03-01T12:00:00Z"}}',
    ],
)
def test_what_is_no_item_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_item(text)


def test_an_encoder_refuses_a_bad_row() -> None:
    with pytest.raises(ValidationError):
        quiz("123456", "p1", answer=-1)


def test_retry_delay_doubles_from_half_a_second_to_thirty() -> None:
    assert [retry_delay_ms(n) for n in range(8)] == [0, 500, 1000, 2000, 4000, 8000, 16000, 30000]
    assert retry_delay_ms(10_000) == 30_000
