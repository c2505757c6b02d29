"""Redis full mid-game (``maxmemory`` reached, ``noeviction``), over a real server process on its
own embedded Redis: every refused action is answered ``server/busy`` with its id and nothing of it
is written, the room's hosts are warned, the connections go on, ``/healthz`` says not ready and
``/metrics`` counts the refusals; once memory is freed the round closes and the game goes on.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from e2e.e2e_faults_support import launcher, traceback_headlines
from e2e.e2e_support import Client, ServerProcess, clients, is_event, is_type

from game_server.protocol import errors
from game_server.room.reducer import invariant_violations
from game_server.stores.embedded_redis import EmbeddedRedis
from game_server.stores.room_state import decode_state

Launch = Callable[..., ServerProcess]
MakeClient = Callable[..., Awaitable[Client]]


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


def fill_to_maxmemory(r: redis.Redis) -> int:
    """Set ``maxmemory`` a little above what Redis uses now and write filler keys until Redis
    refuses one (``noeviction``): from then on every write that may grow memory is refused.
    Returns how many filler keys went in."""
    r.config_set("maxmemory-policy", "noeviction")
    used = int(r.info("memory")["used_memory"])
    r.config_set("maxmemory", str(used + 1_000_000))
    for i in range(10_000):
        try:
            r.set(f"filler:{i}", "x" * 10_000)
        except redis.exceptions.OutOfMemoryError:
            # Full stays full: client buffers shrinking after the last write (or a key of the
            # server's expiring) must not make room for a small write again during the test.
            r.config_set("maxmemory", str(int(r.info("memory")["used_memory"]) - 256_000))
            return i
    raise AssertionError("Redis never refused a write: maxmemory is not in force")


def room_dump(r: redis.Redis, code: str) -> dict[str, Any]:
    """Every key of the room with its whole value, and the room's entries in the global sets."""
    out: dict[str, Any] = {}
    for key in sorted(r.scan_iter(match=f"{{room:{code}}}:*")):
        kind = r.type(key)
        if kind == "hash":
            out[key] = r.hgetall(key)
        elif kind == "set":
            out[key] = sorted(r.smembers(key))
        elif kind == "zset":
            out[key] = r.zrange(key, 0, -1, withscores=True)
        elif kind == "stream":
            out[key] = r.xrange(key)
        elif kind == "string":
            out[key] = r.get(key)
        else:
            out[key] = kind
    for index in ("gig:deadlines", "gig:rooms", "gig:outbox"):
        out[index] = r.zscore(index, code)
    return out


