"""The hot path's Redis client: one connection, every command of an event-loop turn in one write.

A decision or a quiz answer is one script call. Through redis-py each call checks a connection
out of the pool, packs, writes (a system call), parses and returns it: under the workshop mix
that was a quarter of the server's time. Here every command queued in one turn of the event loop
goes out in one ``write``, and the replies, which Redis sends in order, are matched to their
callers in order (hiredis parses them, in C). Redis itself is unchanged: a pipelined command is
an ordinary command.

Only for the single-server deployment (a Redis Cluster keeps redis-py's cluster client, which
routes by slot). Errors are redis-py's own exception classes, so ``transport/redis_faults.py``
reads them as it reads redis-py's:

- an error reply becomes the class redis-py gives it (``OOM`` → ``OutOfMemoryError``,
  ``NOSCRIPT`` → ``NoScriptError``, …);
- a lost connection fails every command in flight with ``ConnectionError``; the next command
  connects again;
- a command unanswered for ``timeout`` seconds closes the connection and fails what is in flight
  with ``TimeoutError`` (one timer per connection, not one per command);
- :meth:`PipelinedRedis.call_idempotent` sends a command once more on a new connection after a
  connection error, for commands that may safely run twice (the room scripts dedupe by message
  id).
"""

from __future__ import annotations

import asyncio
import builtins
import collections
import time
from collections.abc import Sequence
from hashlib import sha1
from typing import Any, TypeAlias, cast

import hiredis
from redis._parsers.base import BaseParser
from redis.asyncio.connection import parse_url
from redis.exceptions import ConnectionError, NoScriptError, TimeoutError

Arg: TypeAlias = str | int | float | bytes
DEFAULT_TIMEOUT = 10.0


class _ErrorReply(Exception):
    """What hiredis makes of an error reply; turned into redis-py's class for it."""


def _error_of(message: str) -> Exception:
    error: Exception = BaseParser.parse_error(message)  # type: ignore[no-untyped-call]
    return error


def pack(args: Sequence[Arg]) -> bytes:
    """One command in RESP: an array of bulk strings (hiredis packs it in C, a third of the
    time of the same in Python: a script call's dozen arguments were 4% of the server's time
    under the workshop mix)."""
    # (hiredis's stub types the argument as a tuple of one)
    packed: bytes = hiredis.pack_command(cast(Any, tuple(args)))
    return packed


class _Connection(asyncio.Protocol):
    """One socket to Redis: queued writes flushed once per loop turn, replies in order."""

    def __init__(self, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.timeout = timeout
        self.reader = hiredis.Reader(encoding="utf-8", replyError=_ErrorReply)
        self.transport: asyncio.Transport | None = None
        self.waiting: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self.out: list[bytes] = []
        self.flush_soon = False
        self.watchdog: asyncio.TimerHandle | None = None
        self.lost: Exception | None = None
        self.writes = 0
        """Socket writes so far (the tests read it: many commands, few writes)."""

    # asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio's, but have their methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            if not self.waiting:
                self._fail(ConnectionError("Redis sent a reply nobody asked for"))
                return
            future, _ = self.waiting.popleft()
            if future.done():  # its caller was cancelled
                continue
            if isinstance(reply, _ErrorReply):
                future.set_exception(_error_of(str(reply)))
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError(f"connection to Redis lost: {exc or 'closed'}"))

    # Sending ------------------------------------------------------------------------------

    def send(self, packed: bytes) -> asyncio.Future[Any]:
        if self.lost is not None:
            raise self.lost
        future: asyncio.Future[Any] = self.loop.create_future()
        self.waiting.append((future, time.monotonic()))
        self.out.append(packed)
        if not self.flush_soon:
            self.flush_soon = True
            self.loop.call_soon(self._flush)
        if self.watchdog is None:
            self.watchdog = self.loop.call_later(self.timeout, self._check_timeout)
        return future

    def _flush(self) -> None:
        self.flush_soon = False
        if self.out and self.transport is not None and self.lost is None:
            self.transport.write(b"".join(self.out))
            self.writes += 1
        self.out.clear()

    def _check_timeout(self) -> None:
        self.watchdog = None
        if not self.waiting:
            return
        oldest = self.waiting[0][1]
        late = time.monotonic() - oldest
        if late >= self.timeout:
            self._fail(TimeoutError(f"Redis did not answer in {self.timeout:g} s"))
            return
        self.watchdog = self.loop.call_later(self.timeout - late, self._check_timeout)

    def _fail(self, error: Exception) -> None:
        if self.lost is None:
            self.lost = error
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        self._fail(ConnectionError("the client was closed"))


