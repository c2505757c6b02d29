"""The load generator's reading side of a WebSocket: the server's frames, read in large chunks.

websocket-client reads each frame with exact-sized ``recv`` calls (the header's two bytes, the
extended length, then the payload): three system calls per frame, each through gevent with a
timeout object of its own, and its frame parsing in Python. In the benchmark's mix that was the
larger part of a Locust process's CPU (py-spy, 2026-12-04), CPU the server under test lacks on
a shared box; a phone's browser does the same in C. This reader takes whatever the socket holds
(up to 64 KiB a call) and cuts frames out of it. websocket-client still does the handshake and
every write (a pong too), so what reaches the server is unchanged.

Server frames only: unmasked (RFC 6455 5.1: a client must fail a masked one); text (the game
sends no binary messages), continuation, ping, pong and close.
"""

from __future__ import annotations

import struct
from typing import Protocol

CHUNK = 64 * 1024

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


class FrameError(Exception):
    """The server sent something that is not a valid frame for a client."""


class _Socket(Protocol):
    def recv(self, size: int, /) -> bytes: ...


class _Ponger(Protocol):
    def pong(self, payload: bytes | str) -> None: ...


class FrameReader:
    """Messages from a socket whose WebSocket handshake is done (and nothing read past it)."""

    def __init__(self, sock: _Socket, ponger: _Ponger) -> None:
        self._sock = sock
        self._ponger = ponger
        self._buf = b""
        self._pos = 0
        """Where the next frame starts in ``_buf`` (an offset: slicing off each frame would copy
        the rest of a chunk of many small frames once per frame)."""
        self._parts: list[bytes] = []
        self.close_code: int | None = None
        """The code of the server's close frame, once one came (1005: it had none)."""

    def recv(self) -> str | None:
        """The next text message, or ``None`` once the server closed (a close frame or the end
        of the stream). Pings are answered on the way; the game sends no binary messages."""
        while True:
            frame = self._frame()
            if frame is None:
                return None
            fin, opcode, payload = frame
            if opcode == OP_PING:
                self._ponger.pong(payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                self.close_code = (
                    struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else 1005
                )
                return None
            if opcode == OP_CONTINUATION:
                if not self._parts:
                    raise FrameError("a continuation frame with no message to continue")
            elif opcode == OP_BINARY:
                raise FrameError("a binary message (the game's messages are text)")
            elif opcode == OP_TEXT:
                if self._parts:
                    raise FrameError("a new message before the last one ended")
            else:
                raise FrameError(f"unknown opcode {opcode:#x}")
            if not fin:
                self._parts.append(payload)
                continue
            if self._parts:
                payload = b"".join([*self._parts, payload])
                self._parts = []
            return payload.decode("utf-8")

    def _frame(self) -> tuple[bool, int, bytes] | None:
        if not self._fill(2):
            return None
        buf, at = self._buf, self._pos
        b0, b1 = buf[at], buf[at + 1]
        if b1 & 0x80:
            raise FrameError("a masked frame from the server")
        length, header = b1 & 0x7F, 2
        if length == 126:
            if not self._fill(4):
                return None
            buf, at = self._buf, self._pos
            (length,), header = struct.unpack_from("!H", buf, at + 2), 4
        elif length == 127:
            if not self._fill(10):
                return None
            buf, at = self._buf, self._pos
            (length,), header = struct.unpack_from("!Q", buf, at + 2), 10
        if not self._fill(header + length):
            return None
        buf, at = self._buf, self._pos
        self._pos = at + header + length
        return bool(b0 & 0x80), b0 & 0x0F, buf[at + header : self._pos]

    def _fill(self, size: int) -> bool:
        """At least ``size`` bytes buffered past ``_pos``; ``False`` if the stream ended first."""
        while len(self._buf) - self._pos < size:
            chunk = self._sock.recv(CHUNK)
            if not chunk:
                return False
            rest = self._buf[self._pos :]
            self._buf, self._pos = (rest + chunk if rest else chunk), 0
        return True
