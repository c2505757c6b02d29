"""The room master against a real Redis server: rooms, rounds, deadlines, leases, errors.

The clock is injected, so deadlines and leases are tested without waiting; everything else is
real (Lua scripts, streams, two service instances racing on one Redis).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from game_server.config import Settings
from game_server.content.loader import load_all
from game_server.outbox.items import LifeItem, OutboxItem, QuizItem, outbox_key, parse_item
from game_server.protocol import errors
from game_server.protocol.errors import ProtocolError
from game_server.protocol.messages import (
    CreateRoom,
    Decide,
    DecisionsIn,
    HostAction,
    QuizAnswer,
)
from game_server.protocol.outbound import Ack
from game_server.room import Applied, BeginClose, CommitClose
from game_server.room import apply as room_apply
from game_server.service.closing import FreshResults
from game_server.service.lives import decision_from_text, decode_log
from game_server.service.rooms import (
    Identity,
    RoomService,
)
from game_server.stores.room_store import Committed, Conflict, RoomKeys, RoomStore

SCENARIOS = load_all()
T0 = 1_800_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_service(redis: Redis, clock: Clock, instance: str, cap: int = 500) -> RoomService:
    settings = Settings(
        redis_url="redis://unused", instance_id=instance, round_close_lease_seconds=5
    )
    # No SQL: every result stays in the room's outbox, where these tests read it.
    return RoomService(RoomStore(redis, cap, 3600), SCENARIOS, settings, None, clock)


@pytest.fixture
async def service(redis: Redis, clock: Clock) -> AsyncIterator[RoomService]:
    svc = make_service(redis, clock, "a")
    yield svc
    await svc.drain()


async def outbox(redis: Redis, code: str) -> list[OutboxItem]:
    """The results the room has produced for SQL, in field order."""
    raw = await redis.hgetall(outbox_key(code))
    return [parse_item(text(raw[f])) for f in sorted(raw)]


async def workshop(svc: RoomService, players: int = 3, seconds: int = 60) -> tuple[str, Identity]:
    created = await svc.create_room(
        CreateRoom(
            type="create_room",
            client_msg_id="c",
            scenario_id="hangzhou-rider",
            mode="workshop",
            round_seconds=seconds,
        )
    )
    host = await svc.authenticate(created["host_token"])
    assert host.is_host
    for i in range(players):
        ident, _ = await svc.join(created["code"], f"p{i}")
        assert ident.player_id is not None
        await svc.mark_presence(created["code"], {ident.player_id: 600})  # as if on a phone
    return created["code"], host


async def host(svc: RoomService, ident: Identity, action: str, **kw: Any) -> Ack:
    return await svc.host_action(
        ident, HostAction(type="host", client_msg_id=f"{action}-{kw}", action=action, **kw)
    )


def text(value: bytes | str | None) -> str:
    """A value from the test's Redis client, which decodes responses to text."""
    assert isinstance(value, str), value
    return value


async def player_ids(redis: Redis, code: str) -> list[str]:
    return sorted(text(k) for k in await redis.hkeys(RoomKeys(code).players))


def quiz(msg_id: str, phase: str, question_id: str, answer: int) -> QuizAnswer:
    return QuizAnswer.model_validate(
        {
            "type": "quiz_answer",
            "client_msg_id": msg_id,
            "phase": phase,
            "question_id": question_id,
            "answer": answer,
        }
    )


def decide_msg(round_index: int, msg_id: str, **decisions: Any) -> Decide:
    return Decide(
        type="decide",
        client_msg_id=msg_id,
        round=round_index,
        decisions=DecisionsIn(job="hz-meituan-rider", **decisions),
    )


async def events(redis: Redis, code: str) -> list[dict[str, Any]]:
    entries = await redis.xrange(RoomKeys(code).events)
    assert entries is not None
    return [json.loads(text((fields or {})["d"])) for _, fields in entries]


async def test_create_join_and_snapshot(service: RoomService, redis: Redis) -> None:
    code, host_ident = await workshop(service, players=2)
    assert len(code) == 6
    assert code.isdigit()
    snap = await service.snapshot(host_ident)
    assert snap["role"] == "host"
    assert snap["room_status"] == "lobby"
    assert sorted(p["nickname"] for p in snap["players"]) == ["p0", "p1"]
    kinds = [e["kind"] for e in await events(redis, code)]
    assert kinds == ["player_joined", "player_joined"]
    # every room key expires when idle
    assert await redis.pttl(RoomKeys(code).meta) > 0


