"""Secrets and personal data over a real server process: the host token is taken from the
``Authorization`` header only (never the URL), the export works after the room left Redis (the
token checked against the hash kept in SQL), and the server's log holds no token, no query
string and no client address."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import redis
from e2e.e2e_support import AddressedClient, Client, ServerProcess, is_event
from sqlalchemy import create_engine, text

ADDRESS = "203.0.113.77"
FROM = {"X-Forwarded-For": ADDRESS}


async def connect(server: ServerProcess, name: str, path: str = "") -> Client:
    client = AddressedClient(server.ws_url + path, name, ADDRESS)
    await client.open()
    await client.hello()
    return client


def get(server: ServerProcess, path: str, token: str | None = None) -> httpx.Response:
    headers = dict(FROM)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return server.get(path, headers=headers)


async def finished_export(server: ServerProcess, code: str, token: str) -> dict[str, Any]:
    for _ in range(50):
        response = get(server, f"/api/rooms/{code}/export.json", token)
        assert response.status_code == 200, response.text
        exported: dict[str, Any] = response.json()
        if exported["complete"] and len(exported["results"]) == 2 and exported["room"]:
            return exported
        await asyncio.sleep(0.1)
    raise AssertionError(f"the export never completed: {exported}")


async def test_exports_take_the_token_from_the_header_only_and_no_log_line_holds_it(
    start_server: Callable[..., ServerProcess], e2e_redis_url: str, e2e_database_url: str
) -> None:
    """A workshop (a host and two players behind one address) played one round and ended by
    the host. Its exports (JSON, CSV, report) and the host's roster answer with the token in
    ``Authorization``; with ``?token=`` in the URL instead they answer 401. Once the room is
    gone from Redis (its keys deleted, as when it expires), the export still works with the
    host token, checked against the hash kept with the summary in SQL, and refuses a player's
    token. The server's log has the request lines (method, path, status) but no token, no
    query string and not the players' address."""
    server = start_server("secrets")
    host = await connect(server, "host")
    created, _ = await host.create("workshop", round_seconds=600)
    code, host_token = str(created["code"]), str(created["host_token"])
    players = []
    for i in range(2):
        player = await connect(server, f"p{i}")
        await player.join(code, f"玩家{i}")
        players.append(player)
    # A client that puts a token in the WebSocket's URL gets nothing for it, and no log of it.
    careless = await connect(server, "careless", f"?token={host_token}")
    assert (await host.host("start"))["type"] == "ack"
    for player in players:
        await player.next(is_event("round_opened", round=0))
        assert (await player.decide(0))["type"] == "ack"
    await host.next(is_event("round_closed", round=0))
    assert (await host.host("end"))["type"] == "ack"
    await host.next(is_event("game_over"))
    for client in (host, careless, *players):
        await client.close()

    exported = await finished_export(server, code, host_token)
    assert {r["nickname"] for r in exported["results"]} == {"玩家0", "玩家1"}
    for path in ("export.csv", "report", "players"):
        assert get(server, f"/api/rooms/{code}/{path}", host_token).status_code == 200, path
    for path in ("export.json", "export.csv", "report", "players"):
        in_url = get(server, f"/api/rooms/{code}/{path}?token={host_token}")
        assert in_url.status_code == 401, path

    with redis.Redis.from_url(e2e_redis_url) as r:
        r.delete(*r.keys(f"{{room:{code}}}:*"))
        r.zrem("gig:rooms", code)
    assert get(server, f"/api/rooms/{code}").status_code == 404
    # The hash kept with the room's summary (written by the game's end, see docs/security.md).
    secret_hash = hashlib.sha256(host_token.split(".")[2].encode()).hexdigest()
    engine = create_engine(e2e_database_url)
    with engine.begin() as sql:
        stored = sql.execute(
            text("SELECT host_token_hash FROM room_summary WHERE room_code = :c"), {"c": code}
        ).scalar_one()
    engine.dispose()
    assert stored == secret_hash  # written by the game's end, with the room's summary
    after = get(server, f"/api/rooms/{code}/export.json", host_token)
    assert after.status_code == 200, after.text
    assert after.json()["results"] == exported["results"]
    assert get(server, f"/api/rooms/{code}/export.csv", host_token).status_code == 200
    assert get(server, f"/api/rooms/{code}/export.json", players[0].token).status_code == 401
    assert get(server, f"/api/rooms/{code}/export.json").status_code == 401
    forged = f"{code}.host.{'x' * 22}"
    assert get(server, f"/api/rooms/{code}/export.json", forged).status_code == 401

    log = server.log_path.read_text("utf-8")
    assert f'"GET /api/rooms/{code}/export.csv HTTP/1.1" 200' in log
    assert f'"GET /api/rooms/{code}/export.json HTTP/1.1" 401' in log  # the ?token= one
    assert '"WebSocket /ws" [accepted]' in log
    secrets = [host_token.split(".")[2], *(str(p.token).split(".")[2] for p in players)]
    for line in log.splitlines():
        for secret in secrets:
            assert secret not in line, line
        assert "token=" not in line, line
        assert ADDRESS not in line, line
