"""One real game server process, real sockets: whole games as players and hosts play them.

The server is ``python -m game_server serve`` on this module's own Redis and SQLite (see
``conftest.py``); clients are plain WebSocket connections (``e2e_support.Client``).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from e2e.e2e_support import (
    SCENARIO,
    Client,
    Message,
    ServerProcess,
    clients,
    is_event,
    is_type,
)

ROUNDS = 10
"""Rounds of a life in the scenario the tests play."""


@pytest.fixture(scope="module")
def server(start_server: Callable[[str], ServerProcess]) -> ServerProcess:
    return start_server("a")


@pytest.fixture
async def make(server: ServerProcess) -> AsyncIterator[Callable[..., Awaitable[Client]]]:
    """``await make(name, hello=True)``: a connected client (hello done unless ``hello`` is
    false), closed after the test."""
    async with clients() as make_client:

        async def on_server(name: str, hello: bool = True) -> Client:
            client: Client = await make_client(server.ws_url, name, hello)
            return client

        yield on_server


def nickname(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


async def workshop(
    make: Callable[..., Awaitable[Client]], players: int, **options: Any
) -> tuple[Client, str, list[Client]]:
    """A workshop room with a host and ``players`` joined players (lobby, not started)."""
    host = await make("host")
    created, snapshot = await host.create("workshop", **options)
    code = created["code"]
    assert created["host_token"].startswith(f"{code}.host.")
    assert snapshot["role"] == "host"
    assert snapshot["room_status"] == "lobby"
    joined = []
    for i in range(players):
        player = await make(f"p{i + 1}")
        _, snap = await player.join(code, nickname(f"玩家{i + 1}"))
        assert snap["role"] == "player"
        assert snap["player_id"] == player.player_id
        assert snap["room_status"] == "lobby"
        await host.next(is_event("player_joined", player_id=player.player_id))
        joined.append(player)
    return host, code, joined


async def open_round(host: Client, players: list[Client], r: int, **options: Any) -> Message:
    """The host starts the game (round 0) or opens round ``r``; everyone sees it open."""
    ack = await (host.host("start") if r == 0 else host.host("open_round", **options))
    assert ack["type"] == "ack", ack
    opened = await host.next(is_event("round_opened", round=r))
    for player in players:
        seen = await player.next(is_event("round_opened", round=r))
        assert seen["seq"] == opened["seq"]
    return opened


async def everyone_decides(
    host: Client, players: list[Client], r: int, skip: frozenset[int] = frozenset()
) -> tuple[Message, list[Message]]:
    """Players (but those at the indices in ``skip``) decide round ``r`` with their defaults,
    one after the other; returns the host's ``round_closed`` and each player's result."""
    deciders = [p for i, p in enumerate(players) if i not in skip]
    for n, player in enumerate(deciders, start=1):
        ack = await player.decide(r)
        assert ack["type"] == "ack", ack
        assert (ack["round"], ack["decided"], ack["total"]) == (r, n, len(players))
    wait = 20.0 if skip else 5.0
    closed = await host.next(is_event("round_closed", round=r), wait)
    results = []
    for player in players:
        seen = await player.next(is_event("round_closed", round=r))
        assert seen["seq"] == closed["seq"]
        result = await player.next(is_type("round_result"))
        assert result["seq"] == closed["seq"]
        assert result["stage"]["round"] == r
        results.append(result)
    return closed, results


async def test_solo_life_over_real_sockets(
    make: Callable[..., Awaitable[Client]], server: ServerProcess
) -> None:
    """A solo life played to its end over a real socket: every decision is acked, every round
    brings a personal result and opens the next round by itself, the end brings the life summary
    (score 0-1000) and the insured/uninsured counterfactual, and the result is written to SQL (the
    public leaderboard shows the nickname and score)."""
    me = await make("solo")
    name = nickname("独行侠")
    created, snapshot = await me.create("solo", nickname=name)
    code = created["code"]
    assert created["mode"] == "solo"
    assert created["rounds"] == ROUNDS
    assert created["nickname"] == name
    assert created["player_token"].startswith(f"{code}.{created['player_id']}.")
    assert snapshot["player_id"] == created["player_id"]
    assert (snapshot["room_status"], snapshot["round"], snapshot["round_state"]) == (
        "playing",
        0,
        "open",
    )

    for r in range(ROUNDS):
        assert me.status is not None
        assert me.status["round"] == r
        defaults = me.status["defaults"]
        ack = await me.decide(r, defaults)
        assert ack["type"] == "ack", ack
        assert (ack["round"], ack["decided"], ack["total"]) == (r, 1, 1)
        closed = await me.next(is_event("round_closed", round=r))
        assert closed["event"]["defaulted"] == 0
        result = await me.next(is_type("round_result"))
        assert result["seq"] == closed["seq"]
        assert result["stage"]["round"] == r
        assert result["stage"]["decisions"] == defaults
        if r < ROUNDS - 1:
            opened = await me.next(is_event("round_opened", round=r + 1))
            assert opened["seq"] > closed["seq"]
            assert result["status"]["round"] == r + 1

    over = await me.next(is_event("game_over"))
    assert over["event"]["reason"] == "complete"
    life_over = (await me.next(is_type("life_over")))["life_over"]
    summary = life_over["summary"]
    assert 0 <= summary["score"] <= 1000
    cf = life_over["counterfactual"]
    for key in ("actual", "insured", "uninsured"):
        assert 0 <= cf[key]["score"] <= 1000
    assert cf["actual"]["score"] == summary["score"]

    room = server.get(f"/api/rooms/{code}").json()
    assert room["status"] == "finished"

    # The result reaches SQL in the background: poll the public boards for a moment.
    row = None
    for _ in range(50):
        board = server.get(f"/api/rooms/{code}/leaderboard").json()
        if board:
            row = board[0]
            break
        await asyncio.sleep(0.1)
    assert row is not None, "the result was not written to the database"
    assert (row["nickname"], row["score"]) == (name, summary["score"])
    assert "player_id" not in row
    top = server.get("/api/leaderboard", params={"scenario": SCENARIO, "limit": 100}).json()
    assert all("player_id" not in r for r in top)
    if len(top) < 100:
        assert {"nickname": name, "score": summary["score"]}.items() <= next(
            r for r in top if r["nickname"] == name
        ).items()
    else:  # a shared database (TEST_DATABASE_URL) full of earlier runs: the board is in order
        scores = [r["score"] for r in top]
        assert scores == sorted(scores, reverse=True)


async def test_workshop_room_plays_to_the_end(
    make: Callable[..., Awaitable[Client]], server: ServerProcess
) -> None:
    """A full workshop: a host and four players over real sockets. Every round opens for all,
    acks count the decisions, a pool round reports the risk pool, a round where one player never
    decides closes at its deadline with that player's defaults (``defaulted`` 1), the host sees
    the leaderboard every round and the podium at the end, each player gets life_over. Then the
    host-only exports (JSON, CSV) hold the results and refuse a missing or a player's token, the
    join QR code is an SVG and the room shows as finished."""
    host, code, players = await workshop(make, 4, round_seconds=10)
    host_token = host.token
    assert host_token is not None

    for r in range(ROUNDS):
        pool = r == 1
        opened = await open_round(host, players, r, pool=pool, seconds=10)
        assert opened["event"]["pool"] is pool
        assert opened["event"]["rounds"] == ROUNDS
        deadline = opened["event"]["deadline"]
        assert deadline > 0
        skip = frozenset({3}) if r == 2 else frozenset()
        skipped_defaults = players[3].status["defaults"] if skip else None  # type: ignore[index]
        closed, results = await everyone_decides(host, players, r, skip)
        event = closed["event"]
        assert event["players"] == 4
        if skip:
            assert event["defaulted"] == 1
            # Closed by the deadline poller, not before the deadline.
            assert time.time() * 1000 >= deadline - 50
            assert results[3]["stage"]["decisions"] == skipped_defaults
        else:
            assert event["defaulted"] == 0
        board = event["leaderboard"]
        assert len(board) == 4
        assert {b["player_id"] for b in board} == {p.player_id for p in players}
        assert [b["score"] for b in board] == sorted((b["score"] for b in board), reverse=True)
        if pool:
            block = event["pool"]
            assert block["members"] == 4
            assert set(block["losses"]) == {p.player_id for p in players}
            assert abs(block["total_losses"] - sum(block["losses"].values())) <= 4  # rounding
            assert block["worst_pooled"] <= block["worst_alone"]
        else:
            assert "pool" not in event

    over = await host.next(is_event("game_over"))
    assert over["event"]["reason"] == "complete"
    podium = over["event"]["podium"]
    assert len(podium) == 3
    scores = {}
    for player in players:
        await player.next(is_event("game_over"))
        life_over = (await player.next(is_type("life_over")))["life_over"]
        scores[player.player_id] = life_over["summary"]["score"]
        assert set(life_over["counterfactual"]) >= {"insured", "uninsured"}
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:3]
    assert [(p["player_id"], p["score"]) for p in podium] == best

    assert server.get(f"/api/rooms/{code}").json()["status"] == "finished"

    auth = {"Authorization": f"Bearer {host_token}"}
    exported: dict[str, Any] = {}
    for _ in range(50):
        response = server.get(f"/api/rooms/{code}/export.json", headers=auth)
        assert response.status_code == 200, response.text
        exported = response.json()
        if len(exported["results"]) == 4 and exported["room"] is not None:
            break
        await asyncio.sleep(0.1)
    assert exported["room_code"] == code
    assert len(exported["results"]) == 4
    assert {r["player_id"]: r["score"] for r in exported["results"]} == scores
    assert exported["room"]["players"] == 4

    assert server.get(f"/api/rooms/{code}/export.json").status_code == 401
    player_auth = {"Authorization": f"Bearer {players[0].token}"}
    assert server.get(f"/api/rooms/{code}/export.json", headers=player_auth).status_code == 401
    assert server.get(f"/api/rooms/{code}/export.csv").status_code == 401

    response = server.get(f"/api/rooms/{code}/export.csv", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 4
    assert sorted(int(row[1]) for row in rows[1:]) == sorted(scores.values())

    response = server.get(f"/api/rooms/{code}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in response.text


async def test_resume_keeps_the_seat_and_the_decision(
    make: Callable[..., Awaitable[Client]],
) -> None:
    """A player who drops mid-game keeps everything. Resuming with ``last_seq`` replays the
    events missed while away (here a pause and a resume); resuming with the token alone gives a
    snapshot with the same player id whose ``pending`` holds the decision made before the drop;
    the round goes on and closes without the absent player, using that decision (the result shows
    pension "employee"); resuming after a round closed gives a snapshot with the new round open,
    which the player then decides."""
    host, _, (p, q) = await workshop(make, 2)
    await open_round(host, [p, q], 0)
    assert p.status is not None
    choice = {**p.status["defaults"], "pension": "employee", "pension_base_pct": 60}
    ack = await p.decide(0, choice)
    assert (ack["decided"], ack["total"]) == (1, 2)

    # Away while the host pauses and resumes: the missed events come back, in order.
    await p.close()
    seen = p.last_seq
    assert (await host.host("pause"))["type"] == "ack"
    assert (await host.host("resume"))["type"] == "ack"
    await host.next(is_event("resumed"))
    first = await p.reconnect(last_seq=seen)
    assert first == {"type": "resumed", "seq": seen + 2, "missed": 2}  # the room's latest
    paused = await p.next(is_type("event"))
    resumed = await p.next(is_type("event"))
    assert (paused["seq"], paused["event"]["kind"]) == (seen + 1, "paused")
    assert (resumed["seq"], resumed["event"]["kind"]) == (seen + 2, "resumed")

    # Resuming with the token alone: a snapshot of the same seat, the decision still pending.
    snapshot = await p.reconnect()
    assert snapshot["type"] == "snapshot", snapshot
    assert snapshot["player_id"] == p.player_id
    assert (snapshot["round"], snapshot["round_state"], snapshot["room_status"]) == (
        0,
        "open",
        "playing",
    )
    assert snapshot["decided"] == 1
    assert snapshot["pending"] is not None
    assert snapshot["pending"]["pension"] == "employee"

    # Away again: the round closes without the player, with the decision it made.
    await p.close()
    seen = p.last_seq
    ack = await q.decide(0)
    assert (ack["decided"], ack["total"]) == (2, 2)
    closed = await host.next(is_event("round_closed", round=0))
    assert closed["event"]["defaulted"] == 0
    assert closed["event"]["stats"]["pension"].get("employee") == 1
    await q.next(is_type("round_result"))
    await open_round(host, [q], 1)

    snapshot = await p.reconnect(last_seq=seen)
    assert snapshot["type"] == "snapshot", snapshot  # a personal result was missed
    assert snapshot["player_id"] == p.player_id
    assert (snapshot["round"], snapshot["round_state"]) == (1, "open")
    assert snapshot["last_stage"]["round"] == 0
    assert snapshot["last_stage"]["decisions"]["pension"] == "employee"
    assert snapshot["status"]["round"] == 1
    assert snapshot["pending"] is None

    ack = await p.decide(1)
    assert (ack["type"], ack["round"], ack["decided"], ack["total"]) == ("ack", 1, 1, 2)
    await q.decide(1)
    closed = await host.next(is_event("round_closed", round=1))
    assert closed["event"]["defaulted"] == 0
    result = await p.next(is_type("round_result"))
    assert result["seq"] == closed["seq"]
    assert result["stage"]["round"] == 1


async def test_closing_an_old_connection_keeps_the_player_waited_for(
    make: Callable[..., Awaitable[Client]],
) -> None:
    """A player who is connected on a new socket (a second tab, or a phone that reconnected
    before its old socket was seen to close) and then loses the old one is still connected: when
    the other players have decided, the round waits for its decision instead of closing at once
    with its defaults."""
    host, _, (p, q) = await workshop(make, 2)
    await open_round(host, [p, q], 0)
    again = await make("p-again")
    again.token = p.token
    await again.hello(p.token)
    snapshot = await again.next(is_type("snapshot"))
    assert snapshot["player_id"] == p.player_id
    await p.close()
    await asyncio.sleep(0.3)  # the server sees the old socket go

    ack = await q.decide(0)
    assert (ack["decided"], ack["total"]) == (1, 2)
    # The "everyone connected has decided" check runs 0.2 s after a decision.
    await host.quiet(is_event("round_closed"), 1.0)

    ack = await again.decide(0)
    assert (ack["decided"], ack["total"]) == (2, 2)
    closed = await host.next(is_event("round_closed", round=0))
    assert closed["event"]["defaulted"] == 0


async def test_same_decision_twice_counts_once(
    make: Callable[..., Awaitable[Client]],
) -> None:
    """Idempotency: the same ``decide`` sent twice with one ``client_msg_id`` (the second time
    even with other choices) gets two equal acks and counts once; the first decision is the one
    played."""
    host, _, (p, q) = await workshop(make, 2)
    await open_round(host, [p, q], 0)
    assert p.status is not None
    defaults = p.status["defaults"]
    message = {"type": "decide", "client_msg_id": "once", "round": 0, "decisions": defaults}
    await p.send(message)
    first = await p.next(lambda m: m.get("client_msg_id") == "once")
    changed = {**defaults, "pension": "employee"}
    await p.send({**message, "decisions": changed})
    second = await p.next(lambda m: m.get("client_msg_id") == "once")
    assert first["type"] == second["type"] == "ack"
    assert first == second
    assert (first["decided"], first["total"]) == (1, 2)

    assert host.token is not None
    watcher = await make("host-2")
    await watcher.hello(host.token)
    snapshot = await watcher.next(is_type("snapshot"))
    assert snapshot["decided"] == 1

    ack = await q.decide(0)
    assert (ack["decided"], ack["total"]) == (2, 2)
    closed = await host.next(is_event("round_closed", round=0))
    assert closed["event"]["defaulted"] == 0
    result = await p.next(is_type("round_result"))
    assert result["stage"]["decisions"] == defaults


async def test_bad_input_gets_stable_errors_and_changes_nothing(
    make: Callable[..., Awaitable[Client]],
) -> None:
    """Bad input over a live socket: malformed JSON, wrong types, an unknown type, a 20 KiB
    frame, a decision for a closed round, a host action from a player and a forged token each
    get an error with its stable code; the connection stays open (a ping gets a pong), nothing
    happens in the room (no event, same snapshot) and the other player sees nothing."""
    host, code, (p, q) = await workshop(make, 2)
    await open_round(host, [p, q], 0)
    await p.decide(0)
    await q.decide(0)
    await host.next(is_event("round_closed", round=0))
    for player in (p, q):
        await player.next(is_type("round_result"))
    assert host.token is not None

    async def host_view() -> Message:
        viewer = await make("viewer")
        await viewer.hello(host.token)
        snap = await viewer.next(is_type("snapshot"))
        await viewer.close()
        return snap

    before = await host_view()
    q_seen = len(q.messages)

    async def refused(client: Client, send: str | bytes | Message, code: str) -> Message:
        if isinstance(send, dict):
            await client.send(send)
        else:
            await client.send_raw(send)
        error = await client.next(is_type("error"))
        assert error["code"] == code, (str(send)[:100], error)
        if isinstance(send, dict) and "client_msg_id" in send:
            assert error["client_msg_id"] == send["client_msg_id"]
        await client.ping()
        await asyncio.sleep(0.1)  # stay under the rate limit
        return error

    await refused(p, "{not json", "protocol/bad_json")
    await refused(p, b"\xff\xfe{ not utf-8", "protocol/bad_json")
    await refused(p, "[1, 2, 3]", "protocol/invalid_message")
    await refused(
        p,
        {"type": "decide", "client_msg_id": "t1", "round": "one", "decisions": {}},
        "protocol/invalid_message",
    )
    await refused(
        p,
        {"type": "decide", "client_msg_id": "t2", "round": 1, "decisions": {"hours": 40}},
        "protocol/invalid_message",
    )
    await refused(
        p, {"type": "join", "client_msg_id": "t3", "code": 123456}, "protocol/invalid_message"
    )
    await refused(p, {"type": "dance", "client_msg_id": "u1"}, "protocol/unknown_type")
    await refused(p, '{"type": "ping", "pad": "' + "x" * 20 * 1024 + '"}', "protocol/too_large")
    assert p.status is not None
    defaults = p.status["defaults"]
    for r in (0, 1):  # round 0 is closed, round 1 is not open yet
        message = {"type": "decide", "client_msg_id": f"c{r}", "round": r, "decisions": defaults}
        await refused(p, message, "rule/round_closed")
    for action in ("start", "open_round", "close_round", "end"):
        message = {"type": "host", "client_msg_id": f"h-{action}", "action": action}
        await refused(p, message, "auth/not_host")
    # A forged token on the live connection: refused, and the player keeps its seat.
    forged = f"{code}.{p.player_id}.{secrets.token_urlsafe(16)}"
    await p.send({"type": "hello", "protocol": 1, "token": forged})
    await p.next(is_type("welcome"))
    assert (await p.next(is_type("error")))["code"] == "auth/bad_token"
    await p.ping()

    after = await host_view()
    assert after == before
    assert len(q.messages) == q_seen, q.messages[q_seen:]

    # The room goes on as if nothing happened, with the same player on the same socket.
    await open_round(host, [p, q], 1)
    closed, _ = await everyone_decides(host, [p, q], 1)
    assert closed["event"]["defaulted"] == 0


async def test_bots_command_plays_a_hosted_workshop(
    make: Callable[..., Awaitable[Client]], server: ServerProcess
) -> None:
    """``python -m game_server bots`` (a subprocess) joins three bots to a room this test hosts;
    they decide every round themselves (no defaults needed), the host opens the rounds, the game
    ends, and the command exits 0 after reporting every bot's ten rounds and score."""
    host = await make("host")
    created, _ = await host.create("workshop", round_seconds=30)
    code = created["code"]
    bots = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "game_server",
        "bots",
        "--url",
        server.ws_url,
        "--room",
        code,
        "--players",
        "3",
        "--think",
        "0.1",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        for _ in range(3):
            await host.next(is_event("player_joined"), timeout=15)
        assert (await host.host("start"))["type"] == "ack"
        for r in range(ROUNDS):
            closed = await host.next(is_event("round_closed", round=r), timeout=10)
            assert closed["event"]["defaulted"] == 0
            assert closed["event"]["players"] == 3
            if r < ROUNDS - 1:
                assert (await host.host("open_round"))["type"] == "ack"
        await host.next(is_event("game_over"))
        output, _ = await asyncio.wait_for(bots.communicate(), 15)
    finally:
        if bots.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                bots.kill()
            await bots.communicate()
    text = output.decode()
    assert bots.returncode == 0, text
    lines = [line for line in text.splitlines() if line.startswith("机器人")]
    assert len(lines) == 3, text
    for line in lines:
        assert f"{ROUNDS} rounds, score " in line, text
        assert not line.endswith("score None"), text


async def test_forged_token_in_first_hello_is_refused_and_connection_stays(
    make: Callable[..., Awaitable[Client]],
) -> None:
    """A forged token in the first hello of a connection (a player's id or the host's with a
    wrong secret, or a room that does not exist) is refused with ``auth/bad_token`` after the
    welcome; the connection stays open and usable (a ping gets a pong) and the room is
    untouched."""
    host, code, (p,) = await workshop(make, 1)
    assert host.token is not None
    seq = host.last_seq
    for token in (
        f"{code}.{p.player_id}.{secrets.token_urlsafe(16)}",
        f"{code}.host.{secrets.token_urlsafe(16)}",
        "999999.abcd1234.defghijklm",
    ):
        stranger = await make("stranger", hello=False)
        await stranger.send({"type": "hello", "protocol": 1, "token": token})
        await stranger.next(is_type("welcome"))
        error = await stranger.next(is_type("error"))
        assert error["code"] == "auth/bad_token"
        await stranger.ping()
        await stranger.close()
    viewer = await make("viewer")
    await viewer.hello(host.token)
    snapshot = await viewer.next(is_type("snapshot"))
    assert snapshot["seq"] == seq
    assert [pl["player_id"] for pl in snapshot["players"]] == [p.player_id]
