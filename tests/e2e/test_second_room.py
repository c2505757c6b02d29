"""One connection, two rooms: "play again" on the same socket starts sequence numbers anew."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e.e2e_support import ServerProcess, clients, is_event, is_type


@pytest.fixture(scope="module")
def server(start_server: Callable[[str], ServerProcess]) -> ServerProcess:
    return start_server("a")


async def test_a_second_room_on_the_same_connection_gets_its_events(
    server: ServerProcess,
) -> None:
    """After a solo room has produced many events, the same connection creates a second solo
    room: its round_closed and round_opened events (with small sequence numbers) still arrive."""
    async with clients() as make:
        me = await make(server.ws_url, "again")
        await me.create("solo")
        for r in range(3):
            await me.decide(r)
            await me.next(is_type("round_result"))
            await me.next(is_event("round_opened", round=r + 1))
        second, snapshot = await me.create("solo")
        assert snapshot["code"] == second["code"]
        await me.decide(0)
        closed = await me.next(is_event("round_closed", round=0))
        assert closed["seq"] < 5  # the new room's own numbering
        result = await me.next(is_type("round_result"))
        assert result["stage"]["round"] == 0
        await me.next(is_event("round_opened", round=1))
