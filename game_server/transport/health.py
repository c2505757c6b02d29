"""Readiness: can this instance serve a game right now? Redis answering, writable, with room.

``GET /healthz`` is what a load balancer or an orchestrator asks before sending players here;
``GET /livez`` only says the process is up (for a supervisor that restarts dead processes, which
must not restart a healthy process because Redis is full).

Three checks (when ``PING`` fails, the other two are not tried):

- ``redis``: ``PING`` answers within the timeout.
- ``writable``: a tiny ``SET`` with a short expiry on this instance's own key. A real write is the
  only check that sees every reason Redis refuses writes: memory full under ``noeviction``
  (``OOM``), a disk that failed under its persistence (``MISCONF``), a replica after a failover
  (``READONLY``). Its cost is one short key per instance.
- ``memory``: ``used_memory / maxmemory`` from ``INFO memory`` under ``max_ratio``: not ready a
  little *before* writes are refused, so new players go elsewhere while the ones here can finish
  their game. No ``maxmemory`` (0): no limit to measure, the check passes.

On a Redis Cluster ``redis`` is ``PING`` to every primary and the cluster's own state
(``cluster_state:ok``: every slot served), ``writable`` the write on the shard of this
instance's key, and ``memory`` the fullest primary (any full shard refuses its rooms' writes).

SQL is not checked: results reach it through the outbox in Redis, which keeps them while the
database is down (a game goes on without SQL; it cannot without Redis).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from prometheus_client import Counter, Gauge
from pydantic import BaseModel
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from game_server.stores.redis_client import RedisClient

CheckName = Literal["redis", "writable", "memory"]

READY = Gauge("gig_ready", "1 when the last /healthz found this instance ready, else 0")
NOT_READY = Counter("gig_not_ready_total", "/healthz answers that a check failed", ["check"])
REDIS_MEMORY = Gauge(
    "gig_redis_memory_ratio", "Redis used_memory / maxmemory at the last /healthz (0: no limit)"
)

HEALTH_KEY_SECONDS = 30


class Check(BaseModel):
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: Literal["ok", "not_ready"]
    instance: str
    failed: list[CheckName]
    checks: dict[CheckName, Check]


def health_key(instance: str) -> str:
    return f"gig:health:{instance}"


def memory_check(info: dict[str, Any], max_ratio: float) -> tuple[Check, float]:
    """The headroom check from ``INFO memory`` (pure); also the ratio, 0 without a limit."""
    used = int(info.get("used_memory", 0))
    limit = int(info.get("maxmemory", 0))
    if limit <= 0:
        return Check(ok=True, detail=f"used {used} bytes, no maxmemory"), 0.0
    ratio = used / limit
    detail = f"used {used} of maxmemory {limit} bytes ({ratio:.0%}, ready below {max_ratio:.0%})"
    return Check(ok=ratio < max_ratio, detail=detail), ratio


async def readiness(
    redis: RedisClient, instance: str, now_ms: int, max_ratio: float, timeout: float
) -> Readiness:
    """Run the checks against ``redis``; each Redis call bounded by ``timeout`` seconds."""
    checks: dict[CheckName, Check] = {}

    async def attempt(name: CheckName, call: Any) -> Any:
        try:
            return await asyncio.wait_for(call, timeout)
        except TimeoutError:  # wait_for's (redis-py's own TimeoutError is a RedisError)
            checks[name] = Check(ok=False, detail=f"no answer within {timeout:g} s")
        except RedisError as exc:
            checks[name] = Check(ok=False, detail=f"{type(exc).__name__}: {exc}")
        return None

    if isinstance(redis, RedisCluster):
        answered = await attempt("redis", _cluster_answers(redis))
    else:
        answered = await attempt("redis", redis.ping())
    if answered is not None and answered is not False:
        checks["redis"] = Check(ok=True, detail="PING answered")
        key = health_key(instance)
        if await attempt("writable", redis.set(key, str(now_ms), ex=HEALTH_KEY_SECONDS)):
            checks["writable"] = Check(ok=True, detail=f"SET {key} stored")
        info = await attempt(
            "memory",
            _fullest_primary(redis) if isinstance(redis, RedisCluster) else redis.info("memory"),
        )
        if info is not None:
            checks["memory"], ratio = memory_check(info, max_ratio)
            REDIS_MEMORY.set(ratio)
    failed: list[CheckName] = [name for name, check in checks.items() if not check.ok]
    READY.set(0 if failed else 1)
    for name in failed:
        NOT_READY.labels(name).inc()
    return Readiness(
        status="not_ready" if failed else "ok", instance=instance, failed=failed, checks=checks
    )


async def _cluster_answers(redis: RedisCluster) -> bool:
    """Every primary answers ``PING`` and the cluster serves every slot."""
    if not await redis.ping(target_nodes=RedisCluster.PRIMARIES):
        return False
    state: Any = await redis.cluster_info()
    if state.get("cluster_state") != "ok":
        raise RedisError(f"cluster_state is {state.get('cluster_state')}")
    return True


async def _fullest_primary(redis: RedisCluster) -> dict[str, Any]:
    """``INFO memory`` of the primary nearest its ``maxmemory``."""
    infos: Any = await redis.info("memory", target_nodes=RedisCluster.PRIMARIES)
    if "used_memory" in infos:  # one primary: redis-py gives its answer as is
        return dict(infos)
    ratios = [memory_check(info, 1.0)[1] for info in infos.values()]
    return dict(list(infos.values())[ratios.index(max(ratios))])
