"""A connection's writer sends every text queued by the time it runs in one write under our
server (``transport/ws_protocol.py``), and frame by frame under a server without the extension;
either way the phone gets every frame, in order, then the close."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import uvicorn
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from game_server.transport.connections import Connection
from game_server.transport.ws_protocol import WebSocketProtocol

TEXTS = [f'{{"type":"event","seq":{i},"text":"第{i}轮"}}' for i in range(1, 6)]
WRITES: list[int] = []


class Counted(WebSocketProtocol):
    """Our protocol, counting the writes of its transport (in ``WRITES``)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        write = self.transport.write

        def counted(data: bytes | bytearray | memoryview) -> None:
            WRITES.append(len(data))
            write(data)

        self.transport.write = counted  # type: ignore[method-assign]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Queues five texts and the close before the writer runs (a round's burst of frames)."""
    ws = WebSocket(scope, receive, send)
    await ws.accept()
    conn = Connection(ws)
    for text in TEXTS:
        conn.send(text)
    conn.close(4000)
    await conn.writer()


async def serve(protocol: type[WebSocketsSansIOProtocol]) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, ws=protocol, ws_per_message_deflate=False, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/ws"
    finally:
        server.should_exit = True
        await task


async def received(url: str) -> tuple[list[str], int | None]:
    got: list[str] = []
    async with connect(url) as ws:
        try:
            while True:
                got.append(str(await ws.recv()))
        except ConnectionClosed as closed:
            return got, closed.rcvd.code if closed.rcvd else None


async def test_queued_texts_leave_in_one_write_under_our_server() -> None:
    WRITES.clear()
    async for url in serve(Counted):
        got, code = await received(url)
    assert got == TEXTS
    assert code == 4000
    # the handshake's response, the five texts together, the close frame
    assert len(WRITES) == 3, WRITES
    assert WRITES[1] == sum(len(t.encode()) + 2 for t in TEXTS)


async def test_a_server_without_the_extension_gets_them_frame_by_frame() -> None:
    async for url in serve(WebSocketsSansIOProtocol):  # uvicorn's own
        got, code = await received(url)
    assert got == TEXTS
    assert code == 4000
