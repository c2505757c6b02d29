"""The protocol client's pure state: sequences of server messages in, what it sends out.

Messages are shaped as ``docs/protocol.md`` shows them; every outgoing message must also be one
the server's own decoder accepts (``protocol/codec.py``).
"""

from __future__ import annotations

import json
from typing import Any

from game_server.protocol.client import ClientState, Json, defaults_policy, hello_message
from game_server.protocol.codec import decode

CODE = "482913"
PLAYER = "9f3a1c2b"
TOKEN = f"{CODE}.{PLAYER}.Xq0123456789"
QUIZ = ["hz-q-hukou", "hz-q-years", "hz-q-medical"]
DEFAULTS = {
    "job": "hz-meituan-rider",
    "hours": "full_time",
    "pension": "none",
    "pension_base_pct": 60,
    "residents_tier": 0,
    "medical": "residents",
    "accident_insurance": False,
    "saving_rate": 10,
    "personal_pension": 0,
}


def status(r: int) -> Json:
    return {"round": r, "stage": {"phase": "working"}, "defaults": dict(DEFAULTS), "options": {}}


def joined() -> Json:
    return {
        "type": "joined",
        "client_msg_id": "p-1",
        "code": CODE,
        "player_id": PLAYER,
        "player_token": TOKEN,
        "nickname": "小蜜蜂",
    }


def snapshot(seq: int, room_status: str, r: int, state: str, **extra: Any) -> Json:
    return {
        "type": "snapshot",
        "seq": seq,
        "code": CODE,
        "mode": "workshop",
        "quiz_ids": QUIZ,
        "rounds": 10,
        "room_status": room_status,
        "round": r,
        "round_state": state,
        "role": "player",
        "player_id": PLAYER,
        "status": status(r),
        **extra,
    }


def event(seq: int, kind: str, **fields: Any) -> Json:
    return {"type": "event", "seq": seq, "event": {"kind": kind, **fields}}


def opened(seq: int, r: int) -> Json:
    return event(seq, "round_opened", round=r, deadline=1764240000000, pool=False, rounds=10)


def result(seq: int, r: int) -> Json:
    return {"type": "round_result", "seq": seq, "status": status(r + 1), "stage": {"round": r}}


def ack(msg: Json, **fields: Any) -> Json:
    return {"type": "ack", "client_msg_id": msg["client_msg_id"], **fields}


def player(**options: Any) -> ClientState:
    return ClientState(
        choose=options.pop("choose", defaults_policy),
        answer=options.pop("answer", lambda qid, phase: 1),
        prefix="p",
        **options,
    )


def seated() -> tuple[ClientState, list[Json]]:
    """A player that joined a room in its lobby: returns it and what it sent on the snapshot."""
    me = player()
    assert me.connect() == [{"type": "hello", "protocol": 1}]
    join = me.join(CODE, "小蜜蜂")
    assert join["client_msg_id"] == "p-1"
    assert me.receive(joined()) == []
    sent = me.receive(snapshot(3, "lobby", 0, "none"))
    return me, sent


def decides(sent: list[Json]) -> list[int]:
    return [m["round"] for m in sent if m["type"] == "decide"]


def assert_valid(messages: list[Json]) -> None:
    """The server's decoder takes every message the client sends."""
    for m in messages:
        assert decode(json.dumps(m)).type == m["type"]


def test_a_join_then_the_lobby_snapshot_answers_the_pre_quiz_once() -> None:
    me, sent = seated()
    assert (me.role, me.code, me.player_id, me.token, me.last_seq) == (
        "player",
        CODE,
        PLAYER,
        TOKEN,
        3,
    )
    assert [(m["type"], m["phase"], m["question_id"]) for m in sent] == [
        ("quiz_answer", "pre", q) for q in QUIZ
    ]
    assert_valid(sent)
    # A second snapshot (after a reconnect) does not answer again.
    assert me.receive(snapshot(3, "lobby", 0, "none")) == []


