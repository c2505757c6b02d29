"""The deployment's global indexes, spread over several keys on a Redis Cluster (pure: names).

Three sorted sets index rooms for the background loops every instance runs: ``gig:deadlines``
(rooms by when the deadline poller should look), ``gig:rooms`` (rooms by their last change, for
the idle sweep; its size is the live-rooms limit) and ``gig:outbox`` (rooms by when the results
outbox is next due). On one Redis each is one key. On a cluster one key lives on one shard, so
every instance's poll (twice a second) and every write of it would land there: with ``shards``
above 1 each index is ``shards`` keys, ``gig:deadlines:{N}``, and a room is in key
``N = crc32(code) mod shards`` of each (the three keys of one ``N`` share the hash tag ``{N}``,
so one room's index entries are on one shard). The loops read every key of an index (one
pipelined command per key, sent to each shard at once).

The shard of a code is CRC-32, not Python's ``hash``: every instance must agree on it.
"""

from __future__ import annotations

import zlib
from typing import Final

from game_server.outbox.items import OUTBOX_INDEX

DEADLINES: Final = "gig:deadlines"
ROOMS: Final = "gig:rooms"
OUTBOX: Final = OUTBOX_INDEX

CLUSTER_SHARDS: Final = 16
"""Keys per index on a cluster by default: with 3 to 5 primaries their hash tags spread over
every shard (16 tags, CRC16 slots); more keys than that only add commands to each poll."""


class Indexes:
    """The key of each index for a room, and every key of each index."""

    __slots__ = ("shards",)

    def __init__(self, shards: int = 1) -> None:
        if shards < 1:
            raise ValueError("an index has at least one key")
        self.shards = shards

    def shard(self, code: str) -> int:
        return zlib.crc32(code.encode()) % self.shards

    def _key(self, base: str, shard: int) -> str:
        # One key: the name it always had (a standalone deployment's data stays where it was).
        return base if self.shards == 1 else f"{base}:{{{shard}}}"

    def _all(self, base: str) -> list[str]:
        return [self._key(base, n) for n in range(self.shards)]

    def deadlines(self, code: str) -> str:
        return self._key(DEADLINES, self.shard(code))

    def rooms(self, code: str) -> str:
        return self._key(ROOMS, self.shard(code))

    def outbox(self, code: str) -> str:
        return self._key(OUTBOX, self.shard(code))

    def all_deadlines(self) -> list[str]:
        return self._all(DEADLINES)

    def all_rooms(self) -> list[str]:
        return self._all(ROOMS)

    def all_outbox(self) -> list[str]:
        return self._all(OUTBOX)
