"""The baseline of ``loadtests.bench``: a bare WebSocket echo on the game's ASGI stack.

``python -m loadtests.echo_app`` serves, on ``HOST``:``PORT`` (environment, as the game):

- ``/ws``: every text frame is sent straight back, unchanged; the only exception is the
  protocol's ``hello``, answered with a fixed ``welcome`` so the load test's client code connects
  to it exactly as to the game;
- ``/healthz``: 200.

It is a Starlette app (the game is FastAPI, i.e. Starlette) run by uvicorn with the very settings
``game_server/serve.py`` gives the game: its WebSocket protocol class (uvicorn's websockets-sansio
one, cutting off peers that miss a ping), ``ws_max_size``, the ping interval and timeout
(``WS_PING_SECONDS``), proxy headers, graceful shutdown, the same event loop (``EVENT_LOOP``:
asyncio's) and HTTP implementation (httptools), per-message deflate off. What it lacks is
everything the game does per message: FastAPI's middleware stack around the socket, parsing and
validating JSON, Redis, the engine, the per-connection send queue and writer task, fan-out. The
ratio of the game's throughput to this one's is what that work costs.
"""

from __future__ import annotations

import os

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from game_server.config import Settings
from game_server.serve import EVENT_LOOP
from game_server.transport.ws_protocol import WS_MAX_BYTES, WebSocketProtocol

WELCOME = '{"type":"welcome","protocol":1,"instance":"echo"}'


async def echo(ws: WebSocket) -> None:
    await ws.accept()
    while True:
        frame = await ws.receive()
        if frame["type"] == "websocket.disconnect":
            return
        text = frame.get("text")
        if text is None:
            await ws.send_bytes(frame.get("bytes") or b"")
        elif text.startswith('{"type": "hello"') or text.startswith('{"type":"hello"'):
            await ws.send_text(WELCOME)
        else:
            await ws.send_text(text)


async def healthz(_: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(routes=[WebSocketRoute("/ws", echo), Route("/healthz", healthz)])


def main() -> None:
    # The game's own settings object, so WS_PING_SECONDS etc. mean the same here.
    settings = Settings()
    uvicorn.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=settings.port,
        ws=WebSocketProtocol,
        loop=EVENT_LOOP,
        ws_per_message_deflate=False,  # as the game since 63d477d
        ws_max_size=WS_MAX_BYTES,
        ws_ping_interval=settings.ws_ping_seconds,
        ws_ping_timeout=settings.ws_ping_seconds,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
        log_level="info",
    )


if __name__ == "__main__":
    main()
