"""Connections on this instance, by room, and the fan-out of room events to them.

Each connection has a bounded send queue drained by its own writer task: a broadcast only puts
the same prepared text into each queue, so one slow phone never holds up the others (see the
websockets docs, "broadcast"). A connection whose queue overflows is closed; the client resumes
from the last sequence number it saw and loses nothing.

Room events reach this instance on the room's pub/sub channel (``RoomBus``) and are handled by one
worker per room, in sequence order; a gap in the sequence is filled from the room's stream. On a
Redis Cluster the channel is a sharded one (``SSUBSCRIBE``: the room's shard only sends it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterPubSub, RedisCluster
from redis.exceptions import RedisError
from starlette.websockets import WebSocket

from game_server.cancellation import raise_if_cancelled
from game_server.protocol.outbound import Outbound
from game_server.service.rooms import Identity
from game_server.stores.redis_client import RedisClient
from game_server.transport.send_queue import SendQueue
from game_server.transport.ws_protocol import SEND_TEXTS, sends_texts

log = logging.getLogger(__name__)

SEND_QUEUE = 256
CLOSE_SLOW = 4008
CLOSE_KICKED = 4003
CLOSE_GONE = 4004
CLOSE_POLICY = 1008

SHARD_WAIT_SECONDS = 0.02
"""On a cluster, how long the bus waits on each shard's connection in turn (redis-py's
``ClusterPubSub.get_sharded_message`` reads them one after the other): with three shards a quiet
one delays another's message by at most 40 ms, for 150 short waits a second when all is quiet."""
RESUBSCRIBE_SECONDS = 0.5
EVENTS_PER_TURN = 64
"""A room's events handled in one turn of the event loop at most, then the connections' writers
run: a lobby's burst of joins read from the channel at once put hundreds of frames into a host's
queue before its writer could send one, and closed the host as too slow (a room of 2,000 in
`make bench`, 2026-12-04). Well under ``SEND_QUEUE``, so a writer that keeps up is never full."""


