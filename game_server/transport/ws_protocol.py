"""The server side of a WebSocket connection: uvicorn's protocol, with two changes of ours.

- A peer that answers no ping in time is cut off (``keepalive_timeout``).
- Several texts leave in one write (the ASGI extension ``SEND_TEXTS``): a connection's writer
  finds a few frames queued at once a quarter of the time under the workshop mix (a round's
  ``round_closed``, ``round_opened`` and ``round_result``), and each frame was otherwise its
  own trip through the ASGI layers and its own ``send`` system call, the largest single cost of
  the server's event loop (py-spy, 2026-12-06).

The extension is named in the connection's scope (``scope["extensions"]``), so the app uses it
only under this server; under any other (the tests' ASGI clients) it sends frame by frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.http11 import Request

WS_MAX_BYTES = 64 * 1024
"""uvicorn refuses larger frames outright; the codec answers anything over 16 KiB with an error."""

SEND_TEXTS = "gig.websocket.send_texts"
"""The scope extension, and the key of a ``websocket.send`` message holding a list of texts to
send as that many frames, in order, in one write."""


def sends_texts(scope: Mapping[str, Any]) -> bool:
    """Whether the server of this connection's scope takes several texts in one message."""
    return SEND_TEXTS in (scope.get("extensions") or {})


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, but a peer that answers no ping in time is cut off, and
    several texts may leave in one write.

    uvicorn sends a close frame on a ping timeout and closes the transport *gracefully*: the
    transport waits until its send buffer drains, which never happens when the peer reads
    nothing (a frozen app keeping its TCP window at zero). The connection, its tasks and
    buffers would stay forever.
    """

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self.transport.abort()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # none when the handshake was refused
        if scope is not None:
            scope["extensions"][SEND_TEXTS] = {}

    async def send(self, message: ASGISendEvent) -> None:
        texts = cast(
            "list[str] | None",
            message.get(SEND_TEXTS) if message["type"] == "websocket.send" else None,
        )
        if texts is None:
            await super().send(message)
            return
        await self.writable.wait()  # the transport's flow control, as for one frame
        if self.disconnected:
            raise ClientDisconnected()
        if not self.handshake_complete or self.close_sent or self.initial_response is not None:
            for text in texts:  # not an open connection: uvicorn's own checks and errors
                await super().send({"type": "websocket.send", "text": text})
            return
        try:
            for text in texts:
                self.conn.send_text(text.encode())
        except InvalidState:
            raise ClientDisconnected() from None
        self.transport.write(b"".join(self.conn.data_to_send()))
