"""The hot path's pipelined Redis client against a real Redis: replies in order under
concurrency, commands of one loop turn in one write, redis-py's error classes, a script loaded
when Redis lacks it, a lost connection failing what is in flight and the next command
reconnecting, a server that never answers timing out, and the database of the URL."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis.asyncio
import uvloop
from redis.exceptions import ConnectionError, OutOfMemoryError, ResponseError, TimeoutError

from game_server.stores.pipelined import PipelinedRedis, pack


@pytest.fixture
async def fast(redis_url: str) -> AsyncIterator[PipelinedRedis]:
    client = PipelinedRedis(redis_url)
    try:
        await client.call("FLUSHDB")
        yield client
    finally:
        await client.aclose()


def test_it_runs_on_uvloop_too(redis_url: str) -> None:
    # The server ran on uvloop until 2026-12-04 (serve.py: EVENT_LOOP); its transports are not
    # asyncio's classes.
    async def round_trip() -> list[object]:
        client = PipelinedRedis(redis_url)
        try:
            return list(await asyncio.gather(*(client.call("ECHO", str(i)) for i in range(50))))
        finally:
            await client.aclose()

    assert uvloop.run(round_trip()) == [str(i) for i in range(50)]


def test_commands_are_packed_as_resp_arrays_of_bulk_strings() -> None:
    assert pack(["SET", "键", 7, 1.5, b"\x00"]) == (
        b"*5\r\n$3\r\nSET\r\n$3\r\n\xe9\x94\xae\r\n$1\r\n7\r\n$3\r\n1.5\r\n$1\r\n\x00\r\n"
    )


async def test_concurrent_commands_get_their_own_replies_in_few_writes(
    fast: PipelinedRedis,
) -> None:
    await fast.call("PING")
    before = fast.writes
    replies = await asyncio.gather(*(fast.call("ECHO", f"n{i}") for i in range(500)))
    assert replies == [f"n{i}" for i in range(500)]
    # 500 callers in one loop turn: their commands leave in one write, not 500
    assert fast.writes - before <= 2


async def test_several_commands_in_one_call_reply_in_order(fast: PipelinedRedis) -> None:
    replies = await fast.calls(("SET", "a", "1"), ("INCRBY", "a", 41), ("GET", "a"))
    assert replies == ["OK", 42, "42"]


async def test_an_error_reply_raises_redis_pys_class_and_the_connection_goes_on(
    fast: PipelinedRedis,
) -> None:
    await fast.call("SET", "text", "x")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await fast.call("LPUSH", "text", "y")
    with pytest.raises(ResponseError):
        await fast.calls(("GET", "text"), ("INCR", "text"))
    assert await fast.call("GET", "text") == "x"


async def test_a_full_redis_is_an_out_of_memory_error(fast: PipelinedRedis) -> None:
    await fast.call("SET", "filler", "x" * 100_000)
    await fast.call("CONFIG", "SET", "maxmemory", "1")
    try:
        with pytest.raises(OutOfMemoryError):
            await fast.call("SET", "more", "y")
    finally:
        await fast.call("CONFIG", "SET", "maxmemory", "0")


async def test_a_script_is_loaded_when_redis_lacks_it(fast: PipelinedRedis) -> None:
    script = fast.script("return {KEYS[1], ARGV[1]}")
    await fast.call("SCRIPT", "FLUSH")
    assert await script(["k"], ["v"]) == ["k", "v"]
    assert await fast.call("SCRIPT", "EXISTS", script.sha) == [1]


async def test_a_lost_connection_fails_what_is_in_flight_and_the_next_command_reconnects(
    fast: PipelinedRedis, redis_url: str
) -> None:
    await fast.call("CLIENT", "SETNAME", "hot-path")
    blocked = asyncio.ensure_future(fast.call("BLPOP", "nothing", 5))
    await asyncio.sleep(0.1)
    async with redis.asyncio.Redis.from_url(redis_url) as admin:
        killed = await admin.client_kill_filter(skipme=True, _type="normal")
    assert killed >= 1
    with pytest.raises(ConnectionError):
        await blocked
    assert await fast.call("PING") == "PONG"
    assert await fast.call_idempotent("ECHO", "again") == "again"


async def test_an_idempotent_command_is_sent_again_after_a_stale_connection(
    fast: PipelinedRedis, redis_url: str
) -> None:
    await fast.call("PING")
    async with redis.asyncio.Redis.from_url(redis_url) as admin:
        await admin.client_kill_filter(skipme=True, _type="normal")
    await asyncio.sleep(0.05)
    assert await fast.call_idempotent("INCR", "counted") == 1


async def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        client = PipelinedRedis(f"redis://127.0.0.1:{port}/0", timeout=0.3)
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(TimeoutError):
                await client.call("PING")
            assert 0.25 <= loop.time() - started < 2
        finally:
            await client.aclose()


async def test_nothing_listening_is_a_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = PipelinedRedis(f"redis://127.0.0.1:{port}/0", timeout=1)
    with pytest.raises(ConnectionError):
        await client.call("PING")


async def test_the_database_of_the_url_is_selected(redis_url: str) -> None:
    parts = urlsplit(redis_url)
    other = urlunsplit(parts._replace(path="/7"))
    client = PipelinedRedis(other)
    try:
        await client.call("SET", "where", "seven")
        async with redis.asyncio.Redis.from_url(other, decode_responses=True) as check:
            assert await check.get("where") == "seven"
            await check.delete("where")
    finally:
        await client.aclose()
