"""A connection's send queue: a slow connection is closed, but a host's passing counts are
dropped instead, so a burst of a big room's decisions never disconnects the host."""

from __future__ import annotations

from typing import Any, cast

from starlette.websockets import WebSocket

from game_server.transport.connections import CLOSE_SLOW, Connection


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


async def test_a_full_queue_drops_passing_counts_and_keeps_the_connection() -> None:
    conn = _connection(queue_size=3)
    for i in range(2000):  # a 2,000-player round's decisions, faster than the writer runs
        conn.send(f'{{"type":"event","seq":0,"event":{{"decided":{i + 1}}}}}', droppable=True)
    assert not conn.closing
    assert conn.dropped == 2000 - 3
    assert conn.queue.qsize() == 3
    # a numbered event still may not be lost: with the queue full it closes the connection
    conn.send('{"type":"event","seq":12,"event":{"kind":"round_closed"}}')
    assert conn.closing
