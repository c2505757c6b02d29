"""``python -m game_server serve``: the game server on the embedded default or external services.

With no ``REDIS_URL`` it starts the project's own Redis server (append-only file on, data under
``var/redis``) and stops it on exit; with no ``DATABASE_URL`` it keeps results in
``var/gig-life.db``. It prints where players and the host connect, including the LAN address
(``game_server/lan.py``) so phones on the same Wi-Fi can join a trainer's laptop.
"""

from __future__ import annotations

import uvicorn

from game_server.app import create_app, direct_websocket
from game_server.config import Settings
from game_server.lan import is_loopback_host, lan_addresses
from game_server.log_privacy import log_config, without_password
from game_server.stores.embedded_redis import EmbeddedRedis
from game_server.transport.ws_protocol import WS_MAX_BYTES, WebSocketProtocol

EVENT_LOOP = "asyncio"
"""asyncio's own event loop, not uvloop: uvloop accepts one new connection per turn of the loop
(measured: 100 connections waiting, a loop turn of 20 ms: 2 s to accept them all; asyncio's loop
takes every waiting connection at once), so under the workshop mix, whose turns take 15-60 ms,
phones waited in the kernel's accept queue (30-220 deep) for up to 3 s to connect. The server's
CPU per action was the same with either loop (`loadtests.bench --only mix`, 2026-12-04)."""


def where_to_join(settings: Settings, candidates: list[str]) -> list[str]:
    """The start-up lines that tell a trainer which address phones open (and when none can)."""
    port = settings.port
    local = f"http://localhost:{port}"
    out = [f"Play:  {local}/", f"Host a workshop: {local}/host.html"]
    if settings.public_url:
        out.append(f"Phones join at (PUBLIC_URL): {settings.public_url.rstrip('/')}/")
    elif is_loopback_host(settings.host):
        out.append(
            f"Phones cannot join: the server listens on {settings.host} only. "
            "Start it with HOST=0.0.0.0 (or set PUBLIC_URL) for a workshop."
        )
    elif not candidates:
        out.append(
            "Phones cannot join yet: this computer has no network address but loopback. "
            "Join the room's Wi-Fi (or a phone's hotspot) and restart, or set PUBLIC_URL."
        )
    else:
        out.append(f"Phones on the same Wi-Fi join at: http://{candidates[0]}:{port}/")
        out.extend(
            f"  (other addresses of this computer: http://{a}:{port}/)" for a in candidates[1:]
        )
    return out


def serve(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    embedded: EmbeddedRedis | None = None
    if settings.redis_url is None:
        embedded = EmbeddedRedis(settings.data_dir / "redis")
        settings = settings.model_copy(update={"redis_url": embedded.start()})
        print(f"Redis (embedded): {settings.redis_url}, data in {settings.data_dir / 'redis'}")
    print(f"Results: {without_password(settings.effective_database_url)}")
    port = settings.port
    for line in where_to_join(settings, lan_addresses()):
        print(line)
    try:
        uvicorn.run(
            direct_websocket(create_app(settings, embedded, own_process=True)),
            host=settings.host,
            port=port,
            ws=WebSocketProtocol,
            loop=EVENT_LOOP,
            # Off: a deflate context per connection costs ~48 KB of server memory (10,000 phones:
            # ~470 MB) and a compression of every frame for every connection; our frames are
            # small JSON (the big ones, results, are a few KB once per round).
            ws_per_message_deflate=False,
            ws_max_size=WS_MAX_BYTES,
            ws_ping_interval=settings.ws_ping_seconds,
            ws_ping_timeout=settings.ws_ping_seconds,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            timeout_graceful_shutdown=10,
            log_level="info",
            # Request lines without the client's address or the query string (log_privacy.py).
            log_config=log_config(),
        )
    finally:
        if embedded is not None:
            embedded.stop()
