"""``python -m loadtests.wait_cost``: what ``WAIT 1`` after every acknowledged action would cost
on a Redis Cluster (``docs/architecture.md``, "Redis Cluster": why the server does not do it).

Starts the tests' six-node cluster (``tests/cluster_support.py``: Debian's ``redis-server``,
three primaries and three replicas on loopback), then on the primary of one room's slot runs a
script shaped like ``submit.lua`` (two ``HSET`` and an ``SPUBLISH``) ``--calls`` times, one at
a time and then ``--concurrency`` at a time, twice: alone, and pipelined with ``WAIT 1 100`` on
the same connection (``WAIT`` counts the replicas that have the connection's writes; it cannot
run inside a script). Prints the median and 99th percentile latency and the throughput of each.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cluster_support import redis_cluster

SUBMIT_LIKE = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], 'ok')
redis.call('SPUBLISH', ARGV[3], ARGV[2])
return 1
"""

ROOM = "{room:123456}"


async def one(client: Redis, sha: str, n: int, wait: bool) -> float:
    keys = [f"{ROOM}:pending", f"{ROOM}:acks"]
    start = time.perf_counter()
    async with client.pipeline(transaction=False) as pipe:
        pipe.evalsha(sha, 2, *keys, f"p{n}", '{"pension":"employee"}', f"{ROOM}:bus")
        if wait:
            pipe.execute_command("WAIT", 1, 100)
        replies: Any = await pipe.execute()
    if wait and int(replies[1]) < 1:
        raise RuntimeError("WAIT timed out: no replica acknowledged")
    return time.perf_counter() - start


async def measure(client: Redis, sha: str, calls: int, concurrency: int, wait: bool) -> str:
    serial = [await one(client, sha, n, wait) for n in range(calls)]
    started = time.perf_counter()
    queue = iter(range(calls))

    async def worker() -> list[float]:
        return [await one(client, sha, n, wait) for n in queue]

    runs = await asyncio.gather(*(worker() for _ in range(concurrency)))
    parallel = [t for run in runs for t in run]
    rate = calls / (time.perf_counter() - started)
    p99 = statistics.quantiles(serial, n=100)[98]
    p99_parallel = statistics.quantiles(parallel, n=100)[98]
    return (
        f"{'with WAIT 1' if wait else 'alone      '}: one at a time median "
        f"{statistics.median(serial) * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us; "
        f"{concurrency} at a time {rate:,.0f}/s, p99 {p99_parallel * 1e6:.0f} us"
    )


async def run(port: int, calls: int, concurrency: int) -> None:
    client = Redis(host="127.0.0.1", port=port, max_connections=concurrency)
    try:
        sha = str(await client.script_load(SUBMIT_LIKE))
        for wait in (False, True, False, True):  # twice each: the first pass warms up
            print(await measure(client, sha, calls, concurrency, wait))
    finally:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, redis_cluster(Path(tmp)) as cluster:
        primary = cluster.primary_of(ROOM)
        print(f"cluster up; the room's primary is {primary.address}")
        asyncio.run(run(primary.port, args.calls, args.concurrency))


if __name__ == "__main__":
    main()
