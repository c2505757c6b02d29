"""What the public limits count in Redis: rooms started per address and hour, live rooms.

Room creations are counted in Redis, not in one instance's memory, because any instance may
serve any phone: behind a load balancer a per-instance count would let one address start the
limit times the number of instances. One counter per address, kind of room and clock hour:

- ``gig:limits:salt``: a random key made once (``SET NX``), for the address pseudonyms;
- ``gig:limits:rooms:{kind}:{hour}:{pseudonym}``: rooms started in that hour (``INCR``), expiring
  an hour after the hour ends. ``pseudonym`` is the first 16 hex digits of
  HMAC-SHA-256(salt, address): the address itself is never written to Redis. (A pseudonym, not
  anonymity: whoever holds the Redis data can try every IPv4 address against it; the counter's
  short life is what limits what is kept.)

Live rooms are the members of ``gig:rooms``, the index of rooms the idle sweep disposes of
(``room_store.py``; on a Redis Cluster several keys, ``indexes.py``, whose sizes are added):
every room is in it from its creation until it is disposed of, so its size is the number of
rooms Redis holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final, Literal

from game_server.stores.indexes import Indexes
from game_server.stores.redis_client import RedisClient

SALT_KEY: Final = "gig:limits:salt"
HOUR_MS: Final = 3_600_000
COUNTER_OUTLIVES_HOUR_SECONDS: Final = 3600
"""A counter is kept until an hour after its hour ended, then Redis drops it."""

RoomKind = Literal["workshop", "solo"]

_GIVE_BACK: Final = """
if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end
return 0
"""


def pseudonym(salt: str, address: str) -> str:
    """The address as it is counted: not reversible without the salt."""
    return hmac.new(salt.encode(), address.encode(), hashlib.sha256).hexdigest()[:16]


def creation_key(kind: RoomKind, now_ms: int, address_pseudonym: str) -> str:
    """The counter of ``kind`` rooms started in the clock hour of ``now_ms`` from one address."""
    return f"gig:limits:rooms:{kind}:{now_ms // HOUR_MS}:{address_pseudonym}"


def counter_ttl_seconds(now_ms: int) -> int:
    """Seconds from ``now_ms`` until the counter of its hour may go (an hour after the hour)."""
    hour_end = (now_ms // HOUR_MS + 1) * HOUR_MS
    return (hour_end - now_ms) // 1000 + 1 + COUNTER_OUTLIVES_HOUR_SECONDS


@dataclass(frozen=True, slots=True)
class Taken:
    """One room start counted (given back if the room was not made after all)."""

    key: str
    count: int


class LimitCounts:
    """The counters of the public limits, in the deployment's Redis."""

    def __init__(self, redis: RedisClient, indexes: Indexes | None = None) -> None:
        self._r = redis
        self._indexes = indexes or Indexes()
        self._salt: str | None = None

    async def salt(self) -> str:
        """The deployment's pseudonym key: made by the first instance that needs it, then the
        same for every instance (cached: it never changes)."""
        if self._salt is None:
            await self._r.set(SALT_KEY, secrets.token_hex(16), nx=True)
            value = await self._r.get(SALT_KEY)
            if value is None:  # pragma: no cover - deleted between the two commands
                raise RuntimeError("the limits salt vanished from Redis")
            self._salt = value.decode() if isinstance(value, bytes) else str(value)
        return self._salt

    async def take_creation(self, kind: RoomKind, address: str, now_ms: int) -> Taken:
        """Count one room start of ``kind`` from ``address`` in the hour of ``now_ms``; the
        caller compares :attr:`Taken.count` with the limit."""
        key = creation_key(kind, now_ms, pseudonym(await self.salt(), address))
        async with self._r.pipeline(transaction=False) as pipe:
            # Both on the one key: a single slot on a cluster too.
            pipe.set(key, 0, ex=counter_ttl_seconds(now_ms), nx=True)
            pipe.incr(key)
            _, count = await pipe.execute()
        return Taken(key, int(count))

    async def give_back(self, taken: Taken) -> None:
        """The room counted was not made (a wrong scenario, a wrong passcode, an error). Only
        while the counter exists: a ``DECR`` of an expired one would make a key that never
        expires."""
        await self._r.eval(_GIVE_BACK, 1, taken.key)

    async def live_rooms(self) -> int:
        keys = self._indexes.all_rooms()
        if len(keys) == 1:
            return int(await self._r.zcard(keys[0]))
        async with self._r.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zcard(key)
            return sum(int(n) for n in await pipe.execute())
