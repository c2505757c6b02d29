"""``/healthz``'s readiness checks against a real Redis of their own: ready, nearly full, full,
stopped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from game_server.stores.embedded_redis import EmbeddedRedis
from game_server.transport.health import health_key, memory_check, readiness

NOW_MS = 1_764_240_000_000


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedRedis, Redis]]:
    server = EmbeddedRedis(tmp_path / "redis", appendonly=False)
    server.start()
    client = Redis.from_url(server.url, decode_responses=True)
    await client.config_set("maxmemory-policy", "noeviction")
    try:
        yield server, client
    finally:
        await client.aclose()
        server.stop()


async def used(r: Redis) -> int:
    return int((await r.info("memory"))["used_memory"])


async def test_ready_when_redis_answers_takes_a_write_and_has_room(
    redis_server: tuple[EmbeddedRedis, Redis],
) -> None:
    _, r = redis_server
    await r.config_set("maxmemory", str(await used(r) * 4))
    ready = await readiness(r, "i1", NOW_MS, max_ratio=0.95, timeout=2)
    assert (ready.status, ready.failed) == ("ok", [])
    assert set(ready.checks) == {"redis", "writable", "memory"}
    # The write is this instance's own short-lived key.
    assert await r.get(health_key("i1")) == str(NOW_MS)
    assert 0 < await r.ttl(health_key("i1")) <= 30


async def test_without_maxmemory_the_memory_check_passes(
    redis_server: tuple[EmbeddedRedis, Redis],
) -> None:
    _, r = redis_server
    await r.config_set("maxmemory", "0")
    ready = await readiness(r, "i1", NOW_MS, max_ratio=0.5, timeout=2)
    assert ready.failed == []
    assert "no maxmemory" in ready.checks["memory"].detail


async def test_nearly_full_is_not_ready_though_writes_still_work(
    redis_server: tuple[EmbeddedRedis, Redis],
) -> None:
    """Past the ratio: new players should go elsewhere, the games here still write."""
    _, r = redis_server
    await r.config_set("maxmemory", str(int(await used(r) / 0.97)))
    ready = await readiness(r, "i1", NOW_MS, max_ratio=0.95, timeout=2)
    assert ready.failed == ["memory"]
    assert ready.checks["writable"].ok


async def test_full_is_not_ready_and_says_the_write_was_refused(
    redis_server: tuple[EmbeddedRedis, Redis],
) -> None:
    _, r = redis_server
    await r.config_set("maxmemory", str(await used(r) - 100_000))
    ready = await readiness(r, "i1", NOW_MS, max_ratio=0.95, timeout=2)
    assert ready.status == "not_ready"
    assert ready.failed == ["writable", "memory"]
    assert ready.checks["redis"].ok
    assert "OutOfMemoryError" in ready.checks["writable"].detail
    assert await r.exists(health_key("i1")) == 0


async def test_stopped_redis_fails_the_redis_check_only(
    redis_server: tuple[EmbeddedRedis, Redis],
) -> None:
    server, r = redis_server
    server.stop()
    ready = await readiness(r, "i1", NOW_MS, max_ratio=0.95, timeout=1)
    assert ready.failed == ["redis"]
    assert set(ready.checks) == {"redis"}
    server.start()


def test_memory_check_ratio() -> None:
    check, ratio = memory_check({"used_memory": 950, "maxmemory": 1000}, 0.95)
    assert (check.ok, ratio) == (False, 0.95)
    check, ratio = memory_check({"used_memory": 949, "maxmemory": 1000}, 0.95)
    assert check.ok
    assert "95%" in check.detail