async def test_nicknames_are_cleaned_and_defaulted(service: RoomService) -> None:
    code, _ = await workshop(service, players=0)
    _, joined = await service.join(code, "  Ali\u202ece <b>x</b>\x00\n ")
    assert joined["nickname"] == "Alice <b>x</b>"
    _, anonymous = await service.join(code, "\u200b\u202e")
    assert anonymous["nickname"]  # a friendly default, never empty
    _, long = await service.join(code, "长" * 100)
    assert len(long["nickname"]) == 24


async def test_a_round_closes_when_everyone_decided(service: RoomService, redis: Redis) -> None:
    code, host_ident = await workshop(service, players=2)
    await host(service, host_ident, "start")
    ids = await player_ids(redis, code)
    first = await service.decide(Identity(code, ids[0]), decide_msg(0, "m1", pension="employee"))
    assert (first["decided"], first["total"]) == (1, 2)
    assert not first["all_decided"]
    second = await service.decide(Identity(code, ids[1]), decide_msg(0, "m2"))
    assert (second["decided"], second["total"]) == (2, 2)
    assert second["all_decided"]
    # The close runs after the ack is sent (the player hears "accepted" before the round ends).
    assert (await redis.hget(RoomKeys(code).meta, "round_state")) != "closed"
    await service.drain()
    meta = await redis.hgetall(RoomKeys(code).meta)
    assert meta["round_state"] == "closed"
    assert meta["closed_rounds"] == "1"
    logs = {pid: decode_log(text(await redis.hget(RoomKeys(code).logs, pid))) for pid in ids}
    assert logs[ids[0]][0].pension.value == "employee"
    assert logs[ids[1]][0].pension.value == "none"
    closed = [e for e in await events(redis, code) if e["kind"] == "round_closed"]
    assert len(closed) == 1
    assert closed[0]["defaulted"] == 0
    assert closed[0]["stats"]["pension"] == {"employee": 1, "none": 1}
    assert len(closed[0]["leaderboard"]) == 2
    assert await redis.zscore("gig:deadlines", code) is None


async def test_the_same_message_id_is_never_applied_twice(
    service: RoomService, redis: Redis
) -> None:
    code, host_ident = await workshop(service, players=2)
    await host(service, host_ident, "start")
    pid = (await player_ids(redis, code))[0]
    once = await service.decide(Identity(code, pid), decide_msg(0, "same", medical="residents"))
    again = await service.decide(Identity(code, pid), decide_msg(0, "same", medical="employee"))
    assert once == again
    pending = decision_from_text(text(await redis.hget(RoomKeys(code).pending, pid)))
    assert pending.medical.value == "residents"


async def test_refused_decisions_change_nothing(service: RoomService, redis: Redis) -> None:
    code, host_ident = await workshop(service, players=2)
    await host(service, host_ident, "start")
    pid = (await player_ids(redis, code))[0]
    me = Identity(code, pid)
    with pytest.raises(ProtocolError) as wrong_round:
        await service.decide(me, decide_msg(1, "r1"))
    assert wrong_round.value.code == "rule/round_closed"
    with pytest.raises(ProtocolError) as bad_job:
        await service.decide(
            me,
            Decide(
                type="decide",
                client_msg_id="j",
                round=0,
                decisions=DecisionsIn(job="no-such-job"),
            ),
        )
    assert bad_job.value.code == "rule/invalid_choice"
    assert bad_job.value.client_msg_id == "j"
    with pytest.raises(ProtocolError) as bad_base:
        await service.decide(me, decide_msg(0, "b", pension="employee", pension_base_pct=301))
    assert bad_base.value.code == "rule/invalid_choice"
    assert await redis.hlen(RoomKeys(code).pending) == 0
    with pytest.raises(ProtocolError) as host_decides:
        await service.decide(host_ident, decide_msg(0, "h"))
    assert host_decides.value.code == errors.NOT_IN_ROOM
    with pytest.raises(ProtocolError) as player_hosts:
        await host(service, me, "end")
    assert player_hosts.value.code == errors.NOT_HOST
    assert (await redis.hget(RoomKeys(code).meta, "status")) == "playing"


