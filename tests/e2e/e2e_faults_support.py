"""What the fault, bad-input and fuzz tests add to ``e2e_support``.

- :func:`launcher`: start game servers with extra environment (a short WebSocket ping, their own
  Redis), listed with the module's servers so a failing test's report shows their logs.
- :class:`RawWebSocket`: a WebSocket client on a bare non-blocking socket. It reads from the
  kernel only when the test asks, never answers a ping by itself, and can shrink its receive
  buffer: a phone that went silent, or one too slow to keep up.
- :func:`assert_no_traceback`: a server's log shows no unhandled error.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.e2e_support import WAIT, Message, ServerProcess

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def module_servers(request: pytest.FixtureRequest) -> list[ServerProcess]:
    """The list of this module's servers that the e2e ``conftest.py`` quotes the logs of when a
    test fails (found through the plugin manager: the conftest is not an importable module)."""
    for plugin in request.config.pluginmanager.get_plugins():
        registry = getattr(plugin, "_MODULE_SERVERS", None)
        if isinstance(registry, dict):
            servers: list[ServerProcess] = registry.setdefault(request.module.__name__, [])
            return servers
    return []


@contextlib.contextmanager
def launcher(
    request: pytest.FixtureRequest, workdir: Path, redis_url: str, database_url: str
) -> Iterator[Callable[..., ServerProcess]]:
    """``start(instance_id, redis_url=None, **env)``: a running server with ``env`` added to
    its environment (names in capitals, e.g. ``WS_PING_SECONDS="1"``); all are stopped at the
    end."""
    listed = module_servers(request)
    made: list[ServerProcess] = []

    def start(instance_id: str, redis: str | None = None, **env: str) -> ServerProcess:
        server = ServerProcess(workdir, redis or redis_url, database_url, instance_id, env)
        listed.append(server)
        made.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in made:
            server.stop()


def log_size(server: ServerProcess) -> int:
    """Where the server's log ends now (for :func:`assert_no_traceback` ``since``)."""
    return server.log_path.stat().st_size if server.log_path.exists() else 0


def assert_no_traceback(server: ServerProcess, since: int = 0) -> None:
    """The server logged no traceback (after byte ``since`` of its log)."""
    with server.log_path.open("rb") as log:
        log.seek(since)
        text = log.read().decode("utf-8", errors="replace")
    assert "Traceback" not in text, f"server {server.instance_id} logged an error:\n{text[-6000:]}"


