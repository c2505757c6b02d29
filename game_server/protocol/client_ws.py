"""The protocol client on asyncio (the ``websockets`` library): the bots' transport.

It only moves frames: on each (re)connect it sends what :meth:`ClientState.connect` returns (and,
the first time, what ``enter`` builds: a join or a room's creation), then feeds every message it
reads to :meth:`ClientState.receive` and sends what that returns, after ``pause`` seconds for
each (a player's think). A dropped connection is resumed with the seat's token, up to
``reconnects`` times; the state re-sends the actions that had no answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from game_server.protocol.client import ClientState, Json

FINAL_CLOSE_CODES = frozenset({1000, 1008, 4003})
"""Closes not worth a resume: normal, a flood, kicked."""


def _encode(message: Json) -> str:
    return json.dumps(message, ensure_ascii=False)


async def _send_all(
    ws: ClientConnection, messages: list[Json], pause: Callable[[Json], float] | None
) -> None:
    for message in messages:
        wait = pause(message) if pause is not None else 0.0
        if wait > 0:
            await asyncio.sleep(wait)
        await ws.send(_encode(message))


async def play(
    url: str,
    state: ClientState,
    enter: Callable[[ClientState], list[Json]] | None = None,
    pause: Callable[[Json], float] | None = None,
    reconnects: int = 3,
    open_timeout: float = 10.0,
) -> ClientState:
    """Play ``state``'s seat at ``url`` until it is done, or the connection is lost for good
    (``state.done`` then says which)."""
    loop = asyncio.get_running_loop()
    attempts = 0
    while True:
        close_code: int | None = None
        try:
            async with connect(url, max_size=2**22, open_timeout=open_timeout) as ws:
                first = state.connect()
                if enter is not None:
                    first += enter(state)
                    enter = None
                await _send_all(ws, first, None)
                async for raw in ws:
                    message = json.loads(raw)
                    if not isinstance(message, dict):
                        continue
                    await _send_all(ws, state.receive(message, loop.time()), pause)
                    if state.done:
                        return state
                close_code = ws.close_code
        except ConnectionClosed as exc:
            close_code = exc.rcvd.code if exc.rcvd is not None else None
        except (OSError, TimeoutError, InvalidHandshake):
            pass
        if (
            state.done
            or state.token is None
            or close_code in FINAL_CLOSE_CODES
            or attempts >= reconnects
        ):
            return state
        attempts += 1
        await asyncio.sleep(0.5 * attempts)