async def test_deadline_closes_the_round_with_defaults(
    service: RoomService, redis: Redis, clock: Clock
) -> None:
    code, host_ident = await workshop(service, players=3, seconds=30)
    await host(service, host_ident, "start")
    ids = await player_ids(redis, code)
    await service.decide(Identity(code, ids[0]), decide_msg(0, "d", pension="employee"))
    assert await service.poll_deadlines() == 0  # not due yet
    clock.now += 30_001
    assert await service.poll_deadlines() == 1
    closed = [e for e in await events(redis, code) if e["kind"] == "round_closed"]
    assert closed[0]["defaulted"] == 2
    for pid in ids:
        assert len(decode_log(text(await redis.hget(RoomKeys(code).logs, pid)))) == 1
    assert await service.poll_deadlines() == 0  # closed once only


async def test_pause_keeps_the_time_left(service: RoomService, redis: Redis, clock: Clock) -> None:
    code, host_ident = await workshop(service, players=2, seconds=30)
    await host(service, host_ident, "start")
    clock.now += 10_000
    await host(service, host_ident, "pause")
    clock.now += 60_000  # long past the old deadline
    assert await service.poll_deadlines() == 0
    pid = (await player_ids(redis, code))[0]
    with pytest.raises(ProtocolError) as paused:
        await service.decide(Identity(code, pid), decide_msg(0, "p"))
    assert paused.value.code == errors.ROOM_STATE
    resumed = await host(service, host_ident, "resume")
    assert resumed["deadline"] == clock.now + 20_000
    clock.now += 20_001
    assert await service.poll_deadlines() == 1


async def test_kicked_players_leave_the_game(service: RoomService, redis: Redis) -> None:
    code, host_ident = await workshop(service, players=2)
    await host(service, host_ident, "start")
    ids = await player_ids(redis, code)
    created = await service.join(code, "late")  # joins during round 0: no closed round yet
    await host(service, host_ident, "kick", player_id=created[0].player_id)
    with pytest.raises(ProtocolError) as kicked:
        await service.decide(created[0], decide_msg(0, "k"))
    assert kicked.value.code == errors.KICKED
    token = created[1]["player_token"]
    with pytest.raises(ProtocolError) as again:
        await service.authenticate(token)
    assert again.value.code == errors.KICKED
    # the two others decide and the round closes without waiting for the kicked one
    for i, pid in enumerate(ids):
        reply = await service.decide(Identity(code, pid), decide_msg(0, f"x{i}"))
    assert reply["total"] == 2
    await service.drain()
    assert (await redis.hget(RoomKeys(code).meta, "round_state")) == "closed"


async def test_two_instances_race_to_close_one_round(
    redis: Redis, clock: Clock, service: RoomService
) -> None:
    other = make_service(redis, clock, "b")
    code, host_ident = await workshop(service, players=4, seconds=30)
    await host(service, host_ident, "start")
    clock.now += 31_000
    results = await asyncio.gather(
        service.close_round(code, 0, "deadline"),
        other.close_round(code, 0, "deadline"),
        service.poll_deadlines(),
        other.poll_deadlines(),
    )
    assert sum(1 for r in results if r) == 1
    closed = [e for e in await events(redis, code) if e["kind"] == "round_closed"]
    assert len(closed) == 1
    for pid in await player_ids(redis, code):
        assert len(decode_log(text(await redis.hget(RoomKeys(code).logs, pid)))) == 1


async def test_a_dead_closers_lease_is_taken_over(
    redis: Redis, clock: Clock, service: RoomService
) -> None:
    other = make_service(redis, clock, "b")
    code, host_ident = await workshop(service, players=2, seconds=30)
    await host(service, host_ident, "start")
    clock.now += 31_000
    # instance a takes the round and dies before committing
    stored = await service.store.load(code)
    assert stored is not None
    taken = room_apply(stored.state, BeginClose("a", clock.now, 5_000, "deadline"))
    assert isinstance(taken, Applied)
    await service.store.add_deadline(code, clock.now + 5_000)
    written = await service.store.transition(code, stored.state.version, taken.state, taken.events)
    assert isinstance(written, Committed)
    assert not await other.close_round(code, None, "deadline")
    assert await other.poll_deadlines() == 0
    clock.now += 5_001
    # The poller finds the lease run out (no deadline of the round is due: it was taken).
    assert await other.poll_deadlines() == 1
    # a's late commit is refused: the round was closed once
    stale = room_apply(taken.state, CommitClose("a", 0, clock.now))
    assert isinstance(stale, Applied)  # on the state a read, a's commit looked fine...
    late = await service.store.transition(code, taken.state.version, stale.state, stale.events)
    assert isinstance(late, Conflict)  # ...but the room moved on: refused
    assert len([e for e in await events(redis, code) if e["kind"] == "round_closed"]) == 1


