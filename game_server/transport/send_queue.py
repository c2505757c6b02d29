"""A connection's bounded queue of frames to send, read by its one writer task.

``asyncio.Queue`` would do, but it carries three deques and an ``Event`` (with a fourth) per
queue, about 2.5 KB, for every one of 10,000 mostly idle phones: a twelfth of what an idle
connection costs the server. One writer is all a connection has, so a deque and the future that
writer waits on while the deque is empty are enough.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class SendQueue(Generic[T]):
    """At most ``maxsize`` items; ``put_nowait`` raises ``asyncio.QueueFull`` beyond. One
    consumer: ``get`` must not be awaited by two tasks at once."""

    __slots__ = ("_items", "_maxsize", "_waiter")

    def __init__(self, maxsize: int) -> None:
        self._items: deque[T] = deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None

    @property
    def maxsize(self) -> int:
        return self._maxsize

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return len(self._items) >= self._maxsize

    def put_nowait(self, item: T) -> None:
        if len(self._items) >= self._maxsize:
            raise asyncio.QueueFull
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def get_nowait(self) -> T:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    async def get(self) -> T:
        while not self._items:
            if self._waiter is not None:
                raise RuntimeError("a send queue has one reader")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()
