"""The outbox's two Redis scripts on their own, against a real Redis."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

import game_server.outbox

SCRIPTS = Path(game_server.outbox.__file__).parent
KEY = "{room:123456}:outbox"
INDEX = "gig:outbox"


async def test_compare_delete_deletes_only_fields_still_holding_what_was_read(
    redis: Redis,
) -> None:
    compare_delete = redis.register_script((SCRIPTS / "compare_delete.lua").read_text())
    await redis.hset(KEY, mapping={"life:p1": "v1", "life:p2": "v2-newer", "room": "r"})

    reply = await compare_delete(
        keys=[KEY], args=["life:p1", "v1", "life:p2", "v2", "quiz:p3:pre:q1", "gone"]
    )

    assert reply == [1, 2]  # p1 deleted; p2 was replaced meanwhile; p3 was never there
    assert await redis.hgetall(KEY) == {"life:p2": "v2-newer", "room": "r"}

    assert await compare_delete(keys=[KEY], args=["life:p2", "v2-newer", "room", "r"]) == [2, 0]
    assert await redis.exists(KEY) == 0  # an emptied hash is gone


async def test_compare_delete_compares_whole_values(redis: Redis) -> None:
    compare_delete = redis.register_script((SCRIPTS / "compare_delete.lua").read_text())
    value = '{"kind":"life","row":{"nickname":"小王🚚"}}'
    await redis.hset(KEY, mapping={"a": value, "b": value})

    assert await compare_delete(keys=[KEY], args=["a", value[:-1], "b", value]) == [1, 1]
    assert await redis.hgetall(KEY) == {"a": value}


async def test_reschedule_moves_or_removes_an_entry_only_if_unchanged(redis: Redis) -> None:
    reschedule = redis.register_script((SCRIPTS / "reschedule.lua").read_text())
    await redis.zadd(INDEX, {"111111": 1000, "222222": 2000})

    assert await reschedule(keys=[INDEX], args=["111111", "1000.0", 1500]) == 1
    assert await redis.zscore(INDEX, "111111") == 1500
    # Read as 2000, but the room service has added it again since (due at 2500): it stays.
    await redis.zadd(INDEX, {"222222": 2500})
    assert await reschedule(keys=[INDEX], args=["222222", "2000", 9999]) == 0
    assert await reschedule(keys=[INDEX], args=["222222", "2000", ""]) == 0
    assert await redis.zscore(INDEX, "222222") == 2500

    assert await reschedule(keys=[INDEX], args=["222222", "2500", ""]) == 1
    assert await redis.zscore(INDEX, "222222") is None
    assert await reschedule(keys=[INDEX], args=["333333", "0", 5]) == 0  # not there: not added
    assert await redis.zrange(INDEX, 0, -1) == ["111111"]
