"""The server's event loop takes every connection waiting to be accepted at once, even while
each of its turns is long (a busy server): uvloop took one per turn, so under load phones
waited seconds in the kernel's accept queue (``game_server/serve.py``, ``EVENT_LOOP``)."""

from __future__ import annotations

import asyncio
import socket
import time

import uvicorn

from game_server.serve import EVENT_LOOP

WAITING = 100
TURN_SECONDS = 0.02


def test_a_busy_loop_accepts_every_waiting_connection_within_a_few_turns() -> None:
    factory = uvicorn.Config(app="not.loaded:app", loop=EVENT_LOOP).get_loop_factory()
    assert factory is not None
    loop = factory()
    accepted: list[asyncio.BaseTransport] = []

    class Counted(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.append(transport)

    def busy_turn() -> None:  # every turn of the loop takes 20 ms, like a loaded server's
        until = time.monotonic() + TURN_SECONDS
        while time.monotonic() < until:
            pass
        loop.call_soon(busy_turn)

    async def scenario() -> float:
        server = await loop.create_server(Counted, "127.0.0.1", 0, backlog=2048)
        port = server.sockets[0].getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(WAITING)]
        started = time.monotonic()  # all of them now wait in the kernel's accept queue
        loop.call_soon(busy_turn)
        while len(accepted) < WAITING and time.monotonic() - started < 10:
            await asyncio.sleep(0)
        took = time.monotonic() - started
        for transport in accepted:
            transport.close()
        for client in clients:
            client.close()
        server.close()
        await server.wait_closed()
        return took

    try:
        took = loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert len(accepted) == WAITING
    # uvloop: one connection a turn, about 2 s here; asyncio's loop: all in the first turns
    assert took < 10 * TURN_SECONDS, f"{WAITING} waiting connections took {took:.2f} s"
