"""The public limits' counters in a real Redis: rooms started per address and hour, live rooms."""

from __future__ import annotations

import redis.asyncio

from game_server.stores.limit_counts import (
    HOUR_MS,
    SALT_KEY,
    LimitCounts,
    counter_ttl_seconds,
    creation_key,
    pseudonym,
)
from game_server.stores.room_store import ROOMS_KEY

ADDRESS = "203.0.113.7"
NOW = 1_765_000_000_000  # ms
HOUR_START = NOW // HOUR_MS * HOUR_MS


def text(value: bytes | str | None) -> str:
    assert isinstance(value, bytes)
    return value.decode()


async def test_room_starts_are_counted_per_kind_address_and_hour(
    redis_client: redis.asyncio.Redis,
) -> None:
    """Each start counts one more for its kind and address in the clock hour; another kind,
    another address and the next hour count from one again. Two instances (two ``LimitCounts``
    on the same Redis) count together."""
    one, two = LimitCounts(redis_client), LimitCounts(redis_client)
    counts = [(await one.take_creation("workshop", ADDRESS, NOW + i)).count for i in range(3)]
    assert counts == [1, 2, 3]
    assert (await two.take_creation("workshop", ADDRESS, NOW + 10)).count == 4
    assert (await two.take_creation("solo", ADDRESS, NOW)).count == 1
    assert (await one.take_creation("workshop", "203.0.113.8", NOW)).count == 1
    next_hour = HOUR_START + HOUR_MS
    assert (await one.take_creation("workshop", ADDRESS, next_hour)).count == 1


async def test_the_address_is_not_written_and_the_counter_expires(
    redis_client: redis.asyncio.Redis,
) -> None:
    """No key or value holds the address: the counter is named by a keyed hash of it (the
    salt made once, the same for every instance). The counter expires an hour after its hour
    ends."""
    counts = LimitCounts(redis_client)
    taken = await counts.take_creation("solo", ADDRESS, NOW)
    salt = text(await redis_client.get(SALT_KEY))
    assert await LimitCounts(redis_client).salt() == salt
    assert taken.key == creation_key("solo", NOW, pseudonym(salt, ADDRESS))
    keys = [text(k) for k in await redis_client.keys("*")]
    assert sorted(keys) == sorted([SALT_KEY, taken.key])
    for key in keys:
        assert ADDRESS not in key
        assert ADDRESS not in text(await redis_client.get(key))
    ttl = await redis_client.ttl(taken.key)
    expected = counter_ttl_seconds(NOW)
    assert expected - 5 <= ttl <= expected
    assert (HOUR_START + HOUR_MS - NOW) // 1000 + 3600 <= expected <= 2 * 3600 + 1


async def test_a_start_given_back_is_not_counted_and_an_expired_counter_stays_gone(
    redis_client: redis.asyncio.Redis,
) -> None:
    counts = LimitCounts(redis_client)
    taken = await counts.take_creation("workshop", ADDRESS, NOW)
    await counts.give_back(taken)
    assert (await counts.take_creation("workshop", ADDRESS, NOW)).count == 1
    await redis_client.delete(taken.key)  # as if it expired in between
    await counts.give_back(taken)
    assert await redis_client.exists(taken.key) == 0


async def test_live_rooms_are_the_rooms_index(redis_client: redis.asyncio.Redis) -> None:
    counts = LimitCounts(redis_client)
    assert await counts.live_rooms() == 0
    await redis_client.zadd(ROOMS_KEY, {"111111": NOW, "222222": NOW})
    assert await counts.live_rooms() == 2