async def test_late_joiners_get_default_rounds(service: RoomService, redis: Redis) -> None:
    code, host_ident = await workshop(service, players=1)
    await host(service, host_ident, "start")
    pid = (await player_ids(redis, code))[0]
    await service.decide(Identity(code, pid), decide_msg(0, "a"))
    await service.drain()
    await host(service, host_ident, "open_round")
    await service.decide(Identity(code, pid), decide_msg(1, "b"))
    await service.drain()
    late, _ = await service.join(code, "late")
    assert late.player_id is not None
    log = decode_log(text(await redis.hget(RoomKeys(code).logs, late.player_id)))
    assert len(log) == 2
    snap = await service.snapshot(late)
    assert snap["status"]["round"] == 2


async def test_a_solo_life_plays_through(service: RoomService, redis: Redis) -> None:
    created = await service.create_room(
        CreateRoom(
            type="create_room",
            client_msg_id="s",
            scenario_id="shenzhen-driver",
            mode="solo",
            nickname="阿华",
        )
    )
    assert "host_token" not in created  # host tokens are never sent to players
    me = await service.authenticate(created["player_token"])
    for r in range(created["rounds"]):
        snap = await service.snapshot(me)
        assert snap["round"] == r
        assert snap["round_state"] == "open"
        d = snap["status"]["defaults"]
        await service.decide(
            me,
            Decide(
                type="decide",
                client_msg_id=f"r{r}",
                round=r,
                decisions=DecisionsIn.model_validate(d),
            ),
        )
        await service.drain()
    meta = await redis.hgetall(RoomKeys(created["code"]).meta)
    assert meta["status"] == "finished"
    snap = await service.snapshot(me)
    assert snap["life_over"]["summary"]["score"] >= 0
    assert {"insured", "uninsured"} <= set(snap["life_over"]["counterfactual"])
    saved = [i.row for i in await outbox(redis, created["code"]) if isinstance(i, LifeItem)]
    assert [life.nickname for life in saved] == ["阿华"]
    assert saved[0].score == snap["life_over"]["summary"]["score"]
    kinds = [e["kind"] for e in await events(redis, created["code"])]
    assert kinds.count("round_closed") == created["rounds"]
    assert kinds[-1] == "game_over"


async def test_a_pool_round_pools_the_bills_players_met(service: RoomService, redis: Redis) -> None:
    """The pool shares the bills the players actually met in the round: each member's bill is
    the one its own round result lists (what the phone shows), and the pool's total is the sum
    of the members' bills and the room's bills of the round (what the host shows)."""
    code, host_ident = await workshop(service, players=12)
    await host(service, host_ident, "start", pool=True)
    ids = await player_ids(redis, code)
    covers = ["none", "residents", "employee"]
    for i, pid in enumerate(ids):
        hours = ["part_time", "long_hours"][i % 2]
        msg = decide_msg(0, f"p{i}", medical=covers[i % 3], hours=hours)
        await service.decide(Identity(code, pid), msg)
    await service.drain()
    closed = next(e for e in await events(redis, code) if e["kind"] == "round_closed")
    pool = closed["pool"]
    assert pool["members"] == 12
    results = await service.personal_results(code, ids, over=False)
    for pid in ids:
        stage = json.loads(results[pid])["stage"]
        listed = sum(e.get("bill", 0) for e in stage["events"] if e["type"] == "happening")
        assert pool["losses"][pid] == stage["ledger"]["bills"]
        assert abs(pool["losses"][pid] - listed) <= 1  # the events' bills, each rounded
    assert pool["total_losses"] == sum(pool["losses"].values())
    assert pool["total_losses"] == closed["stats"]["bills"]
    assert pool["hit"] == sum(1 for loss in pool["losses"].values() if loss > 0)
    assert pool["contribution"] == round(pool["total_losses"] / 12)
    assert pool["worst_alone"] == max(pool["losses"].values())
    # The reveal's groups add up to the room's bills, insurance and out-of-pocket.
    groups = closed["stats"]["by_medical"]
    assert sum(g["players"] for g in groups.values()) == 12
    assert abs(sum(g["bills"] for g in groups.values()) - closed["stats"]["bills"]) <= 3
    assert abs(sum(g["covered"] for g in groups.values()) - closed["stats"]["covered"]) <= 3
    assert closed["stats"]["covered"] + closed["stats"]["out_of_pocket"] == closed["stats"]["bills"]


