"""The limits that hold in public, per client address: connections, rooms started, live rooms.

A workshop or a live demo puts tens to thousands of phones behind one public address (the
venue's NAT), so these limits count what one venue may need, not what one person does (see
``docs/protocol.md``, "Limits", for the numbers and why):

- open WebSockets per address on this instance (``CONNECTIONS_PER_ADDRESS``): connections are
  this instance's memory, so they are counted here, in memory;
- workshops and solo games started per address and hour (``WORKSHOPS_PER_ADDRESS_HOUR``,
  ``SOLO_GAMES_PER_ADDRESS_HOUR``), counted in Redis for every instance together
  (``stores/limit_counts.py``); a workshop started with the trainer passcode is not counted;
- live rooms in the whole deployment (``MAX_LIVE_ROOMS``): any instance serves any room, so the
  bound is on what Redis holds.

The client's address is uvicorn's ``scope["client"]``: the peer, or the last ``X-Forwarded-For``
entry when the peer is a proxy named in ``FORWARDED_ALLOW_IPS``. Each refusal is its own typed
error with a message a person understands (the web client shows its translation).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.websockets import WebSocket

from game_server.config import Settings
from game_server.protocol import errors
from game_server.protocol.errors import ProtocolError
from game_server.protocol.messages import CreateRoom
from game_server.stores.limit_counts import LimitCounts, RoomKind, Taken

log = logging.getLogger(__name__)

CLOSE_TRY_AGAIN: Final = 1013
"""WebSocket close code "try again later" (RFC 6455, 7.4.1): after ``too_many_connections``."""

UNKNOWN_ADDRESS: Final = "?"


def client_address(ws: WebSocket) -> str:
    """The address a connection is counted under (the proxy's view when it is trusted)."""
    client = ws.client
    return client.host if client is not None else UNKNOWN_ADDRESS


def passcode_matches(expected: str | None, given: str | None) -> bool:
    """The trainer passcode is set and was given (compared in constant time)."""
    if not expected:
        return False
    return hmac.compare_digest((given or "").encode(), expected.encode())


class ConnectionCounts:
    """Open connections per address on this instance, up to ``per_address`` each."""

    def __init__(self, per_address: int, exempt: frozenset[str]) -> None:
        self.per_address = per_address
        self.exempt = exempt
        self.open: dict[str, int] = {}

    def enter(self, address: str) -> bool:
        """Count one more connection of ``address``, unless it has its maximum open."""
        if address in self.exempt:
            return True
        now = self.open.get(address, 0)
        if now >= self.per_address:
            return False
        self.open[address] = now + 1
        return True

    def leave(self, address: str) -> None:
        if address in self.exempt:
            return
        left = self.open.get(address, 0) - 1
        if left > 0:
            self.open[address] = left
        else:
            self.open.pop(address, None)


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class AddressLimits:
    """This instance's gate: admits connections and counts room starts."""

    def __init__(
        self,
        settings: Settings,
        counts: LimitCounts,
        clock: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.settings = settings
        self.counts = counts
        self.clock = clock
        self.exempt = frozenset(settings.limit_exempt_addresses)
        self.connections = ConnectionCounts(settings.connections_per_address, self.exempt)

    async def admit(self, ws: WebSocket, serve: Callable[[WebSocket], Awaitable[None]]) -> None:
        """Serve the connection unless its address has its maximum of connections open here;
        then it is told why (``server/too_many_connections``) and closed with 1013, and the
        web client tries again with its backoff."""
        address = client_address(ws)
        if not self.connections.enter(address):
            await ws.accept()
            refused = ProtocolError(
                errors.TOO_MANY_CONNECTIONS,
                "too many connections from your network to this server; trying again shortly",
            )
            try:
                await ws.send_text(refused.wire().model_dump_json(exclude_unset=True))
                await ws.close(CLOSE_TRY_AGAIN)
            except Exception:  # the peer went already: nothing to tell
                log.debug("refused connection gone", exc_info=True)
            return
        try:
            await serve(ws)
        finally:
            self.connections.leave(address)

    async def start_room(self, ws: WebSocket, msg: CreateRoom) -> Taken | None:
        """Count a room start from the connection's address, or refuse it: the deployment
        holds ``MAX_LIVE_ROOMS`` (``server/too_many_rooms``), or the address started its
        hour's maximum of this kind (``room/create_rate_limited``). Returns what was counted
        (to give back with :meth:`not_started` if the room is not made), ``None`` when
        nothing was."""
        if await self.counts.live_rooms() >= self.settings.max_live_rooms:
            raise ProtocolError(
                errors.TOO_MANY_ROOMS,
                "the game is holding as many rooms as it can; try again later",
                msg.client_msg_id,
            )
        address = client_address(ws)
        if address in self.exempt:
            return None
        kind: RoomKind = "solo" if msg.mode == "solo" else "workshop"
        if kind == "workshop" and passcode_matches(self.settings.trainer_passcode, msg.passcode):
            return None  # a trainer: the passcode is the operator's say-so
        limit = (
            self.settings.solo_games_per_address_hour
            if kind == "solo"
            else self.settings.workshops_per_address_hour
        )
        taken = await self.counts.take_creation(kind, address, self.clock())
        if taken.count > limit:
            what = "solo games" if kind == "solo" else "workshops"
            hint = "" if kind == "solo" else "; a trainer can use the trainer passcode"
            raise ProtocolError(
                errors.CREATE_RATE_LIMITED,
                f"your network has started {limit} {what} this hour, the most allowed; "
                f"try again later{hint}",
                msg.client_msg_id,
            )
        return taken

    async def not_started(self, taken: Taken | None) -> None:
        if taken is not None:
            await self.counts.give_back(taken)
