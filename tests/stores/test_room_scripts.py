"""Each room script (``game_server/stores/lua/*.lua``) on its own, against a real Redis: what it
writes, what it refuses, and — for the rules a script re-checks on live data — that it agrees
with the room reducer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from game_server.room import (
    Applied,
    BeginClose,
    Join,
    Kick,
    OpenRound,
    Pause,
    PlayerJoined,
    RoomCommand,
    RoomState,
    Start,
    apply,
    decision_refusal,
    new_room,
)
from game_server.stores.pipelined import PipelinedRedis
from game_server.stores.room_store import (
    KEY_KICKED,
    KEY_LOGS,
    KEY_PLAYERS,
    Committed,
    Conflict,
    Op,
    RoomKeys,
    RoomStore,
    StoreError,
)

NOW = 1_800_000_000_000


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture(params=["hot", "pool"])
async def store(
    redis: Redis, redis_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[RoomStore]:
    """The store as the app makes it: its scripts on the pipelined client (``hot``), or on
    redis-py's pool (without one, and on a cluster)."""
    hot = PipelinedRedis(redis_url) if request.param == "hot" else None
    try:
        yield RoomStore(redis, stream_cap=100, ttl_seconds=600, hot=hot)
    finally:
        if hot is not None:
            await hot.aclose()


async def make_room(store: RoomStore, code: str = "123456", players: int = 2) -> RoomState:
    made = new_room("workshop", 4, capacity=3)
    fixed = {"scenario": "hangzhou-rider", "seed": 1, "seq": 0, "round_seconds": 60}
    written = await store.transition(code, None, made.state, made.events, fixed=fixed)
    assert isinstance(written, Committed)
    state = made.state
    for i in range(players):
        joined = apply(state, Join(f"p{i}", f"n{i}"))
        assert isinstance(joined, Applied)
        await store.join(code, state.version, 3, f"p{i}", "{}", "[]", joined.events[0])
        state = joined.state
    return state


async def step(store: RoomStore, code: str, state: RoomState, command: RoomCommand) -> RoomState:
    result = apply(state, command)
    assert isinstance(result, Applied), result
    written = await store.transition(code, state.version, result.state, result.events)
    assert isinstance(written, Committed)
    return result.state


async def test_transition_writes_the_state_and_refuses_a_stale_version(
    store: RoomStore, redis: Redis
) -> None:
    state = await make_room(store)
    loaded = await store.load("123456")
    assert loaded is not None
    assert loaded.state == state
    started = apply(state, Start(NOW, 60))
    assert isinstance(started, Applied)
    written = await store.transition("123456", state.version, started.state, started.events)
    assert isinstance(written, Committed)
    assert written.seq == 4  # two joins, then game_started and round_opened
    again = await store.transition("123456", state.version, started.state, started.events)
    assert again == Conflict(started.state.version)
    entries = await store.events_since("123456", 0)
    assert entries is not None
    events = [json.loads(payload) for _, payload in entries]
    assert [e["kind"] for e in events] == [
        "player_joined", "player_joined", "game_started", "round_opened",
    ]  # fmt: skip
    assert await store.transition("654321", 0, started.state, started.events) is None  # gone


async def test_transition_ops_and_reads_and_the_outbox_never_expires(
    store: RoomStore, redis: Redis
) -> None:
    state = await make_room(store)
    keys = RoomKeys("123456")
    await redis.hset(keys.outbox, "room", "{}")
    kicked = apply(state, Kick("p1", seated=True))
    assert isinstance(kicked, Applied)
    ops = [Op("sadd", KEY_KICKED, "p1"), Op("hset", KEY_LOGS, "p0", "[[1]]")]
    written = await store.transition(
        "123456", state.version, kicked.state, kicked.events, ops, reads=(KEY_PLAYERS,)
    )
    assert isinstance(written, Committed)
    assert sorted(written.reads[0]) == ["p0", "p1"]
    assert await redis.smembers(keys.kicked) == {"p1"}
    assert await redis.hget(keys.logs, "p0") == "[[1]]"
    assert await redis.pttl(keys.meta) > 0
    assert await redis.pttl(keys.outbox) == -1


async def test_join_seats_up_to_capacity_and_retries_on_a_changed_room(store: RoomStore) -> None:
    state = await make_room(store, players=2)
    third = apply(state, Join("p2", "n2"))
    assert isinstance(third, Applied)
    seq = await store.join("123456", state.version, 3, "p2", "{}", "[]", third.events[0])
    assert seq == 3
    with pytest.raises(StoreError) as full:
        await store.join("123456", state.version, 3, "p3", "{}", "[]", PlayerJoined("p3", "x"))
    assert full.value.code == "full"
    started = await step(store, "123456", third.state, Start(NOW, 60))
    with pytest.raises(StoreError) as stale:
        await store.join("123456", state.version, 9, "p4", "{}", "[]", PlayerJoined("p4", "x"))
    assert stale.value.code == "retry"
    assert started.version > state.version
    events = await store.events_since("123456", 2)
    assert events is not None
    assert json.loads(events[0][1])["players"] == 3  # the seats after the join


