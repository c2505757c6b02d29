"""The Redis client of the deployment: one server (the default, also the embedded one) or a
Redis Cluster (``REDIS_CLUSTER=true``, ``REDIS_URL`` naming any of its nodes).

Both are redis-py asyncio clients with ``decode_responses``; what differs for the game is
named here once: on a cluster the room scripts publish with ``SPUBLISH`` and the room bus
subscribes with ``SSUBSCRIBE`` (sharded pub/sub, Redis 7: a message goes to the one shard of its
channel's slot, where plain ``PUBLISH`` is broadcast to every node of the cluster), and the
global indexes are spread over several keys (``indexes.py``).
"""

from __future__ import annotations

from typing import TypeAlias

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from game_server.config import Settings
from game_server.stores.indexes import CLUSTER_SHARDS, Indexes

RedisClient: TypeAlias = Redis | RedisCluster


def is_cluster(client: RedisClient) -> bool:
    return isinstance(client, RedisCluster)


def indexes_for(settings: Settings) -> Indexes:
    """``REDIS_INDEX_SHARDS`` when set, else one key each on one server and 16 on a cluster."""
    if settings.redis_index_shards is not None:
        return Indexes(settings.redis_index_shards)
    return Indexes(CLUSTER_SHARDS if settings.redis_cluster else 1)


def connect(settings: Settings) -> RedisClient:
    """The client for ``REDIS_URL`` (not connected yet: the first command connects)."""
    url = str(settings.redis_url)
    if settings.redis_cluster:
        # redis-py's cluster client finds every node from this one, follows MOVED/ASK, and on
        # a failed connection reloads the slots map and retries (a failover's promoted
        # replica). ``max_connections`` is per node.
        return RedisCluster.from_url(
            url, decode_responses=True, max_connections=settings.redis_max_connections
        )
    # A plain pool: its checkout is a list pop (the blocking pool's condition and timeout took
    # 7 % of the server's time under the workshop mix). A burst (a venue's Wi-Fi drops and
    # 2,000 phones reconnect) opens more connections, up to the setting's bound, which is set
    # well above what one event loop has in flight and below Redis's own maxclients.
    pool = ConnectionPool.from_url(
        url,
        decode_responses=True,
        max_connections=settings.redis_max_connections,
        # A restarted Redis leaves the pooled connections stale: retry on a new one.
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return Redis(connection_pool=pool)


async def close(client: RedisClient) -> None:
    await client.aclose()
    if isinstance(client, Redis):
        await client.connection_pool.aclose()


class WrongRedisMode(RuntimeError):
    """``REDIS_URL`` names a cluster node without ``REDIS_CLUSTER`` (or the other way round)."""


async def check_mode(client: RedisClient) -> None:
    """Refuse to start on the wrong kind of Redis: a plain client on a cluster node would fail
    every room whose slot that node does not serve (``MOVED``), at random, while ``/healthz``
    might say "ok"."""
    if isinstance(client, RedisCluster):
        return  # the cluster client itself refuses a server that is not a cluster node
    info: dict[str, object] = await client.info("cluster")
    if str(info.get("cluster_enabled", "0")) == "1":
        raise WrongRedisMode(
            "REDIS_URL names a node of a Redis Cluster: set REDIS_CLUSTER=true to use it"
        )
