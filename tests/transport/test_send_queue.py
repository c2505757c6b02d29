"""A connection's send queue: a slow connection is closed, but a host's passing counts are
dropped instead, so a burst of a big room's decisions never disconnects the host."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from starlette.websockets import WebSocket

from game_server.transport.connections import CLOSE_SLOW, Connection
from game_server.transport.send_queue import SendQueue


def _connection(queue_size: int) -> Connection:
    # send() only queues; the socket is the writer's business, not used here.
    return Connection(cast(WebSocket, cast(Any, object())), queue_size=queue_size)


async def test_a_full_queue_closes_a_slow_connection() -> None:
    conn = _connection(queue_size=3)
    for i in range(3):
        conn.send(f"frame {i}")
    assert not conn.closing
    conn.send("one too many")
    assert conn.closing
    assert conn.close_code == CLOSE_SLOW


async def test_passing_counts_fill_half_the_queue_and_never_crowd_out_an_event() -> None:
    conn = _connection(queue_size=6)
    for i in range(2000):  # a 2,000-player round's decisions, faster than the writer runs
        conn.send(f'{{"type":"event","seq":0,"event":{{"decided":{i + 1}}}}}', droppable=True)
    assert not conn.closing
    assert conn.queue.qsize() == 3
    assert conn.dropped == 2000 - 3
    # the round closes right after the last decision: its event fits, the host stays
    for seq in (12, 13, 14):
        conn.send(f'{{"type":"event","seq":{seq},"event":{{"kind":"round_closed"}}}}')
    assert not conn.closing
    # numbered events may not be lost: with the queue full of them it closes the connection
    conn.send('{"type":"event","seq":15,"event":{"kind":"round_opened"}}')
    assert conn.closing
    assert conn.close_code == CLOSE_SLOW


async def test_the_writer_waits_for_a_frame_and_gets_them_in_order() -> None:
    queue: SendQueue[str] = SendQueue(maxsize=2)
    got: list[str] = []

    async def writer() -> None:
        for _ in range(3):
            got.append(await queue.get())

    task = asyncio.create_task(writer())
    await asyncio.sleep(0)  # the writer now waits on the empty queue
    queue.put_nowait("a")
    queue.put_nowait("b")
    with pytest.raises(asyncio.QueueFull):
        queue.put_nowait("c")
    await asyncio.sleep(0)
    assert got == ["a", "b"]
    assert queue.empty()
    queue.put_nowait("c")
    await asyncio.wait_for(task, 1)
    assert got == ["a", "b", "c"]
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_send_queue_has_one_reader() -> None:
    queue: SendQueue[str] = SendQueue(maxsize=2)
    first = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="one reader"):
        await queue.get()
    queue.put_nowait("x")
    assert await first == "x"


async def test_a_cancelled_writer_leaves_the_queue_usable() -> None:
    queue: SendQueue[str] = SendQueue(maxsize=2)
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    queue.put_nowait("after")
    assert await asyncio.wait_for(queue.get(), 1) == "after"