def test_decides_each_round_once_when_it_opens_with_the_policy() -> None:
    seen: list[int] = []

    def careful(s: Json) -> Json:
        seen.append(s["round"])
        return {**s["defaults"], "pension": "employee", "medical": "employee"}

    me = player(choose=careful)
    me.receive(joined())
    me.receive(snapshot(3, "lobby", 0, "none"))
    assert me.receive(event(4, "game_started", rounds=10)) == []
    sent = me.receive(opened(5, 0), now=12.5)
    assert decides(sent) == [0]
    assert sent[0]["decisions"]["pension"] == "employee"
    assert me.opened_at == 12.5
    assert_valid(sent)
    # The ack comes before the round closes (the last decision closes it); nothing more to do.
    assert me.receive(ack(sent[0], round=0, decided=1, total=1)) == []
    assert [m["type"] for m in me.outbox.values()] == ["quiz_answer"] * 3
    assert me.receive(event(6, "round_closed", round=0, players=1, defaulted=0)) == []
    # The result brings round 1's status; round 1 is not open yet.
    assert me.receive(result(6, 0)) == []
    sent = me.receive(opened(7, 1))
    assert decides(sent) == [1]
    assert seen == [0, 1]


def test_a_round_that_opens_twice_is_decided_once() -> None:
    me, _ = seated()
    me.receive(event(4, "game_started", rounds=10))
    first = me.receive(opened(5, 0))
    assert decides(first) == [0]
    # The same round_opened again (replayed after a resume), and a snapshot of the open round.
    assert me.receive(opened(5, 0)) == []
    assert me.receive(snapshot(5, "playing", 0, "open")) == []
    assert me.decided == {0: 1}


def test_waits_for_the_status_of_the_open_round() -> None:
    """In solo the next round can open before the player's result arrives: it decides on the
    result, with the status of that round (not the old one)."""
    me, _ = seated()
    me.receive(event(4, "game_started", rounds=10))
    me.receive(opened(5, 0))
    me.receive(event(6, "round_closed", round=0, players=1, defaulted=0))
    assert me.receive(opened(7, 1)) == []  # the status is still round 0's
    sent = me.receive(result(6, 0))
    assert decides(sent) == [1]


def test_no_decision_while_paused_and_one_when_resumed() -> None:
    me, _ = seated()
    me.receive(event(4, "game_started", rounds=10))
    me.receive(event(5, "paused", round=0, remaining=30000))
    assert me.room_status == "paused"
    # A snapshot of a paused open round (a player joining late) does not decide either.
    assert me.receive(snapshot(5, "paused", 0, "open")) == []
    sent = me.receive(event(6, "resumed", round=0, deadline=1764240000000))
    assert decides(sent) == [0]


def test_a_decision_refused_while_paused_is_sent_again_once_the_room_plays() -> None:
    me, _ = seated()
    (decide,) = me.receive(snapshot(5, "playing", 0, "open"))
    assert me.receive(event(6, "paused", round=0, remaining=30000)) == []
    refused = {
        "type": "error",
        "code": "room/wrong_state",
        "client_msg_id": decide["client_msg_id"],
    }
    assert me.receive(refused) == []
    again = me.receive(event(7, "resumed", round=0, deadline=1764240000000))
    assert decides(again) == [0]
    assert again[0]["client_msg_id"] != decide["client_msg_id"]


def test_a_rule_refusal_is_retried_once_with_the_defaults() -> None:
    me = player(choose=lambda s: {**s["defaults"], "pension": "employee", "saving_rate": 50})
    me.receive(joined())
    (decide,) = [m for m in me.receive(snapshot(5, "playing", 0, "open")) if m["type"] == "decide"]
    refused = {
        "type": "error",
        "code": "rule/not_eligible",
        "client_msg_id": decide["client_msg_id"],
    }
    (retry,) = me.receive(refused)
    assert retry["decisions"] == DEFAULTS
    # A second refusal of the same round is not retried again and again.
    again = {"type": "error", "code": "rule/not_eligible", "client_msg_id": retry["client_msg_id"]}
    assert me.receive(again) == []
    assert me.decided == {0: 2}
    # A closed round is not retried at all.
    late = player()
    late.receive(joined())
    (d,) = [m for m in late.receive(snapshot(5, "playing", 0, "open")) if m["type"] == "decide"]
    closed = {"type": "error", "code": "rule/round_closed", "client_msg_id": d["client_msg_id"]}
    assert late.receive(closed) == []