class PipelinedRedis:
    """``call`` and ``calls`` over one connection that is opened on first use and again after
    it is lost. Replies are decoded as UTF-8 text (as the app's redis-py client does)."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.options: dict[str, Any] = dict(parse_url(url))
        self.timeout = timeout
        self._connection: _Connection | None = None
        self._connecting: asyncio.Lock | None = None

    async def _connect(self) -> _Connection:
        current = self._connection
        if current is not None and current.lost is None:
            return current
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            current = self._connection
            if current is not None and current.lost is None:
                return current
            loop = asyncio.get_running_loop()
            opts = self.options
            timeout = self.timeout
            try:
                async with asyncio.timeout(timeout):
                    if opts.get("path"):
                        _, conn = await loop.create_unix_connection(
                            lambda: _Connection(timeout), opts["path"]
                        )
                    else:
                        _, conn = await loop.create_connection(
                            lambda: _Connection(timeout),
                            opts.get("host", "localhost"),
                            int(opts.get("port", 6379)),
                        )
            except (OSError, builtins.TimeoutError) as exc:
                raise ConnectionError(f"cannot connect to Redis: {exc}") from exc
            hello: list[asyncio.Future[Any]] = []
            if opts.get("password"):
                auth = [opts["username"], opts["password"]] if opts.get("username") else []
                hello.append(conn.send(pack(["AUTH", *(auth or [opts["password"]])])))
            if int(opts.get("db", 0)):
                hello.append(conn.send(pack(["SELECT", int(opts["db"])])))
            for reply in hello:
                await reply
            self._connection = conn
            return conn

    async def call(self, *args: Arg) -> Any:
        """One command; its reply (an error reply raises redis-py's exception for it)."""
        conn = await self._connect()
        return await conn.send(pack(args))

    async def call_idempotent(self, *args: Arg) -> Any:
        """As ``call``, once more on a new connection if the connection failed (Redis restarted,
        a stale socket): only for a command that may run twice."""
        try:
            return await self.call(*args)
        except ConnectionError:
            return await self.call(*args)

    async def calls(self, *commands: Sequence[Arg]) -> list[Any]:
        """Several commands, in one write; their replies in order (the first error raises, after
        every reply has come)."""
        conn = await self._connect()
        futures = [conn.send(pack(c)) for c in commands]
        replies = await asyncio.gather(*futures, return_exceptions=True)
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply
        return list(replies)

    def script(self, text: str) -> HotScript:
        return HotScript(self, text)

    @property
    def writes(self) -> int:
        return self._connection.writes if self._connection is not None else 0

    async def aclose(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class HotScript:
    """A Lua script called by its SHA; loaded when Redis says it lacks it (a restart, a
    ``SCRIPT FLUSH``), then called again."""

    def __init__(self, client: PipelinedRedis, text: str) -> None:
        self.client = client
        self.text = text
        self.sha = sha1(text.encode()).hexdigest()

    def command(self, keys: Sequence[Arg], args: Sequence[Arg]) -> list[Arg]:
        return ["EVALSHA", self.sha, len(keys), *keys, *args]

    async def __call__(self, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        try:
            return await self.client.call_idempotent(*self.command(keys, args))
        except NoScriptError:
            await self.load()
            return await self.client.call_idempotent(*self.command(keys, args))

    async def load(self) -> None:
        await self.client.call_idempotent("SCRIPT", "LOAD", self.text)
