"""Two game server processes (instances ``a`` and ``b``) on one Redis and one database.

Any instance serves any player of any room: the room's events come through Redis in one order,
and when an instance dies its players resume on the other one without losing their seat or the
decisions they had made.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio
from e2e.e2e_support import Client, Message, ServerProcess, clients, is_event, is_type

ROUNDS = 10

MakeClient = Callable[[str, str], Awaitable[Client]]


@pytest.fixture(scope="module")
def servers(start_server: Callable[[str], ServerProcess]) -> dict[str, ServerProcess]:
    # One after the other: both migrate the shared database at start-up.
    return {name: start_server(name) for name in ("a", "b")}


@pytest.fixture
def instances(
    servers: dict[str, ServerProcess], start_server: Callable[[str], ServerProcess]
) -> dict[str, ServerProcess]:
    """Both instances running (one killed by an earlier test is started again)."""
    for name, server in list(servers.items()):
        if not server.running:
            servers[name] = start_server(name)
    return servers


@pytest.fixture
async def make() -> AsyncIterator[MakeClient]:
    """``await make(url, name)``: a connected client (hello done), closed after the test."""
    async with clients() as make_client:
        yield make_client


async def join(client: Client, code: str, host: Client) -> None:
    await client.join(code, client.name)
    await host.next(is_event("player_joined", player_id=client.player_id))


async def test_players_on_both_instances_see_one_order(
    instances: dict[str, ServerProcess], make: MakeClient, e2e_redis_url: str
) -> None:
    """A room whose host is on ``a`` and whose players are on ``a`` and ``b`` plays a whole game
    (decisions sent at the same time from both instances, a pause and a pool round): every
    client receives the same room events (seq, kind) in the same order, with no gap and no
    duplicate from the moment it joined, exactly as the room's stream in Redis holds them."""
    a, b = instances["a"], instances["b"]
    host = await make(a.ws_url, "host")
    created, snapshot = await host.create("workshop", round_seconds=30)
    code = created["code"]
    start_seq = {host.name: snapshot["seq"]}
    players = []
    for name, server in (("pa1", a), ("pb1", b), ("pa2", a), ("pb2", b)):
        player = await make(server.ws_url, name)
        assert player.messages[0]["instance"] == server.instance_id
        await join(player, code, host)
        start_seq[name] = next(m for m in player.messages if m.get("type") == "snapshot")["seq"]
        players.append(player)
    everyone = [host, *players]

    for r in range(ROUNDS):
        ack = await (
            host.host("start") if r == 0 else host.host("open_round", pool=r == 2, seconds=30)
        )
        assert ack["type"] == "ack", ack
        for client in everyone:
            await client.next(is_event("round_opened", round=r))
        if r == 4:
            assert (await host.host("pause"))["type"] == "ack"
            assert (await host.host("resume"))["type"] == "ack"
            for client in everyone:
                await client.next(is_event("resumed", round=r))
        acks = await asyncio.gather(*(p.decide(r) for p in players))
        assert sorted(ack["decided"] for ack in acks) == [1, 2, 3, 4], acks
        closed = await host.next(is_event("round_closed", round=r))
        assert closed["event"]["defaulted"] == 0
        assert ("pool" in closed["event"]) is (r == 2)
        for player in players:
            result = await player.next(is_type("round_result"))
            assert result["seq"] == closed["seq"]
    for client in everyone:
        await client.next(is_event("game_over"))
    for player in players:
        await player.next(is_type("life_over"))

    store = redis.asyncio.Redis.from_url(e2e_redis_url, decode_responses=True)
    try:
        entries: Any = await store.xrange(f"{{room:{code}}}:events")
    finally:
        await store.aclose()
    stream = [(int(i.split("-")[0]), json.loads(f["d"])["kind"]) for i, f in entries]
    assert [seq for seq, _ in stream] == list(range(1, len(stream) + 1))
    assert stream[-1][1] == "game_over"
    for c in everyone:
        expected = [item for item in stream if item[0] > start_seq[c.name]]
        assert c.events() == expected, c.name


async def room_on(
    make: MakeClient, host_on: ServerProcess, players_on: list[tuple[str, ServerProcess]]
) -> tuple[Client, str, list[Client]]:
    """A workshop room (10 s rounds) hosted on ``host_on``, with players named and placed as
    given, started: round 0 is open for everyone."""
    host = await make(host_on.ws_url, f"host-{players_on[0][0]}")
    created, _ = await host.create("workshop", round_seconds=10)
    code = created["code"]
    players = []
    for name, server in players_on:
        player = await make(server.ws_url, name)
        await join(player, code, host)
        players.append(player)
    assert (await host.host("start"))["type"] == "ack"
    await host.next(is_event("round_opened", round=0))
    for player in players:
        await player.next(is_event("round_opened", round=0))
    return host, code, players


