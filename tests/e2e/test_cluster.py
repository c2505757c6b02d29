"""Two game server instances on a real Redis Cluster (three primaries, three replicas, started by
``cluster_support.py``), each given a different node as ``REDIS_URL`` with ``REDIS_CLUSTER=true``.

A workshop and a solo life play to their end across both instances, their events on sharded
pub/sub and their deadlines on the spread index; then a primary is killed mid-game, its replica
takes over, and the game goes on with no acknowledged decision lost.

The guarantee tested is the cluster's own: replication is asynchronous, so a write a primary
acknowledged and died before sending to its replica is lost. The failover test kills the primary
once its replica has every write (the replica's offset caught up), which is what happens when a
primary dies more than a replication round trip (well under a millisecond here) after its last
acknowledged action; ``docs/architecture.md`` ("Redis Cluster") says why the server does not
``WAIT`` for a replica on every action, and what that would cost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import redis.cluster
from cluster_support import RedisCluster, redis_cluster
from e2e.e2e_support import Client, Message, ServerProcess, answers, clients, is_event, is_type

from game_server.stores.indexes import CLUSTER_SHARDS, Indexes

ROUNDS = 10
FAILOVER_TIMEOUT = 20.0

MakeClient = Callable[[str, str], Awaitable[Client]]


@pytest.fixture(scope="module")
def cluster(e2e_dir: Path) -> Iterator[RedisCluster]:
    with redis_cluster(e2e_dir / "cluster") as made:
        yield made


@pytest.fixture(scope="module")
def e2e_redis_url(cluster: RedisCluster) -> str:
    """The module's servers' Redis (``conftest.py``'s fixture, on the cluster)."""
    return cluster.url


@pytest.fixture(scope="module")
def servers(
    cluster: RedisCluster, start_server: Callable[..., ServerProcess]
) -> dict[str, ServerProcess]:
    """Instance ``a`` told of node 0 and ``b`` of node 1 (both primaries at the start)."""
    return {
        name: start_server(name, {"REDIS_CLUSTER": "true", "REDIS_URL": cluster.nodes[n].url})
        for n, name in enumerate(("a", "b"))
    }


@pytest.fixture
async def make() -> AsyncIterator[MakeClient]:
    async with clients() as make_client:
        yield make_client


def cluster_client(cluster: RedisCluster) -> redis.cluster.RedisCluster:
    live = next(n for n in cluster.nodes if n.running)
    return redis.cluster.RedisCluster(host="127.0.0.1", port=live.port, decode_responses=True)


async def join(client: Client, code: str, host: Client) -> None:
    await client.join(code, client.name)
    await host.next(is_event("player_joined", player_id=client.player_id))


async def decide_employee(player: Client, r: int) -> Message:
    assert player.status is not None
    ack = await player.decide(r, {**player.status["defaults"], "pension": "employee"})
    assert ack["type"] == "ack", ack
    return ack


async def until_answered(client: Client, message: Message, timeout: float) -> Message:
    """Send an action, and the same action again (one ``client_msg_id``) while the answer is
    ``server/unavailable``, as the phone's outbox does: its answer once Redis has it."""
    request = client.state.request({"client_msg_id": f"{client.name}-{time.monotonic_ns()}"})
    message = {**request, **message}
    deadline = time.monotonic() + timeout
    while True:
        await client.send(message)
        answer = await client.next(answers(message["client_msg_id"]), timeout)
        if not (answer.get("type") == "error" and answer.get("code") == "server/unavailable"):
            return answer
        assert time.monotonic() < deadline, f"{client.name}: still unavailable"
        await asyncio.sleep(0.2)


async def test_workshop_and_solo_across_two_instances_on_a_cluster(
    servers: dict[str, ServerProcess], make: MakeClient, cluster: RedisCluster
) -> None:
    """A workshop hosted on ``a`` with players on ``a`` and ``b`` plays every round (one closed
    by its deadline, found by a poller in the spread index ``gig:deadlines:{N}``); every client
    gets the same events in order, carried by sharded pub/sub (``PUBSUB SHARDNUMSUB`` counts both
    instances on the room's shard; no node has a plain subscriber); a solo life on ``b`` plays to
    its end and reaches SQL; no index is left on one key."""
    a, b = servers["a"], servers["b"]
    host = await make(a.ws_url, "host")
    created, _ = await host.create("workshop", round_seconds=30)
    code = created["code"]
    players = []
    for name, server in (("pa1", a), ("pb1", b), ("pb2", b)):
        player = await make(server.ws_url, name)
        assert player.messages[0]["instance"] == server.instance_id
        await join(player, code, host)
        players.append(player)
    everyone = [host, *players]
    channel = f"{{room:{code}}}:bus"
    shard = cluster.primary_of(channel)
    with shard.client() as node:
        assert node.execute_command("PUBSUB", "SHARDNUMSUB", channel)[1] == 2
    for other in cluster.nodes:
        with other.client() as node:
            assert node.execute_command("PUBSUB", "NUMSUB", channel)[1] == 0

    indexes = Indexes(CLUSTER_SHARDS)
    primaries = {cluster.primary_of(key).port for key in indexes.all_deadlines()}
    assert len(primaries) == 3, "the deadlines' keys are not on every shard"
    with cluster_client(cluster) as store:
        for r in range(ROUNDS):
            action = host.host("start") if r == 0 else host.host("open_round", seconds=10)
            assert (await action)["type"] == "ack"
            for client in everyone:
                await client.next(is_event("round_opened", round=r))
            assert store.zscore(indexes.deadlines(code), code) is not None
            deciding = players[:2] if r == 1 else players  # round 1 closes at its deadline
            acks = await asyncio.gather(*(p.decide(r) for p in deciding))
            assert all(ack["type"] == "ack" for ack in acks), acks
            closed = await host.next(is_event("round_closed", round=r), timeout=15)
            assert closed["event"]["defaulted"] == (1 if r == 1 else 0)
            for player in players:
                result = await player.next(is_type("round_result"))
                assert result["seq"] == closed["seq"]
        for client in everyone:
            await client.next(is_event("game_over"))
        entries: Any = store.xrange(f"{{room:{code}}}:events")
        for key in ("gig:deadlines", "gig:rooms", "gig:outbox"):
            assert not store.exists(key), f"{key} is one key on a cluster"
    stream = [int(entry_id.split("-")[0]) for entry_id, _ in entries]
    assert stream == list(range(1, len(stream) + 1))
    for client in everyone:
        seqs = [seq for seq, _ in client.events()]
        assert seqs == sorted(set(seqs)), client.name
        assert seqs[-1] == stream[-1], client.name

    me = await make(b.ws_url, "solo")
    created, _ = await me.create("solo", nickname="独行侠")
    for r in range(ROUNDS):
        ack = await me.decide(r)
        assert ack["type"] == "ack", ack
        result = await me.next(is_type("round_result"))
        assert result["stage"]["round"] == r
    over = await me.next(is_type("life_over"))
    score = over["life_over"]["summary"]["score"]
    assert 0 <= score <= 1000
    board: list[Message] = []
    for _ in range(50):  # in SQL through the room's outbox, whichever instance drains it
        board = a.get(f"/api/rooms/{created['code']}/leaderboard").json()
        if board:
            break
        await asyncio.sleep(0.1)
    assert [(row["nickname"], row["score"]) for row in board] == [("独行侠", score)]


async def test_a_primary_dies_mid_game_and_its_replica_takes_over(
    servers: dict[str, ServerProcess], make: MakeClient, cluster: RedisCluster
) -> None:
    """SIGKILL of the primary serving a room, in the middle of a round, after two of its three
    players' decisions were acknowledged (and had reached its replica: the cluster's guarantee).
    Its replica is promoted by the cluster itself (1 s node timeout, no ``CLUSTER FAILOVER``);
    the third player's decision, sent during the failover and resent while the answer is
    ``server/unavailable``, is acknowledged once; the round closes with all three decisions
    (the two acknowledged before the kill played as made); the next round opens, plays and
    closes on both instances, and both instances are ready again."""
    a, b = servers["a"], servers["b"]
    host = await make(a.ws_url, "fo-host")
    created, _ = await host.create("workshop", round_seconds=30)
    code = created["code"]
    players = []
    for name, server in (("fa", a), ("fb", b), ("fc", b)):
        player = await make(server.ws_url, name)
        await join(player, code, host)
        players.append(player)
    assert (await host.host("start"))["type"] == "ack"
    for client in (host, *players):
        await client.next(is_event("round_opened", round=0))
    await decide_employee(players[0], 0)
    await decide_employee(players[1], 0)

    primary = cluster.primary_of(f"{{room:{code}}}")
    (replica,) = cluster.replicas_of(primary)
    with primary.client() as p, replica.client() as r:
        target = int(p.info("replication")["master_repl_offset"])
        deadline = time.monotonic() + 5
        while int(r.info("replication")["slave_repl_offset"]) < target:
            assert time.monotonic() < deadline, "the replica did not catch up"
            await asyncio.sleep(0.01)
    primary.kill()
    killed = time.monotonic()

    assert players[2].status is not None
    decisions = {**players[2].status["defaults"], "pension": "employee"}
    ack = await until_answered(
        players[2], {"type": "decide", "round": 0, "decisions": decisions}, FAILOVER_TIMEOUT
    )
    assert ack["type"] == "ack", ack
    assert (ack["decided"], ack["total"]) == (3, 3)
    took_over = time.monotonic() - killed
    with replica.client() as r:
        assert r.info("replication")["role"] == "master"

    closed = await host.next(is_event("round_closed", round=0), timeout=FAILOVER_TIMEOUT)
    assert closed["event"]["defaulted"] == 0
    assert closed["event"]["stats"]["pension"].get("employee") == 3
    for player in players:
        result = await player.next(is_type("round_result"), timeout=FAILOVER_TIMEOUT)
        assert result["stage"]["decisions"]["pension"] == "employee"

    opened = await until_answered(
        host, {"type": "host", "action": "open_round", "seconds": 30}, FAILOVER_TIMEOUT
    )
    assert opened["type"] == "ack", opened
    for client in (host, *players):
        await client.next(is_event("round_opened", round=1), timeout=FAILOVER_TIMEOUT)
    for player in players:
        assert player.status is not None
        decide = {"type": "decide", "round": 1, "decisions": player.status["defaults"]}
        assert (await until_answered(player, decide, FAILOVER_TIMEOUT))["type"] == "ack"
    closed = await host.next(is_event("round_closed", round=1), timeout=10)
    assert closed["event"]["defaulted"] == 0
    for server in (a, b):
        deadline = time.monotonic() + FAILOVER_TIMEOUT
        while httpx.get(f"{server.http_url}/healthz", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, f"{server.instance_id} not ready after failover"
            await asyncio.sleep(0.2)
    print(f"failover: the third decision was acknowledged {took_over:.1f} s after the kill")


async def test_a_plain_client_on_a_cluster_node_refuses_to_start(
    cluster: RedisCluster, start_server: Callable[..., ServerProcess]
) -> None:
    """``REDIS_URL`` at a cluster node without ``REDIS_CLUSTER``: the server does not start
    (it would fail the rooms of every slot that node does not serve) and says what to set."""
    live = next(n for n in cluster.nodes if n.running)
    with pytest.raises(RuntimeError, match="REDIS_CLUSTER=true"):
        start_server("plain", {"REDIS_URL": live.url})