class RateLimit:
    """A token bucket: ``rate`` messages a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.stamp = time.monotonic()
        self.refused_in_a_row = 0

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def available(self) -> bool:
        """Whether a message would be allowed now, without spending anything."""
        self._refill()
        return self.tokens >= 1

    def allow(self) -> bool:
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            self.refused_in_a_row = 0
            return True
        self.refused_in_a_row += 1
        return False


class Connection:
    _next_id = 0

    def __init__(self, ws: WebSocket, queue_size: int = SEND_QUEUE) -> None:
        Connection._next_id += 1
        self.id = Connection._next_id
        self.ws = ws
        self.queue: SendQueue[str | None] = SendQueue(queue_size)
        self.identity: Identity | None = None
        self.last_seq = 0
        self.ready = False
        """False while the connection is being brought up to date (events are held back)."""
        self.held: list[tuple[int, str, dict[str, Any]]] = []
        self.closing = False
        self.close_code = 1000
        self.greeted = False
        """True once the hello was answered with a welcome."""
        self.limit = RateLimit(rate=10, burst=30)
        self.dropped = 0
        """Droppable frames dropped because the queue was full."""

    def send(self, text: str, *, droppable: bool = False) -> None:
        """Queue ``text``; a connection whose queue is full is closed as too slow, except for a
        ``droppable`` frame (a host's passing ``decided`` count), which is dropped instead: a
        burst of a big room's decisions within a few loop turns can fill a host's queue before
        its writer runs, and the next frame carries the count again (``round_closed`` the final
        figures), where closing the host would stall the whole room. Droppable frames fill at
        most half the queue, so a burst of counts never leaves a full queue for the numbered
        event that follows it (``round_closed`` right after a big room's last decisions)."""
        if self.closing:
            return
        if droppable and self.queue.qsize() >= self.queue.maxsize // 2:
            self.dropped += 1
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            if droppable:
                self.dropped += 1
                return
            log.info("closing a slow connection %s", self.id)
            self.close(CLOSE_SLOW)

    def send_message(self, message: Outbound) -> None:
        """One typed message (``protocol/outbound.py``), as the fields it was given."""
        self.send(message.model_dump_json(exclude_unset=True))

    def close(self, code: int = 1000) -> None:
        if self.closing:
            return
        self.closing = True
        self.close_code = code
        if self.queue.full():
            # Too slow: drop everything not sent yet. Dropping only the oldest would leave a
            # gap the client never notices (it resumes after the last event it did get).
            while not self.queue.empty():
                self.queue.get_nowait()
        self.queue.put_nowait(None)

    async def writer(self) -> None:
        """Send queued texts in order; close the socket when told to. Under our server every
        text queued by the time the writer runs leaves in one write (``ws_protocol.py``)."""
        batched = sends_texts(self.ws.scope)
        while True:
            text = await self.queue.get()
            told_to_close = text is None
            texts = [] if text is None else [text]
            while batched and not told_to_close and not self.queue.empty():
                more = self.queue.get_nowait()
                if more is None:
                    told_to_close = True
                else:
                    texts.append(more)
            try:
                if len(texts) == 1:
                    await self.ws.send_text(texts[0])
                elif texts:
                    await self.ws.send({"type": "websocket.send", SEND_TEXTS: texts})
            except Exception:
                self.closing = True
                return
            if told_to_close:
                with contextlib.suppress(Exception):
                    await self.ws.close(self.close_code)
                return


EventHandler = Callable[[str, int, dict[str, Any], str], Awaitable[None]]


class Registry:
    """The connections of this instance by room, and what they are sent."""

    def __init__(self, join_fanout_max_seats: int = 100) -> None:
        self.join_fanout_max_seats = join_fanout_max_seats
        """In a room of more seats than this, ``player_joined`` goes to its hosts only: every
        join to every player is n² frames (a lobby of 2,000: two million). The event's
        ``players`` (seats after the join) decides, so every instance and deployment layout
        tells the same clients."""
        self.rooms: dict[str, dict[int, Connection]] = {}
        self.hosts: dict[str, dict[int, Connection]] = {}
        """The host connections of each room (a subset of ``rooms``), for what only hosts get."""
        self.bus: RoomBus | None = None

    async def attach(self, conn: Connection, ident: Identity) -> None:
        if conn.identity is not None:
            await self.detach(conn)
        # A connection may move to another room (play again): sequence numbers start anew.
        conn.identity = ident
        conn.last_seq = 0
        conn.held = []
        conn.ready = False
        room = self.rooms.setdefault(ident.code, {})
        room[conn.id] = conn
        if ident.is_host:
            self.hosts.setdefault(ident.code, {})[conn.id] = conn
        if self.bus is not None and len(room) == 1:
            await self.bus.subscribe(ident.code)

    async def detach(self, conn: Connection) -> None:
        ident = conn.identity
        if ident is None:
            return
        hosts = self.hosts.get(ident.code)
        if hosts is not None:
            hosts.pop(conn.id, None)
            if not hosts:
                del self.hosts[ident.code]
        room = self.rooms.get(ident.code)
        if room is not None:
            room.pop(conn.id, None)
            if not room:
                del self.rooms[ident.code]
                if self.bus is not None:
                    await self.bus.unsubscribe(ident.code)
        conn.identity = None

    def connections(self, code: str) -> list[Connection]:
        return list(self.rooms.get(code, {}).values())

    def deliver(self, code: str, seq: int, text: str, event: dict[str, Any]) -> None:
        """One room event to every ready connection of the room that has not seen it (a join
        in a big room: to its hosts only, see ``join_fanout_max_seats``)."""
        room = self.rooms.get(code, {})
        if (
            event.get("kind") == "player_joined"
            and event.get("players", 0) > self.join_fanout_max_seats
        ):
            room = self.hosts.get(code, {})
        for conn in room.values():
            if not conn.ready:
                conn.held.append((seq, text, event))
            elif seq > conn.last_seq:
                conn.last_seq = seq
                conn.send(text)

    def make_ready(self, conn: Connection, seq: int) -> list[tuple[int, str, dict[str, Any]]]:
        """The connection is up to date at ``seq``: send what was held back after it."""
        conn.last_seq = max(conn.last_seq, seq)
        held, conn.held = conn.held, []
        conn.ready = True
        later = []
        for event_seq, text, event in held:
            if event_seq > conn.last_seq:
                conn.last_seq = event_seq
                conn.send(text)
                later.append((event_seq, text, event))
        return later

    def send_to_hosts(self, code: str, text: str) -> None:
        for conn in self.hosts.get(code, {}).values():
            if conn.ready:
                conn.send(text, droppable=True)

    def player_ids(self, code: str) -> list[str]:
        ids = {
            c.identity.player_id
            for c in self.rooms.get(code, {}).values()
            if c.identity is not None and c.identity.player_id is not None
        }
        return sorted(ids)

    def count(self) -> int:
        return sum(len(room) for room in self.rooms.values())


class RoomBus:
    """This instance's subscriptions to the event channels of its rooms, and the per-room workers
    that handle their events in order."""

    def __init__(
        self,
        redis: RedisClient,
        fetch_since: Callable[[str, int], Awaitable[list[tuple[int, str]] | None]],
        handle: EventHandler,
        on_passing: Callable[[str, str], None] = lambda code, payload: None,
    ) -> None:
        self.on_passing = on_passing
        """Unnumbered messages (seq 0), such as decision counts for the hosts."""
        self.redis = redis
        self.pubsub: PubSub | ClusterPubSub = redis.pubsub(ignore_subscribe_messages=True)
        self.unsynced: set[str] = set()
        """Rooms subscribed to whose (S)SUBSCRIBE failed (Redis away, a failover): retried."""
        self.fetch_since = fetch_since
        self.handle = handle
        self.last: dict[str, int] = {}
        self.queues: dict[str, asyncio.Queue[tuple[int, str]]] = {}
        self.workers: dict[str, asyncio.Task[None]] = {}
        self.subscribed: set[str] = set()

    @staticmethod
    def channel(code: str) -> str:
        return f"{{room:{code}}}:bus"

    async def subscribe(self, code: str) -> None:
        if code in self.subscribed:
            return
        self.subscribed.add(code)
        self.queues[code] = asyncio.Queue()
        await self._listen(code)
        self.workers[code] = asyncio.create_task(self._worker(code))

    async def unsubscribe(self, code: str) -> None:
        if code not in self.subscribed:
            return
        self.subscribed.discard(code)
        self.unsynced.discard(code)
        try:
            if isinstance(self.pubsub, ClusterPubSub):
                await self.pubsub.sunsubscribe(self.channel(code))
            else:
                await self.pubsub.unsubscribe(self.channel(code))
        except (RedisError, OSError, RuntimeError) as exc:
            # Redis is away: the subscription goes with the connection, and the resubscribe
            # after it returns only takes the rooms still subscribed.
            log.info("room bus: unsubscribe of %s after %r", code, exc)
        worker = self.workers.pop(code, None)
        if worker is not None:
            worker.cancel()
        self.queues.pop(code, None)
        self.last.pop(code, None)

    async def run(self) -> None:
        """Read the channels for as long as the instance lives."""
        while True:
            raise_if_cancelled()
            if not self.subscribed:
                await asyncio.sleep(0.05)
                continue
            if self.unsynced:
                await self._sync()
            try:
                message = await self._next_message()
            except (RedisError, OSError, RuntimeError) as exc:
                log.warning("room bus reconnecting after %r", exc)
                await asyncio.sleep(RESUBSCRIBE_SECONDS)
                await self._resubscribe()
                continue
            if message is None:
                continue
            channel = str(message["channel"])
            code = channel[len("{room:") : channel.index("}")]
            data = str(message["data"])
            seq_text, _, payload = data.partition("|")
            if seq_text == "0":
                self.on_passing(code, payload)
                continue
            queue = self.queues.get(code)
            if queue is not None:
                queue.put_nowait((int(seq_text), payload))

    async def _next_message(self) -> dict[str, Any] | None:
        if isinstance(self.pubsub, ClusterPubSub):
            message = await self.pubsub.get_sharded_message(timeout=SHARD_WAIT_SECONDS)
            if message is None and not self.pubsub.node_pubsub_mapping:
                await asyncio.sleep(SHARD_WAIT_SECONDS)  # no shard connection yet: no spin
            return message
        plain: dict[str, Any] | None = await self.pubsub.get_message(timeout=1.0)
        return plain

    async def _listen(self, code: str) -> None:
        """(S)SUBSCRIBE to the room's channel; on failure the run loop tries again."""
        try:
            if isinstance(self.pubsub, ClusterPubSub):
                await self.pubsub.ssubscribe(self.channel(code))
            else:
                await self.pubsub.subscribe(self.channel(code))
        except (RedisError, OSError) as exc:
            log.info("room bus: subscribe to %s failed after %r, will retry", code, exc)
            self.unsynced.add(code)
            return
        self.unsynced.discard(code)
        queue = self.queues.get(code)
        if queue is not None:
            queue.put_nowait((-1, ""))  # a nudge: fill from the stream what came before

    async def _sync(self) -> None:
        """Subscribe again to the rooms whose subscription failed."""
        if isinstance(self.redis, RedisCluster):
            for code in list(self.unsynced):
                # A keyed command through the cluster client: on a failed connection it reloads
                # the slots map (a failover's promoted replica), which SSUBSCRIBE then follows.
                with contextlib.suppress(RedisError, OSError):
                    await self.redis.exists(self.channel(code))
        for code in list(self.unsynced):
            if code in self.subscribed:
                await self._listen(code)
            else:
                self.unsynced.discard(code)
        if self.unsynced:
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def _resubscribe(self) -> None:
        # After Redis restarts (or a cluster shard fails over) the subscriptions are gone: make
        # them again; each worker fills what it missed from the stream.
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.unsynced = set(self.subscribed)
        await self._sync()

    async def _worker(self, code: str) -> None:
        queue = self.queues[code]
        handled = 0
        while True:
            raise_if_cancelled()
            handled += 1
            if handled % EVENTS_PER_TURN == 0:
                await asyncio.sleep(0)  # the writers send what this burst queued
            seq, payload = await queue.get()
            try:
                last = self.last.get(code)
                if seq == -1 or (last is not None and seq > last + 1):
                    await self._fill(code, last)
                    if seq == -1:
                        continue
                if last is not None and seq <= self.last.get(code, 0):
                    continue
                self.last[code] = seq
                await self.handle(code, seq, json.loads(payload), payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("handling event %s of room %s", seq, code)

    async def _fill(self, code: str, last: int | None) -> None:
        if last is None:
            return
        missed = await self.fetch_since(code, last)
        for i, (seq, payload) in enumerate(missed or []):
            if i % EVENTS_PER_TURN == EVENTS_PER_TURN - 1:
                await asyncio.sleep(0)
            if seq > self.last.get(code, 0):
                self.last[code] = seq
                await self.handle(code, seq, json.loads(payload), payload)

    async def close(self) -> None:
        for worker in self.workers.values():
            worker.cancel()
        await asyncio.gather(*self.workers.values(), return_exceptions=True)
        self.workers.clear()
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
