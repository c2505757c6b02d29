"""A burst of a room's events (a lobby's joins, read from the channel at once) reaches a host
whose client keeps up: the room's worker lets the connections' writers run between slices of
the burst, so the host's send queue never overflows (it closed the host of a 2,000-player room
as too slow, `make bench` 2026-12-04)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import redis.asyncio
from starlette.websockets import WebSocket

from game_server.transport.connections import SEND_QUEUE, Connection, RoomBus

BURST = 4 * SEND_QUEUE


class Phone:
    """The socket side of a connection whose client reads everything at once."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.scope: dict[str, Any] = {"type": "websocket"}  # a server that sends frame by frame

    async def send_text(self, text: str) -> None:
        self.frames.append(text)

    async def close(self, code: int = 1000) -> None:
        self.frames.append(f"closed {code}")


async def no_gap(code: str, last: int) -> list[tuple[int, str]]:
    return []


async def test_a_burst_of_events_does_not_overflow_a_host_that_keeps_up(
    redis_client: redis.asyncio.Redis,
) -> None:
    phone = Phone()
    host = Connection(cast(WebSocket, cast(Any, phone)))
    writer = asyncio.create_task(host.writer())

    async def deliver(code: str, seq: int, event: dict[str, Any], payload: str) -> None:
        host.send(f'{{"type":"event","seq":{seq},"event":{payload}}}')

    bus = RoomBus(cast(Any, redis_client), no_gap, deliver)
    try:
        await bus.subscribe("123456")
        queue = bus.queues["123456"]
        for seq in range(1, BURST + 1):  # all in one turn, as one read of the channel gives them
            event = {"kind": "player_joined", "player_id": f"p{seq}", "players": seq}
            queue.put_nowait((seq, json.dumps(event)))
        for _ in range(200):
            if len(phone.frames) >= BURST:
                break
            await asyncio.sleep(0.01)
        assert not host.closing
        assert [json.loads(f)["seq"] for f in phone.frames] == list(range(1, BURST + 1))
    finally:
        await bus.close()
        host.close()
        await writer