async def test_the_host_sees_who_decided_what(service: RoomService, redis: Redis) -> None:
    """The host's roster (snapshot and ``roster``): who decided the open round and which cover."""
    code, host_ident = await workshop(service, players=3)
    await host(service, host_ident, "start")
    ids = await player_ids(redis, code)
    await service.decide(Identity(code, ids[0]), decide_msg(0, "d0", pension="employee"))
    await service.mark_presence(code, {ids[0]: 30, ids[1]: 30, ids[2]: 0})
    rows = {r["player_id"]: r for r in await service.roster(code)}
    assert rows[ids[0]]["decided"]
    assert rows[ids[0]]["pension"] == "employee"
    assert not rows[ids[1]]["decided"]
    assert "pension" not in rows[ids[1]]
    assert [rows[p]["connected"] for p in ids] == [True, True, False]
    snap = await service.snapshot(host_ident)
    assert {r["player_id"]: r["decided"] for r in snap["players"]} == {
        ids[0]: True, ids[1]: False, ids[2]: False,
    }  # fmt: skip


async def test_quiz_answers_are_measured(service: RoomService, redis: Redis) -> None:
    code, _ = await workshop(service, players=1)
    pid = (await player_ids(redis, code))[0]
    me = Identity(code, pid)
    question = SCENARIOS["hangzhou-rider"].quiz[0]
    pre = await service.answer_quiz(
        me,
        quiz("q1", "pre", question.id, question.answer),
    )
    assert "correct" not in pre  # before the game the answer stays hidden
    post = await service.answer_quiz(
        me,
        quiz("q2", "post", question.id, question.answer),
    )
    assert post["correct"] is True
    await service.answer_quiz(
        me,
        quiz("q2", "post", question.id, question.answer),
    )
    rows = [i.row for i in await outbox(redis, code) if isinstance(i, QuizItem)]
    assert [(r.phase, r.correct) for r in rows] == [("post", True), ("pre", True)]
    with pytest.raises(ProtocolError) as unknown:
        await service.answer_quiz(
            me,
            quiz("q3", "pre", "nope", 0),
        )
    assert unknown.value.code == errors.INVALID_MESSAGE


async def test_resume_reads_missed_events_or_says_trimmed(redis: Redis, clock: Clock) -> None:
    small = make_service(redis, clock, "a", cap=100)
    code, _ = await workshop(small, players=3)
    missed = await small.store.events_since(code, 1)
    assert missed is not None
    assert [seq for seq, _ in missed] == [2, 3]
    assert await small.store.events_since(code, 3) == []
    for i in range(400):
        await small.join(code, f"x{i}")
    assert await small.store.events_since(code, 1) is None  # trimmed: send a snapshot


async def test_connected_players_close_the_round(
    service: RoomService, redis: Redis, clock: Clock
) -> None:
    code, host_ident = await workshop(service, players=2)
    await host(service, host_ident, "start")
    online, offline = await player_ids(redis, code)
    await service.mark_presence(code, {online: 45, offline: 0})
    reply = await service.decide(Identity(code, online), decide_msg(0, "o"))
    assert reply["all_decided"]  # the answer of the one round trip says so: no second check
    await service.drain()
    assert (await redis.hget(RoomKeys(code).meta, "round_state")) == "closed"


@pytest.mark.parametrize(
    "token",
    ["", "nonsense", "123456.host.wrong", "12345.abc.def", "000000.deadbeef.xyz"],
)
async def test_forged_tokens_are_refused(service: RoomService, token: str) -> None:
    await workshop(service, players=1)
    with pytest.raises(ProtocolError) as refused:
        await service.authenticate(token)
    assert refused.value.code == errors.BAD_TOKEN


async def test_another_rooms_token_does_not_open_this_room(service: RoomService) -> None:
    code_a, _ = await workshop(service, players=0)
    code_b, _ = await workshop(service, players=0)
    _, joined = await service.join(code_a, "a")
    forged = joined["player_token"].replace(code_a, code_b, 1)
    with pytest.raises(ProtocolError) as refused:
        await service.authenticate(forged)
    assert refused.value.code == errors.BAD_TOKEN