class RawClosed(AssertionError):
    """The server closed the connection (``code``: its close code, ``None`` for a bare EOF)."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"connection closed (code {code})")
        self.code = code


def _mask(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return payload
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")


OPEN_RAW: list[RawWebSocket] = []
"""Bare sockets opened and not closed yet (see :func:`close_raw_sockets`)."""


def close_raw_sockets() -> None:
    """Close the bare sockets a test left open (when it failed half-way)."""
    while OPEN_RAW:
        OPEN_RAW.pop().close()


class RawWebSocket:
    """One WebSocket connection on a bare socket, read only when the test says so."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        OPEN_RAW.append(self)
        self.buffer = b""
        self.pings = 0
        """Pings received from the server (answered or not)."""

    @classmethod
    async def open(
        cls,
        port: int,
        rcvbuf: int | None = None,
        maxseg: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> RawWebSocket:
        """Connect and complete the opening handshake. ``rcvbuf``: the socket's receive buffer
        and ``maxseg``: its maximum segment size, both set before connecting so that the window
        stays small and the server's kernel does not grow a big send buffer for it (on loopback
        the segments are 64 KiB otherwise)."""
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if maxseg is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, maxseg)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", port)), WAIT)
            key = base64.b64encode(os.urandom(16)).decode()
            lines = [
                "GET /ws HTTP/1.1",
                f"Host: 127.0.0.1:{port}",
                "Upgrade: websocket",
                "Connection: Upgrade",
                f"Sec-WebSocket-Key: {key}",
                "Sec-WebSocket-Version: 13",
                *(f"{k}: {v}" for k, v in (headers or {}).items()),
            ]
            await loop.sock_sendall(sock, ("\r\n".join(lines) + "\r\n\r\n").encode())
            ws = cls(sock)
            while b"\r\n\r\n" not in ws.buffer:
                if not await ws._fill(WAIT):
                    raise RawClosed(None)
            head, _, ws.buffer = ws.buffer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101"), head[:200]
            return ws
        except BaseException:
            sock.close()
            raise

    def close(self) -> None:
        self.sock.close()
        if self in OPEN_RAW:
            OPEN_RAW.remove(self)

    # sending

    async def send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        key = os.urandom(4)
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(loop.sock_sendall(self.sock, head + key + _mask(payload, key)), WAIT)

    async def send(self, message: Message) -> None:
        await self.send_frame(OP_TEXT, json.dumps(message, ensure_ascii=False).encode())

    # receiving

    async def _fill(self, timeout: float) -> bool:
        """Read what the kernel has (waiting up to ``timeout``); False at the end of the
        stream."""
        loop = asyncio.get_running_loop()
        try:
            chunk = await asyncio.wait_for(loop.sock_recv(self.sock, 1 << 16), timeout)
        except ConnectionResetError:
            return False
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def _frame(self) -> tuple[int, bytes] | None:
        """One whole frame from the buffer, if there is one (server frames are not masked)."""
        b = self.buffer
        if len(b) < 2:
            return None
        opcode, n = b[0] & 0x0F, b[1] & 0x7F
        at = 2
        if n == 126:
            if len(b) < 4:
                return None
            n, at = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, at = struct.unpack("!Q", b[2:10])[0], 10
        if len(b) < at + n:
            return None
        self.buffer = b[at + n :]
        return opcode, b[at : at + n]

    async def read_frame(self, timeout: float = WAIT) -> tuple[int, bytes]:
        """The next frame; raises ``RawClosed(None)`` at the end of the stream and
        ``TimeoutError`` when nothing whole comes in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = self._frame()
            if frame is not None:
                return frame
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError
            if not await self._fill(left):
                raise RawClosed(None)

    async def receive(self, timeout: float = WAIT, answer_pings: bool = True) -> Message:
        """The next JSON message; pings are answered (or not) on the way; a close frame raises
        ``RawClosed`` with its code."""
        while True:
            opcode, payload = await self.read_frame(timeout)
            if opcode == OP_PING:
                self.pings += 1
                if answer_pings:
                    await self.send_frame(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise RawClosed(code)
            elif opcode in (OP_TEXT, OP_BINARY):
                message: Message = json.loads(payload)
                return message

    async def until(self, pred: Callable[[Message], bool], timeout: float = WAIT) -> Message:
        """The first message matching ``pred`` (others are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.receive(max(0.01, deadline - loop.time()))
            if pred(message):
                return message

    async def wait_closed(self, timeout: float) -> int | None:
        """Read (without answering pings) until the server ends the connection; returns the
        close code (``None`` for a bare end of stream). ``TimeoutError`` if it does not."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                await self.receive(max(0.01, deadline - loop.time()), answer_pings=False)
            except RawClosed as closed:
                return closed.code


def count_by(items: list[Any], key: Callable[[Any], str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        k = key(item)
        out[k] = out.get(k, 0) + 1
    return out


def traceback_headlines(server: ServerProcess, since: int = 0) -> list[str]:
    """The log line written just before each traceback in the server's log (after byte
    ``since``): the message that reported it (``handling a message``, ``deadline poll failed``,
    ``Exception in ASGI application``...); chained tracebacks are counted once."""
    with server.log_path.open("rb") as log:
        log.seek(since)
        lines = log.read().decode("utf-8", errors="replace").splitlines()
    return [
        lines[i - 1].strip() if i > 0 else ""
        for i, line in enumerate(lines)
        if line.startswith("Traceback (most recent call last)")
        and not (i >= 2 and lines[i - 2].startswith("During handling of the above exception"))
        and not (i >= 2 and lines[i - 2].startswith("The above exception was the direct cause"))
    ]


def logged_exceptions(server: ServerProcess, since: int = 0) -> dict[str, int]:
    """How often each exception ended a traceback in the server's log (after byte ``since``):
    ``"TypeError: unhashable type: 'list'"`` and the like, cut at 120 characters."""
    with server.log_path.open("rb") as log:
        log.seek(since)
        lines = log.read().decode("utf-8", errors="replace").splitlines()
    found: dict[str, int] = {}
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            end = next((t for t in lines[i + 1 :] if t and not t.startswith(" ")), "?")
            found[end[:120]] = found.get(end[:120], 0) + 1
    return found