def test_resume_sends_the_hello_with_token_and_last_seq_then_the_unanswered_actions() -> None:
    me, quiz = seated()
    me.receive(event(4, "game_started", rounds=10))
    (decide,) = me.receive(opened(5, 0))
    for q in quiz[:2]:
        me.receive(ack(q))
    me.receive(event(6, "player_joined", player_id="ab12", nickname="x"))
    # The connection drops before the decision's ack and the last quiz answer's.
    again = me.connect()
    assert again[0] == hello_message(TOKEN, 6)
    assert again[0] == {"type": "hello", "protocol": 1, "token": TOKEN, "last_seq": 6}
    assert again[1:] == [quiz[2], decide]  # the same ids, in the order first sent
    assert_valid(again)
    # The server replays what was missed and answers the repeated ids again: nothing new.
    assert me.receive({"type": "resumed", "seq": 9, "missed": 0}) == []
    assert me.last_seq == 6  # resumed.seq is not an event seen
    assert me.receive(ack(decide, round=0, decided=1, total=2)) == []
    assert me.receive(ack(quiz[2])) == []
    assert me.outbox == {}
    assert me.connect()[1:] == []


def test_a_join_without_its_answer_is_not_sent_again() -> None:
    """A second ``join`` would take a second seat: a drop before ``joined`` starts over."""
    me = player()
    me.connect()
    me.join(CODE, "x")
    assert me.connect() == [{"type": "hello", "protocol": 1}]
    assert me.outbox == {}


def test_kicked_game_over_and_room_gone_stop_it() -> None:
    kicked, _ = seated()
    kicked.receive(event(4, "game_started", rounds=10))
    assert kicked.receive(event(5, "player_kicked", player_id="someone")) == []
    assert not kicked.done
    assert kicked.receive(event(6, "player_kicked", player_id=PLAYER)) == []
    assert kicked.stopped == "room/kicked"
    assert kicked.done
    assert kicked.receive(opened(7, 1)) == []  # stopped: no more decisions

    gone, _ = seated()
    assert gone.receive({"type": "error", "code": "room/gone", "message": "the room is gone"}) == []
    assert (gone.stopped, gone.done) == ("room/gone", True)
    assert gone.receive(snapshot(5, "playing", 0, "open")) == []

    over, _ = seated()
    over.receive(event(4, "game_started", rounds=10))
    over.receive(event(20, "game_over", reason="host"))
    assert over.room_status == "finished"
    assert not over.done  # a player waits for its life's summary
    post = over.receive({"type": "life_over", "seq": 20, "life_over": {"summary": {"score": 612}}})
    assert [(m["phase"], m["question_id"]) for m in post] == [("post", q) for q in QUIZ]
    assert_valid(post)
    assert over.done
    assert over.receive(opened(21, 1)) == []


def test_a_host_tracks_the_room_and_never_decides() -> None:
    host = ClientState(choose=defaults_policy, answer=lambda q, p: 0, prefix="h")
    create = host.create_room("hangzhou-rider", "workshop", round_seconds=60)
    assert_valid([create])
    created = {
        "type": "room_created",
        "client_msg_id": create["client_msg_id"],
        "code": CODE,
        "mode": "workshop",
        "scenario_id": "hangzhou-rider",
        "rounds": 10,
        "host_token": f"{CODE}.host.Zk0123456789",
    }
    assert host.receive(created) == []
    assert (host.role, host.code, host.rounds) == ("host", CODE, 10)
    assert host.receive({**snapshot(1, "lobby", 0, "none"), "role": "host", "status": None}) == []
    start = host.host("start")
    open_next = host.host("open_round", seconds=90, pool=True)
    assert_valid([start, open_next])
    assert host.receive(ack(start, seq=3, deadline=0)) == []
    assert host.receive(opened(3, 0)) == []
    assert host.receive(event(0, "decided", round=0, decided=1, total=2)) == []
    assert host.last_seq == 3  # the hosts' decision counts have seq 0
    assert host.receive(event(9, "game_over", reason="complete")) == []
    assert host.done


def test_unknown_messages_kinds_and_fields_are_ignored() -> None:
    me, _ = seated()
    assert me.receive({"type": "surprise", "seq": 99, "x": 1}) == []
    assert me.last_seq == 3
    assert me.receive(event(4, "weather", rain=True)) == []
    assert me.receive(event(5, "game_started", rounds=10, extra={"new": 1})) == []
    assert me.last_seq == 5
    sent = me.receive({**opened(6, 0), "new_field": [1, 2]})
    assert decides(sent) == [0]


def test_without_policies_it_only_tracks() -> None:
    """The end-to-end tests drive their clients: the state sends nothing by itself."""
    me = ClientState()
    me.receive(joined())
    assert me.receive(snapshot(5, "playing", 0, "open")) == []
    assert me.status is not None
    assert me.status["round"] == 0
    assert me.receive({"type": "life_over", "seq": 30, "life_over": {"summary": {}}}) == []
    assert me.done