async def test_an_idle_room_is_disposed_of_with_its_lives_saved(
    service: RoomService, redis: Redis, clock: Clock
) -> None:
    """A workshop abandoned mid-game: once nobody changed it for ``room_idle_seconds``, the
    sweep ends it (``game_over``, reason ``idle``), writes every player's end for them and saves
    every life as far as it got — through the outbox here, where no database answers."""
    code, host_ident = await workshop(service, players=2, seconds=3600)
    await host(service, host_ident, "start")
    for i, pid in enumerate(await player_ids(redis, code)):
        await service.decide(Identity(code, pid), decide_msg(0, f"i{i}"))
    await service.drain()
    assert await service.dispose_idle() == 0  # not idle yet
    clock.now += service.settings.room_idle_seconds * 1000 + 1
    assert await service.dispose_idle() == 1
    over = (await events(redis, code))[-1]
    assert (over["kind"], over["reason"]) == ("game_over", "idle")
    lives = [i.row for i in await outbox(redis, code) if isinstance(i, LifeItem)]
    assert sorted(life.nickname for life in lives) == ["p0", "p1"]
    ids = await player_ids(redis, code)
    ends = await service.personal_results(code, ids, over=True)
    assert all("life_over" in json.loads(ends[pid]) for pid in ids)
    assert await service.dispose_idle() == 0  # once


async def test_a_lost_deadline_entry_is_written_again_from_the_room(
    service: RoomService, redis: Redis, clock: Clock
) -> None:
    """An index entry lost (a cluster shard's failover) comes back from the room's own state at
    the next heartbeat, so the round still closes at its deadline."""
    code, host_ident = await workshop(service, players=2, seconds=30)
    await host(service, host_ident, "start")
    await service.store.remove_deadline(code)
    clock.now += 31_000
    assert await service.poll_deadlines() == 0  # lost: nobody would close it
    await service.keep_deadline(code)
    assert await service.poll_deadlines() == 1
    await service.keep_deadline(code)  # closed now: nothing is written back
    assert await service.poll_deadlines() == 0


async def test_a_close_forwards_its_views_from_memory_and_anyone_elses_from_redis(
    service: RoomService, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The views a close of this instance wrote are forwarded for the events that close
    published without reading them back; for any other event they come from Redis."""
    code, host_ident = await workshop(service, players=3)
    await host(service, host_ident, "start")
    ids = await player_ids(redis, code)
    for i, pid in enumerate(ids):
        await service.decide(Identity(code, pid), decide_msg(0, f"p{i}"))
    await service.drain()
    entries = await redis.xrange(RoomKeys(code).events)
    assert entries is not None
    closed = next(
        int(str(entry_id).split("-")[0])
        for entry_id, fields in entries
        if json.loads(text((fields or {})["d"]))["kind"] == "round_closed"
    )
    from_redis = await service.personal_results(code, ids, over=False)
    assert set(from_redis) == set(ids)
    reads: list[str] = []
    real_results_of = service.store.results_of

    async def counted(code: str, fields: Any) -> dict[str, str | None]:
        reads.append(code)
        return await real_results_of(code, fields)

    monkeypatch.setattr(service.store, "results_of", counted)
    assert await service.personal_results(code, ids, over=False, seq=closed) == from_redis
    assert reads == []
    # An event this close did not publish (the next one: another step's): read from Redis.
    assert await service.personal_results(code, ids, over=False, seq=closed + 1) == from_redis
    assert reads == [code]
    service.fresh.forget(code)
    assert await service.personal_results(code, ids, over=False, seq=closed) == from_redis
    assert reads == [code, code]


def test_fresh_results_keep_the_rooms_closed_last() -> None:
    fresh = FreshResults(rooms=2)
    fresh.keep("a", 3, 4, {"p": "a"})
    fresh.keep("b", 1, 1, {"p": "b"})
    fresh.keep("a", 5, 5, {"p": "a2"})  # a closed again: now the newest
    fresh.keep("c", 2, 3, {"p": "c"})  # b, the oldest, is forgotten
    assert fresh.of("b", 1) is None
    assert fresh.of("a", 4) is None  # an older close's event
    assert fresh.of("a", 5) == {"p": "a2"}
    assert [fresh.of("c", s) for s in (1, 2, 3, 4)] == [None, {"p": "c"}, {"p": "c"}, None]