async def test_submit_is_one_round_trip_and_says_when_everyone_connected_decided(
    store: RoomStore, redis: Redis
) -> None:
    state = await make_room(store, players=3)
    await step(store, "123456", state, Start(NOW, 60))
    await store.set_presence("123456", "i1", {"p0": NOW + 30_000, "p1": NOW + 30_000})
    dup, first = await store.submit("123456", "p0", 0, "[1]", "m1", NOW, "none", "none")
    assert (dup, first) == (False, "0|1|3|0")
    again = await store.submit("123456", "p0", 0, "[2]", "m1", NOW, "none", "none")
    assert again == (True, "0|1|3|0")
    assert await redis.hget(RoomKeys("123456").pending, "p0") == "[1]"
    # p2 is not connected: p1's decision completes the connected players.
    assert (await store.submit("123456", "p1", 0, "[1]", "m2", NOW, "none", "none"))[1] == "0|2|3|1"
    with pytest.raises(StoreError) as wrong:
        await store.submit("123456", "p0", 1, "[1]", "m3", NOW, "none", "none")
    assert wrong.value.code == "rule/round_closed"
    with pytest.raises(StoreError) as stranger:
        await store.submit("123456", "zz", 0, "[1]", "m4", NOW, "none", "none")
    assert stranger.value.code == "room/player_not_found"
    with pytest.raises(StoreError) as gone:
        await store.submit("999999", "p0", 0, "[1]", "m5", NOW, "none", "none")
    assert gone.value.code == "room/gone"


async def test_presence_keeps_the_latest_claim_of_any_instance(
    store: RoomStore, redis: Redis
) -> None:
    await make_room(store, players=1)
    online = RoomKeys("123456").online
    assert await store.set_presence("123456", "a", {"p0": NOW + 45_000})
    assert await store.set_presence("123456", "b", {"p0": NOW + 20_000})  # b's drop, in grace
    assert await redis.zscore(online, "p0") == NOW + 45_000  # a still holds the player
    assert await store.set_presence("123456", "a", {"p0": 0})  # a's connection closed too
    assert await redis.zscore(online, "p0") == NOW + 20_000
    assert not await store.set_presence("999999", "a", {"p0": NOW})  # the room is gone


async def test_quiz_answers_once_with_its_outbox_item(store: RoomStore, redis: Redis) -> None:
    await make_room(store, players=1)
    item = ("quiz:p0:pre:q1", '{"kind": "quiz"}')
    assert not await store.answer_quiz("123456", "p0|quiz", "m1", "p0:pre:q1", 2, item, NOW)
    assert await store.answer_quiz("123456", "p0|quiz", "m1", "p0:pre:q1", 3, item, NOW)
    assert await store.quiz_answers("123456") == {"p0:pre:q1": 2}
    await redis.script_flush()  # a restarted Redis has no scripts: loaded again, then run
    assert not await store.answer_quiz("123456", "p0|quiz", "m2", "p0:post:q1", 1, item, NOW)
    assert await store.quiz_answers("123456") == {"p0:pre:q1": 2, "p0:post:q1": 1}
    assert await redis.hget(RoomKeys("123456").outbox, "quiz:p0:pre:q1") == '{"kind": "quiz"}'
    assert await redis.zscore("gig:outbox", "123456") == NOW
    with pytest.raises(StoreError):
        await store.answer_quiz("999999", "p0|quiz", "m1", "p0:pre:q1", 2, item, NOW)


async def test_the_read_scripts(store: RoomStore) -> None:
    state = await make_room(store, players=2)
    await step(store, "123456", state, Start(NOW, 60))
    await store.submit("123456", "p0", 0, "[1]", "m1", NOW, "none", "none")
    await store.set_presence("123456", "a", {"p1": NOW + 10_000})
    view = await store.player_view("123456", "p0")
    assert view is not None
    assert (view.pending, view.log, view.players, view.decided) == ("[1]", "[]", 2, 1)
    room = await store.room_view("123456", NOW)
    assert room is not None
    assert (room.pending, room.connected) == ({"p0": "[1]"}, frozenset({"p1"}))
    assert await store.player_view("999999", "p0") is None
    assert await store.room_view("999999", NOW) is None


COMMANDS = st.lists(
    st.sampled_from(["start", "pause", "close", "kick0", "kick1", "open"]), max_size=6
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=COMMANDS, who=st.sampled_from(["p0", "p1", "zz"]), r=st.integers(0, 2))
def test_submit_refuses_exactly_what_the_reducer_refuses(
    redis_url: str, script: list[str], who: str, r: int
) -> None:
    """For rooms in many states, the script's answer to a decision is the reducer's
    ``decision_refusal`` (the same rule, on live data)."""

    async def run() -> None:
        client = Redis.from_url(redis_url, decode_responses=True)
        try:
            await client.flushdb()
            store = RoomStore(client, 100, 600)
            state = await make_room(store, players=2)
            now = NOW
            for name in script:
                now += 1_000
                commands: dict[str, RoomCommand] = {
                    "start": Start(now, 60),
                    "pause": Pause(now),
                    "close": BeginClose("i", now, 5_000, "host"),
                    "kick0": Kick("p0", seated=True),
                    "kick1": Kick("p1", seated=True),
                    "open": OpenRound(now, 60),
                }
                command = commands[name]
                result = apply(state, command)
                if isinstance(result, Applied):
                    await store.transition("123456", state.version, result.state, result.events)
                    state = result.state
            expected = decision_refusal(state, who != "zz", who in state.kicked, r)
            try:
                await store.submit("123456", who, r, "[1]", "m", now, "none", "none")
                got = None
            except StoreError as exc:
                got = exc.code
            assert got == expected, (script, who, r, state)
        finally:
            await client.aclose()

    asyncio.run(run())