async def decide_employee(player: Client, r: int) -> Message:
    assert player.status is not None
    ack = await player.decide(r, {**player.status["defaults"], "pension": "employee"})
    assert ack["type"] == "ack", ack
    return ack


async def test_killed_instance_players_resume_on_the_other(
    instances: dict[str, ServerProcess], make: MakeClient
) -> None:
    """SIGKILL of instance ``b`` in the middle of a round, after some of its players decided.
    Two rooms hosted on ``b``: X with players on both instances, Y with every client on ``b``
    (so ``a`` learns of Y only when they come over). Every client of ``b``, the hosts too,
    resumes on ``a`` with its token and last_seq within 5 s and keeps its seat; the decisions
    made before the kill are still counted and played (results show pension "employee"); each
    round closes at its deadline (one player never decides) although the instance that opened it
    is dead, with that player's defaults; and the game goes on from ``a``."""
    a, b = instances["a"], instances["b"]
    host_x, _, players_x = await room_on(make, b, [("xb1", b), ("xb2", b), ("xa1", a), ("xa2", a)])
    host_y, _, players_y = await room_on(make, b, [("yb1", b), ("yb2", b)])
    opened_x = next(m for m in host_x.messages if is_event("round_opened")(m))
    opened_y = next(m for m in host_y.messages if is_event("round_opened")(m))
    deadline = max(opened_x["event"]["deadline"], opened_y["event"]["deadline"])

    await decide_employee(players_x[0], 0)
    await decide_employee(players_x[1], 0)
    ack = await players_x[2].decide(0)
    assert (ack["decided"], ack["total"]) == (3, 4)
    ack = await decide_employee(players_y[0], 0)
    assert (ack["decided"], ack["total"]) == (1, 2)
    never = {players_x[3].name: players_x[3].status, players_y[1].name: players_y[1].status}

    b.kill()
    killed_at = time.monotonic()
    moved = [host_x, *players_x[:2], host_y, *players_y]
    seen = [c.last_seq for c in moved]
    answers = await asyncio.gather(
        *(c.reconnect(a.ws_url, last_seq=s) for c, s in zip(moved, seen, strict=True))
    )
    assert time.monotonic() - killed_at < 5.0
    for client, last_seq, answer in zip(moved, seen, answers, strict=True):
        assert answer["type"] in ("resumed", "snapshot"), (client.name, answer)
        if answer["type"] == "snapshot":
            assert answer.get("player_id") == client.player_id
        else:
            assert (answer["seq"], answer["missed"]) == (last_seq, 0)
        welcome = next(m for m in reversed(client.messages) if m.get("type") == "welcome")
        assert welcome["instance"] == "a"

    # The seats and the decisions are there: a fresh view of each room on `a`.
    for host, players, decided in ((host_x, players_x, 3), (host_y, players_y, 1)):
        assert host.token is not None
        viewer = await make(a.ws_url, f"viewer-{host.name}")
        await viewer.hello(host.token)
        snapshot = await viewer.next(is_type("snapshot"))
        assert (snapshot["round"], snapshot["round_state"]) == (0, "open")
        assert snapshot["decided"] == decided
        assert {p["player_id"] for p in snapshot["players"]} == {p.player_id for p in players}
        await viewer.close()

    # Each round closes at its deadline on `a`, with the decisions made before the kill.
    for host, players, employees in ((host_x, players_x, 2), (host_y, players_y, 1)):
        closed = await host.next(is_event("round_closed", round=0), timeout=15)
        assert time.time() * 1000 >= deadline - 50, "closed before the deadline"
        assert closed["event"]["defaulted"] == 1
        assert closed["event"]["stats"]["pension"].get("employee") == employees
        for player in players:
            result = await player.next(is_type("round_result"))
            assert result["seq"] == closed["seq"]
            assert result["stage"]["round"] == 0
            decisions = result["stage"]["decisions"]
            if player.name in never:
                assert decisions == never[player.name]["defaults"]  # type: ignore[index]
            elif player.name != "xa1":
                assert decisions["pension"] == "employee"

    # The games go on from `a`: X plays round 1, then both hosts end their games.
    assert (await host_x.host("open_round"))["type"] == "ack"
    for player in players_x:
        await player.next(is_event("round_opened", round=1))
        ack = await player.decide(1)
        assert ack["type"] == "ack", ack
    closed = await host_x.next(is_event("round_closed", round=1))
    assert closed["event"]["defaulted"] == 0
    for host, players in ((host_x, players_x), (host_y, players_y)):
        assert (await host.host("end"))["type"] == "ack"
        for player in players:
            over = await player.next(is_type("life_over"))
            assert 0 <= over["life_over"]["summary"]["score"] <= 1000
