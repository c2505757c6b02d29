"""Many idle players on one instance: ``python -m loadtests.idle_clients --url ws://127.0.0.1:P/ws``.

A lightweight asyncio client (the ``websockets`` library, no Locust) for the memory figure of
``loadtests.bench``: it opens ``--rooms`` workshop rooms (one host connection each, rounds of an
hour so nothing happens by itself), then ``--players`` player connections, each ``hello`` then
``join`` into the rooms in turn (the messages, and what answers them, are the shared protocol
client's: ``game_server/protocol/client.py``), at most ``--concurrency`` handshakes at a time.
Every connection then idles: it reads (and drops) what the server sends, and answers the
server's pings, as a phone showing the lobby does. It holds them until a line ``stop`` on
standard input (or ``--hold`` seconds), closes them all and exits.

By default the client offers per-message deflate as every browser does (``--compression none``:
not), so the server keeps what a real phone would cost it.

Its progress goes to standard output as JSON lines, for ``loadtests.bench`` to read:
``{"event": "ready", "players": N, "hosts": R, "failed": F, "seconds": T, ...}`` once all are in,
``{"event": "closed", ...}`` at the end. Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import sys
import time
from typing import Any
from urllib.parse import urlparse

from websockets.asyncio.client import ClientConnection, connect

from game_server.protocol.client import ClientState, Json

OPEN_TIMEOUT = 30.0
REPLY_TIMEOUT = 60.0


def raise_nofile(wanted: int) -> int:
    """``ulimit -n`` up to ``wanted`` (at most the hard limit); returns the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class Idle:
    def __init__(self, url: str, compression: str | None) -> None:
        self.url = url
        self.compression = compression
        self.conns: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []
        self.received = 0
        self.dropped = 0
        self.failed = 0
        self.errors: dict[str, int] = {}

    async def open(self) -> tuple[ClientConnection, ClientState]:
        """A greeted connection and its seat's protocol state (no seat yet)."""
        ws = await connect(
            self.url,
            compression=self.compression,
            open_timeout=OPEN_TIMEOUT,
            ping_interval=None,  # the server pings; the library answers by itself
            max_queue=64,
        )
        state = ClientState(prefix="idle")
        for message in state.connect():
            await ws.send(json.dumps(message))
        reply = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT))
        if reply.get("type") != "welcome":
            raise RuntimeError(f"no welcome: {reply}")
        return ws, state

    async def enter(self, ws: ClientConnection, state: ClientState, message: Json) -> None:
        """Send a room entry (``create_room`` or ``join``) and read until it is answered; the
        seat is then ``state``'s."""
        await ws.send(json.dumps(message, ensure_ascii=False))
        while message["client_msg_id"] in state.outbox:
            state.receive(json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT)))
        if state.token is None:
            raise RuntimeError(state.errors[-1] if state.errors else "no answer")

    async def create_room(self, scenario: str) -> str:
        ws, state = await self.open()
        await self.enter(ws, state, state.create_room(scenario, "workshop", round_seconds=3600))
        self.keep(ws)
        assert state.code is not None
        return state.code

    async def join(self, code: str, n: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            ws = None
            try:
                ws, state = await self.open()
                await self.enter(ws, state, state.join(code, f"idle{n}"))
            except Exception as exc:
                self.failed += 1
                key = type(exc).__name__ + ": " + str(exc)[:80]
                self.errors[key] = self.errors.get(key, 0) + 1
                if ws is not None:
                    with contextlib.suppress(Exception):
                        await ws.close()
                return
            self.keep(ws)

    def keep(self, ws: ClientConnection) -> None:
        self.conns.append(ws)
        self.readers.append(asyncio.create_task(self.drain(ws)))

    async def drain(self, ws: ClientConnection) -> None:
        try:
            async for _ in ws:
                self.received += 1
        except Exception:
            pass
        self.dropped += 1

    async def close_all(self, gate: asyncio.Semaphore) -> None:
        async def close(ws: ClientConnection) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 10)

        await asyncio.gather(*(close(ws) for ws in self.conns))
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


async def wait_for_stop(hold: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + hold

    def read_line() -> str:
        return sys.stdin.readline()

    reader = loop.run_in_executor(None, read_line)
    while loop.time() < deadline:
        done, _ = await asyncio.wait({reader}, timeout=max(0.0, min(1.0, deadline - loop.time())))
        if done:
            return  # "stop", or standard input closed


async def main_async(args: argparse.Namespace) -> None:
    idle = Idle(args.url, None if args.compression == "none" else "deflate")
    started = time.monotonic()
    codes = [await idle.create_room(args.scenario) for _ in range(args.rooms)]
    gate = asyncio.Semaphore(args.concurrency)
    per_room = -(-args.players // args.rooms)
    joins = [
        asyncio.create_task(idle.join(codes[min(i // per_room, len(codes) - 1)], i, gate))
        for i in range(args.players)
    ]
    last = time.monotonic()
    while not all(j.done() for j in joins):
        await asyncio.sleep(0.5)
        if time.monotonic() - last >= 5:
            last = time.monotonic()
            emit("progress", players=len(idle.conns) - len(codes), failed=idle.failed)
    joined = time.monotonic() - started
    # Let the lobby's fan-out (every join is an event to the whole room) settle.
    quiet_since, seen = time.monotonic(), idle.received
    settle_deadline = time.monotonic() + args.settle_max
    while time.monotonic() < settle_deadline:
        await asyncio.sleep(0.5)
        if idle.received != seen:
            quiet_since, seen = time.monotonic(), idle.received
        elif time.monotonic() - quiet_since >= 2.0:
            break
    emit(
        "ready",
        players=len(idle.conns) - len(codes),
        hosts=len(codes),
        failed=idle.failed,
        errors=idle.errors,
        seconds=round(joined, 1),
        settled=round(time.monotonic() - started, 1),
        received=idle.received,
        room_size=per_room,
        compression=args.compression,
    )
    await wait_for_stop(args.hold)
    emit("stopping", received=idle.received, dropped=idle.dropped)
    await idle.close_all(gate)
    emit("closed", received=idle.received, dropped=idle.dropped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.idle_clients", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--url", required=True, help="ws://127.0.0.1:PORT/ws")
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes at a time")
    parser.add_argument("--hold", type=float, default=600.0, help="most seconds to hold")
    parser.add_argument("--settle-max", type=float, default=60.0, help="most seconds to settle")
    parser.add_argument("--scenario", default="hangzhou-rider")
    parser.add_argument("--compression", choices=("deflate", "none"), default="deflate")
    args = parser.parse_args(argv)
    host = urlparse(args.url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        parser.error("only loopback addresses")
    limit = raise_nofile(args.players + args.rooms + 512)
    if limit < args.players + args.rooms + 64:
        parser.error(f"the open-files limit is {limit}: too low for {args.players} players")
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