def consistent(r: redis.Redis, code: str) -> list[str]:
    """The room reducer's invariants over the state stored in Redis."""
    meta = {str(k): str(v) for k, v in r.hgetall(f"{{room:{code}}}:meta").items()}
    seats = int(r.hlen(f"{{room:{code}}}:players"))
    kicked = frozenset(str(p) for p in r.smembers(f"{{room:{code}}}:kicked"))
    return invariant_violations(decode_state(meta, seats, kicked))


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of ``/metrics`` (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def until_ready(server: ServerProcess, ready: bool, timeout: float = 5.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        answer = server.get("/healthz")
        if (answer.status_code == 200) == ready or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


async def test_full_redis_refuses_with_server_busy_writes_nothing_and_the_game_goes_on(
    launch: Launch, make: MakeClient, e2e_dir: Path
) -> None:
    embedded = EmbeddedRedis(e2e_dir / "redis-full", appendonly=False)
    url = embedded.start()
    r = redis.Redis.from_url(url, decode_responses=True)
    try:
        # No presence heartbeat during the test: the room's keys change only by the actions.
        server = launch("full", redis=url, PRESENCE_HEARTBEAT_SECONDS="600")
        assert until_ready(server, True).status_code == 200
        host = await make(server.ws_url, "host")
        created, _ = await host.create("workshop", round_seconds=120)
        code = created["code"]
        players = []
        for i in range(3):
            player = await make(server.ws_url, f"p{i + 1}")
            await player.join(code, f"玩家{i + 1}")
            await host.next(is_event("player_joined", player_id=player.player_id))
            players.append(player)
        assert (await host.host("start"))["type"] == "ack"
        for client in (host, *players):
            await client.next(is_event("round_opened", round=0))
        for player in players:
            assert (await player.decide(0))["type"] == "ack"
        await host.next(is_event("round_closed", round=0))
        for player in players:
            await player.next(is_type("round_result"))
        assert (await host.host("open_round"))["type"] == "ack"
        for client in (host, *players):
            await client.next(is_event("round_opened", round=1))
        first = players[0]
        assert first.status is not None
        ack = await first.decide(1, {**first.status["defaults"], "saving_rate": 17})
        assert (ack["type"], ack["decided"]) == ("ack", 1)
        await host.next(is_event("decided", decided=1))

        fill_to_maxmemory(r)
        before = room_dump(r, code)
        log_start = server.log_path.stat().st_size

        # Every action that writes is refused, typed, with its id; the connection goes on.
        refused = [
            await players[1].decide(1),
            await players[2].decide(1),
            await host.host("pause"),
            await host.host("close_round"),
        ]
        newcomer = await make(server.ws_url, "late")
        refused.append(await newcomer.request({"type": "join", "code": code, "nickname": "迟到"}))
        other_host = await make(server.ws_url, "host2")
        refused.append(
            await other_host.request(
                {"type": "create_room", "scenario_id": "hangzhou-rider", "mode": "solo"}
            )
        )
        for answer in refused:
            assert answer["type"] == "error", answer
            assert answer["code"] == errors.BUSY, answer
            assert "full" in answer["message"], answer
            assert "not saved" in answer["message"], answer
        # The host is warned that its players' actions are refused (no client_msg_id: it is not
        # the answer to any of the host's own actions).
        warning = await host.next(lambda m: m.get("type") == "error" and "client_msg_id" not in m)
        assert warning["code"] == errors.BUSY, warning
        assert "full" in warning["message"], warning
        for client in (host, *players, newcomer, other_host):
            assert not client.closed, f"{client.name} lost its socket"
            await client.ping()

        # Nothing half-written: the room in Redis is exactly what it was, and consistent.
        assert room_dump(r, code) == before
        assert consistent(r, code) == []
        assert r.hlen(f"{{room:{code}}}:pending") == 1

        # Not ready, saying why; alive all the same.
        health = until_ready(server, False)
        assert health.status_code == 503, health.text
        body = health.json()
        assert body["status"] == "not_ready"
        assert body["instance"] == "full"
        assert body["checks"]["redis"]["ok"] is True
        assert set(body["failed"]) == {"writable", "memory"}, body
        assert "OutOfMemoryError" in body["checks"]["writable"]["detail"]
        assert server.get("/livez").status_code == 200
        metrics = server.get("/metrics").text
        assert metric(metrics, "gig_redis_refusals_total", reason="memory", during="action") >= 6
        assert metric(metrics, "gig_ws_errors_total", code="server/busy") >= 7
        assert metric(metrics, "gig_ws_errors_total", code="server/internal") == 0
        assert metric(metrics, "gig_ready") == 0
        assert metric(metrics, "gig_not_ready_total", check="writable") >= 1
        # Refusals are warnings, not tracebacks of "handling a message".
        assert "handling a message" not in server.log_path.read_text()[log_start:]

        # Memory freed: ready again, the same decisions are accepted, the round closes.
        r.config_set("maxmemory", "0")
        assert until_ready(server, True).status_code == 200
        rates = {players[0].name: 17, players[1].name: 29, players[2].name: 41}
        for player in players[1:]:
            assert player.status is not None
            decisions = {**player.status["defaults"], "saving_rate": rates[player.name]}
            ack = await player.decide(1, decisions)
            assert ack["type"] == "ack", ack
        assert ack["all_decided"] is True
        closed = await host.next(is_event("round_closed", round=1))
        assert closed["event"]["defaulted"] == 0
        for player in players:
            result = await player.next(is_type("round_result"))
            assert result["stage"]["decisions"]["saving_rate"] == rates[player.name]
        assert consistent(r, code) == []

        # The game goes on: another round, then the host ends it and every life is summed up.
        assert (await host.host("open_round"))["type"] == "ack"
        for client in (host, *players):
            await client.next(is_event("round_opened", round=2))
        for player in players:
            assert (await player.decide(2))["type"] == "ack"
        await host.next(is_event("round_closed", round=2))
        assert (await host.host("end"))["type"] == "ack"
        await host.next(is_event("game_over"))
        for player in players:
            over = await player.next(is_type("life_over"))
            assert 0 <= over["life_over"]["summary"]["score"] <= 1000
        solo = await other_host.request(
            {"type": "create_room", "scenario_id": "hangzhou-rider", "mode": "solo"}
        )
        assert solo["type"] == "room_created", solo
        assert set(traceback_headlines(server)) <= {"deadline poll failed"}, server.log_tail(200)
    finally:
        r.close()
        embedded.stop()


async def test_unreachable_redis_answers_server_unavailable_and_healthz_503(
    launch: Launch, make: MakeClient, e2e_dir: Path
) -> None:
    """Redis stopped under a connected client: its action is answered ``server/unavailable``
    (not ``server/internal``), ``/healthz`` fails its ``redis`` check, ``/livez`` still answers;
    Redis back, the same server is ready again and creates rooms."""
    embedded = EmbeddedRedis(e2e_dir / "redis-down", appendonly=False)
    url = embedded.start()
    try:
        server = launch("down", redis=url, HEALTH_TIMEOUT_SECONDS="1")
        client = await make(server.ws_url, "solo")
        embedded.stop()
        answer = await client.request(
            {"type": "create_room", "scenario_id": "hangzhou-rider", "mode": "solo"},
            timeout=30,
        )
        assert (answer["type"], answer["code"]) == ("error", errors.UNAVAILABLE), answer
        assert answer["client_msg_id"].startswith("solo-")
        await client.ping()
        health = until_ready(server, False)
        assert health.status_code == 503
        assert health.json()["failed"] == ["redis"], health.text
        assert server.get("/livez").status_code == 200
        metrics = server.get("/metrics").text
        assert metric(metrics, "gig_redis_refusals_total", reason="unreachable", during="action")
        embedded.start()
        assert until_ready(server, True, timeout=10).status_code == 200
        created = await client.request(
            {"type": "create_room", "scenario_id": "hangzhou-rider", "mode": "solo"}
        )
        assert created["type"] == "room_created", created
    finally:
        embedded.stop()
