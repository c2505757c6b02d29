"""A live demo of hundreds: 520 players (WebSocket clients) join a room on the projector.

The lobby shows the count and a few recent names, not every name, and still fits the screen;
the round shows how many are still choosing without listing them.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from e2e.e2e_support import Client, ServerProcess, connect_client
from playwright.sync_api import expect
from web.web_support import WAIT_MS, Pages, create_workshop, settle

PLAYERS = 520
BATCH = 40
T = TypeVar("T")


class Loop:
    """An asyncio loop in its own thread (Playwright's sync API owns this thread's loop)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def loop() -> Iterator[Loop]:
    made = Loop()
    try:
        yield made
    finally:
        made.stop()


async def join_all(url: str, code: str, count: int) -> list[Client]:
    joined: list[Client] = []

    async def one(i: int) -> Client:
        client = await connect_client(url, f"p{i}")
        await client.join(code, f"玩家{i:03d}")
        return client

    for start in range(0, count, BATCH):
        joined += await asyncio.gather(*(one(i) for i in range(start, min(start + BATCH, count))))
    return joined


async def close_all(clients: list[Client]) -> None:
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


def test_a_lobby_of_hundreds(pages: Pages, server: ServerProcess, loop: Loop) -> None:
    host = pages.projector()
    code = create_workshop(host, seconds=300)
    clients = loop.run(join_all(server.ws_url, code, PLAYERS))
    try:
        expect(host.locator("#host-count")).to_have_text(f"{PLAYERS} 人已加入", timeout=WAIT_MS)
        recent = host.locator("#host-recent > li")
        expect(recent).to_have_count(9)  # eight names and "and N more"
        # The newest first: one of the last batch (its joins race each other).
        last_batch = range((PLAYERS - 1) // BATCH * BATCH, PLAYERS)
        newest = "|".join(f"玩家{i:03d}" for i in last_batch)
        expect(recent.first).to_have_text(re.compile(f"^({newest})$"))
        expect(recent.last).to_have_text(f"还有 {PLAYERS - 8} 人")
        settle(host)
        assert host.evaluate("() => document.documentElement.scrollHeight") <= 720

        # The player list: every name once opened (not drawn while closed in a big room).
        expect(host.locator("#host-players > li")).to_have_count(0)
        host.locator("#host-players-btn").click()
        expect(host.locator("#host-players > li")).to_have_count(PLAYERS)
        host.locator("#host-players-close").click()

        host.locator("#host-start").click()
        choosing = host.locator("#host-choosing")
        expect(choosing).to_contain_text(f"还在选的：{PLAYERS} 人")
        expect(choosing.locator("li")).to_have_count(0)  # a count, not 520 names
        settle(host)
        assert host.evaluate("() => document.documentElement.scrollHeight") <= 720
    finally:
        loop.run(close_all(clients))
