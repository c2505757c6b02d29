"""Faults of the room core on real server processes and real Redis servers: a closer killed or
frozen with the round's lease, Redis losing its data, the results database refusing writes at
the end of a game. Nothing acknowledged is lost; nothing waits on a dead instance."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from e2e.e2e_faults_support import launcher, traceback_headlines
from e2e.e2e_support import Client, ServerProcess, clients, is_event, is_type
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from game_server.stores.embedded_redis import EmbeddedRedis

Launch = Callable[..., ServerProcess]
MakeClient = Callable[..., Awaitable[Client]]
LEASE = 2.0
"""The close lease of these servers, in seconds."""


@pytest.fixture(scope="module")
def launch(
    request: pytest.FixtureRequest, e2e_dir: Path, e2e_redis_url: str, e2e_database_url: str
) -> Iterator[Launch]:
    with launcher(request, e2e_dir, e2e_redis_url, e2e_database_url) as start:
        yield start


@pytest.fixture
async def make() -> AsyncIterator[MakeClient]:
    async with clients() as make_client:
        yield make_client


def meta(url: str, code: str) -> dict[str, str]:
    with redis.Redis.from_url(url, decode_responses=True) as client:
        found: Any = client.hgetall(f"{{room:{code}}}:meta")
    return dict(found)


def kinds(url: str, code: str) -> list[str]:
    with redis.Redis.from_url(url, decode_responses=True) as client:
        entries: Any = client.xrange(f"{{room:{code}}}:events")
    return [json.loads(fields["d"])["kind"] for _, fields in entries]


async def until_closing(url: str, code: str, timeout: float = 5.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = meta(url, code)
        if found.get("round_state") == "closing":
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"the round was not taken for closing: {meta(url, code)}")


async def room_on(make: MakeClient, url: str, players: int) -> tuple[Client, str, list[Client]]:
    """A workshop of ``players`` on the server at ``url``, round 0 open for an hour."""
    host = await make(url, "host")
    created, _ = await host.create("workshop", round_seconds=3600)
    code = created["code"]
    joined = []
    for i in range(players):
        player = await make(url, f"p{i}")
        await player.join(code, f"玩家{i}")
        joined.append(player)
    assert (await host.host("start"))["type"] == "ack"
    for player in joined:
        await player.next(is_event("round_opened", round=0))
    return host, code, joined


@pytest.mark.parametrize("fault", ["sigkill", "sigstop_paused"])
async def test_a_round_whose_closer_dies_closes_within_its_lease_plus_one_second(
    launch: Launch, make: MakeClient, e2e_redis_url: str, fault: str
) -> None:
    """Instance ``a`` takes round 0's lease (the host closes the round through it) and then
    stops: killed (SIGKILL), or frozen (SIGSTOP) while the round is paused (no deadline at all).
    The round's own deadline is an hour away; instance ``b``, where the room's players are,
    finds the expired lease on its own poll and closes the round within the lease time plus one
    second, once (a frozen ``a`` that wakes up finds its commit refused); the game goes on."""
    a = launch(f"dies-{fault}", FAULT_CLOSE_PAUSE_SECONDS="4", ROUND_CLOSE_LEASE_SECONDS=str(LEASE))
    b = launch(f"lives-{fault}", ROUND_CLOSE_LEASE_SECONDS=str(LEASE))
    host, code, players = await room_on(make, b.ws_url, 2)
    assert (await players[0].decide(0))["type"] == "ack"
    if fault == "sigstop_paused":
        assert (await host.host("pause"))["type"] == "ack"
    assert host.token is not None
    closer = await make(a.ws_url, "closer", hello=False)
    await closer.hello(host.token)
    await closer.next(is_type("snapshot"))
    await closer.send({"type": "host", "client_msg_id": "close-it", "action": "close_round"})
    taken = await until_closing(e2e_redis_url, code)
    assert taken["lease_holder"].startswith(f"{a.instance_id}/")
    lease_until_ms = int(taken["lease_until"])
    assert a.process is not None
    os.kill(a.process.pid, signal.SIGKILL if fault == "sigkill" else signal.SIGSTOP)
    try:
        closed = await host.next(is_event("round_closed", round=0), timeout=LEASE + 5)
        late_ms = time.time() * 1000 - lease_until_ms
        assert late_ms <= 1000, f"closed {late_ms:.0f} ms after the lease ran out"
        assert closed["event"]["defaulted"] == 1  # the one who had not decided
        for player in players:
            result = await player.next(is_type("round_result"))
            assert result["stage"]["round"] == 0
    finally:
        if fault == "sigstop_paused":
            os.kill(a.process.pid, signal.SIGCONT)
    if fault == "sigstop_paused":
        # Woken, ``a`` plays the round and tries to commit: refused, the round closed once.
        answer = await closer.next(lambda m: m.get("client_msg_id") == "close-it", timeout=10)
        assert answer["type"] == "error", answer
        assert traceback_headlines(a) == []
    assert kinds(e2e_redis_url, code).count("round_closed") == 1
    assert (await host.host("open_round"))["type"] == "ack"
    for player in players:
        await player.next(is_event("round_opened", round=1))
        assert (await player.decide(1))["type"] == "ack"
    await host.next(is_event("round_closed", round=1))


async def test_redis_losing_its_data_tells_the_room_it_is_gone(
    launch: Launch, make: MakeClient, e2e_dir: Path
) -> None:
    """Redis without persistence restarts empty while a workshop plays. The host's "close
    round" answers ``room/gone`` (not a misleading ``room/wrong_state``); every connection of
    the room is told ``room/gone`` and closed with 4004 — the player at once, through the host's
    answer; a room whose connections send nothing, by the presence heartbeat."""
    embedded = EmbeddedRedis(e2e_dir / "redis-volatile", appendonly=False)
    url = embedded.start()
    try:
        server = launch("volatile", redis=url, PRESENCE_HEARTBEAT_SECONDS="1")
        host, _, (player,) = await room_on(make, server.ws_url, 1)
        quiet_host, _, (quiet_player,) = await room_on(make, server.ws_url, 1)
        embedded.stop()
        embedded.start()
        answer = await host.host("close_round")
        assert (answer["type"], answer["code"]) == ("error", "room/gone"), answer
        for client in (player, quiet_host, quiet_player):
            gone = await client.next(lambda m: m.get("type") == "error", timeout=10)
            assert gone["code"] == "room/gone", gone
        for client in (host, player, quiet_host, quiet_player):
            for _ in range(100):
                if client.closed:
                    break
                await asyncio.sleep(0.05)
            assert client.closed, client.name
    finally:
        embedded.stop()


async def test_game_over_finds_the_results_stored_and_sql_down_delays_them_only(
    launch: Launch, make: MakeClient, e2e_database_url: str
) -> None:
    """A workshop plays to the end: when ``game_over`` arrives, ``export.json`` already holds
    every life (``complete``). A second workshop ends while the results database refuses
    writes (another connection holds its write lock): ``game_over`` still comes, the export
    says how many results are pending, and once the database is back every life is stored."""
    server = launch("results")
    for round_trip in ("normal", "sql_down"):
        host, code, players = await room_on(make, server.ws_url, 2)
        holder = None
        rounds = int(meta_rounds(server, code))
        for r in range(rounds):
            if r:
                assert (await host.host("open_round"))["type"] == "ack"
                for player in players:
                    await player.next(is_event("round_opened", round=r))
            if round_trip == "sql_down" and r == rounds - 1:
                holder = WriteLock(e2e_database_url)
            for player in players:
                assert (await player.decide(r))["type"] == "ack"
            await host.next(is_event("round_closed", round=r), timeout=15)
        await host.next(is_event("game_over"), timeout=15)
        export = server.get(f"/api/rooms/{code}/export.json", headers=auth(host))
        assert export.status_code == 200, export.text
        body = export.json()
        if holder is None:
            assert body["complete"], body
            assert len(body["results"]) == 2
            continue
        assert not body["complete"]
        assert body["pending"] >= 2
        holder.release()
        for _ in range(100):
            body = server.get(f"/api/rooms/{code}/export.json", headers=auth(host)).json()
            if body["complete"]:
                break
            await asyncio.sleep(0.1)
        assert body["complete"], body
        assert len(body["results"]) == 2


def meta_rounds(server: ServerProcess, code: str) -> int:
    return int(meta(server.redis_url, code)["rounds"])


def auth(host: Client) -> dict[str, str]:
    assert host.token is not None
    return {"Authorization": f"Bearer {host.token}"}


class WriteLock:
    """Another connection holds the results tables' write lock while readers still read: on
    SQLite the file's reserved lock, on PostgreSQL an EXCLUSIVE table lock."""

    def __init__(self, database_url: str) -> None:
        self._sqlite: sqlite3.Connection | None = None
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        if database_url.startswith("sqlite"):
            self._sqlite = sqlite3.connect(
                database_url.removeprefix("sqlite:///"), isolation_level=None
            )
            self._sqlite.execute("BEGIN IMMEDIATE")
            return
        self._engine = create_engine(database_url, poolclass=NullPool)
        self._connection = self._engine.connect()
        self._connection.begin()
        self._connection.execute(
            text("LOCK TABLE life_result, room_summary, quiz_answer IN EXCLUSIVE MODE")
        )

    def release(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("ROLLBACK")
            self._sqlite.close()
        if self._connection is not None and self._engine is not None:
            self._connection.rollback()
            self._connection.close()
            self._engine.dispose()
