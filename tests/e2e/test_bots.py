"""The bots (``python -m game_server bots``) play a workshop on a real server, on the shared
protocol client and its asyncio transport."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest
from e2e.e2e_support import ServerProcess, clients, is_event, is_type

from game_server.bots import Bot

ROUNDS = 10
BOTS = 3


@pytest.fixture(scope="module")
def server(start_server: Callable[[str], ServerProcess]) -> ServerProcess:
    return start_server("a")


async def test_bots_join_answer_the_quiz_decide_every_round_and_finish(
    server: ServerProcess,
) -> None:
    """Three bots join a workshop, answer the quiz before the game; each round closes because
    every bot decided (none was defaulted); after the last round each bot has played ten rounds,
    has its score, answered the quiz again and received no error."""
    async with clients() as make:
        host = await make(server.ws_url, "host")
        created, _ = await host.create("workshop", round_seconds=600)
        code = created["code"]
        rng = random.Random(7)
        bots = [
            Bot(server.ws_url, code, f"机器人{i}", "random", 0.05, random.Random(rng.random()))
            for i in range(BOTS)
        ]
        playing = [asyncio.create_task(bot.play()) for bot in bots]
        for _ in bots:
            await host.next(is_event("player_joined"))
        assert (await host.host("start"))["type"] == "ack"
        for r in range(ROUNDS):
            if r:
                assert (await host.host("open_round"))["type"] == "ack"
            closed = await host.next(is_event("round_closed", round=r), timeout=20)
            assert closed["event"]["defaulted"] == 0, closed
        await host.next(is_event("game_over"))
        done = await asyncio.wait_for(asyncio.gather(*playing), 20)
        for bot in done:
            assert bot.state.errors == [], bot.nickname
            assert bot.state.results == ROUNDS
            assert bot.score is not None
            assert 0 <= bot.score <= 1000
            assert bot.state.quizzed == {"pre", "post"}
            assert sorted(bot.state.decided) == list(range(ROUNDS))
        # The host sees the bots as the room's players, in a finished room.
        viewer = await make(server.ws_url, "viewer")
        await viewer.hello(host.token)
        snapshot = await viewer.next(is_type("snapshot"))
        assert snapshot["room_status"] == "finished"
        assert {p["player_id"] for p in snapshot["players"]} == {b.player_id for b in bots}
