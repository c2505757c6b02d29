"""``export.json`` says whether it is complete: the app (its lifespan, routes and drainer loop)
on a real Redis and a SQLite file, asked over ASGI."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from outbox.outbox_support import SCENARIO, life, quiz, room
from redis.asyncio import Redis

from game_server.app import create_app
from game_server.config import Settings
from game_server.outbox.items import OUTBOX_INDEX, outbox_key
from game_server.protocol.messages import CreateRoom


async def test_the_export_shows_pending_results_then_complete(
    redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    settings = Settings(redis_url=redis_url, data_dir=tmp_path, results_flush_seconds=0.05)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        created = await app.state.service.create_room(
            CreateRoom(
                type="create_room", client_msg_id="c1", scenario_id=SCENARIO, mode="workshop"
            )
        )
        code, auth = created["code"], {"Authorization": f"Bearer {created['host_token']}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def export() -> dict[str, Any]:
                response = await http.get(f"/api/rooms/{code}/export.json", headers=auth)
                assert response.status_code == 200, response.text
                body: dict[str, Any] = response.json()
                return body

            assert (await export())["complete"] is True  # nothing produced, nothing pending

            # The game ends while the drainer is held off (its entry is not due for a minute).
            entries = [life(code, "p1"), life(code, "p2"), room(code), quiz(code, "p1")]
            await redis.zadd(OUTBOX_INDEX, {code: 4_000_000_000_000})
            await redis.hset(outbox_key(code), mapping=dict(entries))
            partial = await export()
            assert (partial["pending"], partial["complete"]) == (4, False)
            assert (partial["results"], partial["room"]) == ([], None)

            await redis.zadd(OUTBOX_INDEX, {code: 0})  # due: the app's loop flushes it
            for _ in range(200):
                complete = await export()
                if complete["complete"]:
                    break
                await asyncio.sleep(0.02)
            assert complete["pending"] == 0
            assert sorted(r["player_id"] for r in complete["results"]) == ["p1", "p2"]
            assert complete["room"]["room_code"] == code
            assert len(complete["quiz_answers"]) == 1
