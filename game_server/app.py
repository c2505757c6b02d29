"""The app factory: ``create_app(settings)`` builds the FastAPI app and everything it uses.

Nothing is built at import time, so tests make apps with their own settings (their own Redis,
their own database). The lifespan starts this instance's background work — the room bus, the
deadline poller, the presence heartbeat and the results outbox's drainer — and stops it cleanly
on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Request, Response, WebSocket
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from game_server.cancellation import raise_if_cancelled
from game_server.config import Settings
from game_server.content.loader import load_all
from game_server.outbox.drainer import OutboxDrainer
from game_server.protocol.errors import ProtocolError
from game_server.service.rooms import RoomService
from game_server.stores import redis_client
from game_server.stores.embedded_redis import EmbeddedRedis
from game_server.stores.limit_counts import LimitCounts
from game_server.stores.pipelined import PipelinedRedis
from game_server.stores.results import ResultsStore
from game_server.stores.room_store import RoomStore
from game_server.transport.connections import Registry, RoomBus
from game_server.transport.http import protocol_error_status, router
from game_server.transport.limits import AddressLimits
from game_server.transport.pauses import time_gc, tune_gc, watch_loop_lag
from game_server.transport.ws import Hub

log = logging.getLogger(__name__)


KEYS_OUTLIVE_IDLE = 3600
"""A room's keys live this long past its idle time, so the sweep finds its lives to save."""
IDLE_SWEEP_SECONDS = 60.0
"""How often an instance looks for rooms idle past ``room_idle_seconds`` to dispose of."""

SECURITY_HEADERS = {
    # Every asset is served from here: nothing may load from anywhere else.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


PURGE_EVERY_SECONDS = 6 * 3600


SHUTDOWN_WAIT_SECONDS = 5.0


async def purge_old_results(results: ResultsStore, settings: Settings) -> None:
    """Results are kept no longer than the operator allows (PIPL: no longer than needed)."""
    while True:
        try:
            deleted = await results.purge_older_than(
                settings.results_retention_days, datetime.now(UTC)
            )
            if deleted:
                log.info("purged %d old result rows", deleted)
        except Exception:
            log.warning("purging old results failed", exc_info=True)
        raise_if_cancelled()
        await asyncio.sleep(PURGE_EVERY_SECONDS)


def direct_websocket(app: FastAPI) -> ASGIApp:
    """The app, with the game's WebSocket ``/ws`` served straight by the hub, around FastAPI's
    routing and middleware (HTTP-only: security headers, gzip, CORS, exception pages): every
    connection would otherwise keep a dozen suspended middleware frames and three exit stacks,
    about 12 KB of memory each, and every frame sent would pass through their send wrappers."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/ws":
            await app.state.limits.admit(WebSocket(scope, receive, send), app.state.hub.serve)
        else:
            await app(scope, receive, send)

    return asgi


def create_app(
    settings: Settings, embedded: EmbeddedRedis | None = None, *, own_process: bool = False
) -> FastAPI:
    """The app. ``embedded``: the project's own Redis server, stopped when the app shuts down
    (uvicorn ends the process by re-raising the signal, so code after it would not run).
    ``own_process``: the app is the process's only one (``serve``), so the garbage collector is
    tuned for it once it has started (``transport/pauses.py``); tests that build many apps in
    one process leave the collector alone."""
    if settings.redis_url is None:
        raise ValueError("create_app needs a Redis URL: `serve` starts the embedded one")
    scenarios = load_all(settings.scenario_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One Redis server or a Redis Cluster (``stores/redis_client.py``).
        redis = redis_client.connect(settings)
        await redis_client.check_mode(redis)
        indexes = redis_client.indexes_for(settings)
        results = ResultsStore(settings.effective_database_url)
        await results.migrate()
        # The room scripts through one pipelined connection (one server; a cluster: redis-py).
        hot = None if settings.redis_cluster else PipelinedRedis(str(settings.redis_url))
        store = RoomStore(
            redis,
            settings.stream_max_events,
            settings.room_idle_seconds + KEYS_OUTLIVE_IDLE,
            indexes,
            hot,
        )
        service = RoomService(store, scenarios, settings, results)
        registry = Registry(settings.join_fanout_max_seats)
        limits = AddressLimits(settings, LimitCounts(redis, indexes))
        hub = Hub(service, registry, limits)
        app.state.limits = limits
        bus = RoomBus(redis, store.events_since, hub.on_event, hub.on_passing)
        registry.bus = bus
        app.state.settings = settings
        app.state.service = service
        app.state.results = results
        outbox = OutboxDrainer(redis, results, indexes=indexes)
        app.state.outbox = outbox
        app.state.hub = hub
        tasks = [
            asyncio.create_task(purge_old_results(results, settings), name="purge"),
            asyncio.create_task(bus.run(), name="room-bus"),
            asyncio.create_task(
                hub.heartbeat(settings.presence_heartbeat_seconds), name="presence"
            ),
            asyncio.create_task(hub.deadlines(settings.deadline_poll_seconds), name="deadlines"),
            asyncio.create_task(hub.idle_rooms(IDLE_SWEEP_SECONDS), name="idle-rooms"),
            asyncio.create_task(outbox.run(settings.results_flush_seconds), name="outbox"),
            asyncio.create_task(watch_loop_lag(), name="loop-lag"),
        ]
        time_gc()
        if own_process:
            tune_gc()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            # Each loop stops within one turn, even where redis-py swallowed the cancel
            # (game_server/cancellation.py); shutdown does not wait for ever on one that hangs.
            _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_WAIT_SECONDS)
            for task in stuck:
                log.warning("background task %s did not stop in time", task.get_name())
            with contextlib.suppress(Exception):
                await service.drain()
            await bus.close()
            await redis_client.close(redis)
            if hot is not None:
                await hot.aclose()
            await results.dispose()
            if embedded is not None:
                embedded.stop()

    app = FastAPI(title="Gig Life (零工人生)", version="0.1.0", lifespan=lifespan)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(GZipMiddleware, minimum_size=600)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET"]
        )
    app.include_router(router)

    @app.exception_handler(ProtocolError)
    async def protocol_error(request: Request, exc: ProtocolError) -> JSONResponse:
        return JSONResponse(exc.to_message(), status_code=protocol_error_status(exc))

    @app.websocket("/ws")
    async def websocket(ws: WebSocket) -> None:
        await app.state.limits.admit(ws, app.state.hub.serve)

    web_dir = Path(settings.web_dir)
    if web_dir.is_dir():
        app.mount("/", StaticFiles(directory=web_dir, html=True), name="web")
    return app
