"""Bad input over a live server: every malformed, oversized, flooding, out-of-turn or forged
message gets a typed error (or the documented close code), and nothing else changes in the room.

One server process (``python -m game_server serve``) on this module's Redis; clients are real
WebSocket connections. Tests that guess room codes send ``X-Forwarded-For`` with documentation
addresses (203.0.113.0/24, 198.51.100.0/24), so the wrong-code limit of 127.0.0.1 is untouched.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from e2e.e2e_faults_support import assert_no_traceback, log_size
from e2e.e2e_support import (
    AddressedClient,
    Client,
    Message,
    ServerProcess,
    is_event,
    is_type,
)

MakeClient = Callable[..., Awaitable[Client]]

FRIENDLY = re.compile(r"^(小蜜蜂|追风者|向日葵|小骑手|老司机|星星|小燕子|大树)[1-9][0-9]$")


@pytest.fixture(scope="module")
def server(start_server: Callable[[str], ServerProcess]) -> ServerProcess:
    return start_server("bad")


@pytest.fixture
async def make(server: ServerProcess, request: pytest.FixtureRequest) -> AsyncIterator[MakeClient]:
    """``await make(name, hello=True, address=None)``: a connected client, closed after the
    test; ``address``: sent as ``X-Forwarded-For`` (believed: we connect from 127.0.0.1). After the
    test, the server's log must show no traceback written during it."""
    made: list[Client] = []
    since = log_size(server)
    failed_before = request.session.testsfailed

    async def make_client(name: str, hello: bool = True, address: str | None = None) -> Client:
        client = AddressedClient(server.ws_url, name, address)
        await client.open()
        made.append(client)
        if hello:
            await client.hello()
        return client

    try:
        yield make_client
    finally:
        await asyncio.gather(*(c.close() for c in made), return_exceptions=True)
        if request.session.testsfailed == failed_before:  # a failed test has said enough
            assert_no_traceback(server, since)


async def workshop(make: MakeClient, players: int) -> tuple[Client, str, list[Client]]:
    host = await make("host")
    created, _ = await host.create("workshop", round_seconds=600)
    code = created["code"]
    joined = []
    for i in range(players):
        player = await make(f"p{i + 1}")
        await player.join(code, f"玩家{i + 1}")
        await host.next(is_event("player_joined", player_id=player.player_id))
        joined.append(player)
    return host, code, joined


async def host_view(make: MakeClient, host: Client) -> Message:
    """A fresh host snapshot of the room (on a new connection)."""
    assert host.token is not None
    viewer = await make("viewer")
    await viewer.hello(host.token)
    snapshot = await viewer.next(is_type("snapshot"))
    await viewer.close()
    return snapshot


async def refused(client: Client, send: str | bytes | Message, code: str) -> Message:
    """Send ``send``; the answer must be an error with ``code``. (Whether it echoes the
    client_msg_id is checked by ``test_every_error_echoes_the_client_msg_id``.)"""
    if isinstance(send, dict):
        await client.send(send)
    else:
        await client.send_raw(send)
    error = await client.next(lambda m: m.get("type") in ("error", "ack", "pong", "snapshot"))
    assert error.get("code") == code, (str(send)[:120], error)
    return error


def frame_with(size: int, kind: str = "ping") -> str:
    """A JSON message of ``size`` bytes."""
    head = f'{{"type": "{kind}", "pad": "'
    return head + "x" * (size - len(head) - 2) + '"}'


# --- Frames: JSON, shapes, types, sizes ---------------------------------------------------------


BAD_FRAMES: list[tuple[str | bytes | Message, str]] = [
    ("", "protocol/bad_json"),
    ("{", "protocol/bad_json"),
    ("nul", "protocol/bad_json"),
    (b"\xff\xfe\x00junk", "protocol/bad_json"),
    ('{"type": "ping"', "protocol/bad_json"),
    ("[]", "protocol/invalid_message"),
    ("1", "protocol/invalid_message"),
    ("null", "protocol/invalid_message"),
    ('"hello"', "protocol/invalid_message"),
    ("{}", "protocol/unknown_type"),
    ({"type": 5}, "protocol/unknown_type"),
    ({"type": "HELLO", "protocol": 1}, "protocol/unknown_type"),
    ({"type": ["decide"]}, "protocol/unknown_type"),
    ({"type": "dance", "client_msg_id": "x1"}, "protocol/unknown_type"),
    ({"type": "hello", "protocol": "1"}, "protocol/invalid_message"),
    ({"type": "hello", "protocol": 1.0}, "protocol/invalid_message"),
    ({"type": "hello", "protocol": 1, "extra": True}, "protocol/invalid_message"),
    ({"type": "hello", "protocol": 2}, "protocol/version"),
    ({"type": "hello", "protocol": 1, "last_seq": -1}, "protocol/invalid_message"),
    ({"type": "hello", "protocol": 1, "token": "short"}, "auth/bad_token"),
    ({"type": "hello", "protocol": 1, "token": "1" * 201}, "protocol/invalid_message"),
    ({"type": "join", "client_msg_id": "j1", "code": 123456}, "protocol/invalid_message"),
    ({"type": "join", "client_msg_id": "j2", "code": "12345"}, "protocol/invalid_message"),
    ({"type": "join", "client_msg_id": "j3", "code": "12345a"}, "protocol/invalid_message"),
    ({"type": "join", "client_msg_id": "j4", "code": "１２３４５６"}, "protocol/invalid_message"),
    ({"type": "join", "client_msg_id": "j5", "code": "123456\n"}, "protocol/invalid_message"),
    (
        {"type": "join", "client_msg_id": "j6", "code": "000000", "nickname": "x" * 201},
        "protocol/invalid_message",
    ),
    ({"type": "join", "client_msg_id": "", "code": "000000"}, "protocol/invalid_message"),
    ({"type": "join", "client_msg_id": "m" * 65, "code": "000000"}, "protocol/invalid_message"),
    (
        {"type": "decide", "client_msg_id": "d1", "round": "0", "decisions": {}},
        "protocol/invalid_message",
    ),
    (
        {"type": "decide", "client_msg_id": "d2", "round": -1, "decisions": {}},
        "protocol/invalid_message",
    ),
    (
        {"type": "decide", "client_msg_id": "d3", "round": 10**30, "decisions": {}},
        "protocol/invalid_message",
    ),
    (
        {"type": "decide", "client_msg_id": "d4", "round": 0, "decisions": []},
        "protocol/invalid_message",
    ),
    (
        {"type": "decide", "client_msg_id": "d5", "round": 0, "decisions": {"hours": "overtime"}},
        "protocol/invalid_message",
    ),
    (
        {"type": "decide", "client_msg_id": "d6", "round": 0, "decisions": {"saving_rate": 1.5}},
        "protocol/invalid_message",
    ),
    (
        {"type": "decide", "client_msg_id": "d7", "round": 0, "decisions": {"saving_rate": 2**70}},
        "protocol/invalid_message",
    ),
    (
        {
            "type": "decide",
            "client_msg_id": "d8",
            "round": 0,
            "decisions": {"accident_insurance": "yes"},
        },
        "protocol/invalid_message",
    ),
    (
        {"type": "decide", "client_msg_id": "d9", "round": 0, "decisions": {"job": {"a": [1, {}]}}},
        "protocol/invalid_message",
    ),
    (
        {"type": "decide", "client_msg_id": "da", "round": 0, "decisions": {"bonus": 1}},
        "protocol/invalid_message",
    ),
    (
        {
            "type": "quiz_answer",
            "client_msg_id": "q1",
            "phase": "mid",
            "question_id": "x",
            "answer": 0,
        },
        "protocol/invalid_message",
    ),
    (
        {
            "type": "quiz_answer",
            "client_msg_id": "q2",
            "phase": "pre",
            "question_id": "x",
            "answer": 11,
        },
        "protocol/invalid_message",
    ),
    ({"type": "host", "client_msg_id": "h1", "action": "explode"}, "protocol/invalid_message"),
    (
        {"type": "host", "client_msg_id": "h2", "action": "open_round", "seconds": 5},
        "protocol/invalid_message",
    ),
    (
        {"type": "host", "client_msg_id": "h3", "action": "open_round", "pool": 1},
        "protocol/invalid_message",
    ),
    (
        {"type": "host", "client_msg_id": "h4", "action": "kick", "player_id": "A<b>"},
        "protocol/invalid_message",
    ),
    (
        {"type": "create_room", "client_msg_id": "c1", "scenario_id": "../etc", "mode": "solo"},
        "protocol/invalid_message",
    ),
    (
        {
            "type": "create_room",
            "client_msg_id": "c2",
            "scenario_id": "hangzhou-rider",
            "mode": "duel",
        },
        "protocol/invalid_message",
    ),
    (
        {
            "type": "create_room",
            "client_msg_id": "c3",
            "scenario_id": "no-such-city",
            "mode": "solo",
        },
        "content/scenario_not_found",
    ),
    (
        {
            "type": "create_room",
            "client_msg_id": "c4",
            "scenario_id": "hangzhou-rider",
            "mode": "workshop",
            "round_seconds": 9,
        },
        "protocol/invalid_message",
    ),
    ({"type": "ping", "client_msg_id": "p1"}, "protocol/invalid_message"),
]


async def test_malformed_frames_get_typed_errors_and_change_nothing(make: MakeClient) -> None:
    """Fifty malformed frames from a player of a running room — not JSON, not an object, no or
    an unknown type, wrong field types, values out of range (2**70, -1, 1.5), unknown fields,
    nested junk, bad codes and ids — each get ``error`` with its documented code (echoing a
    valid client_msg_id); the connection stays usable (ping → pong), the room is untouched (the
    host's fresh snapshot is identical) and the other player receives nothing."""
    host, _, (p, q) = await workshop(make, 2)
    assert (await host.host("start"))["type"] == "ack"
    await q.next(is_event("round_opened", round=0))
    await p.next(is_event("round_opened", round=0))
    before = await host_view(make, host)
    await asyncio.sleep(0.1)
    q_seen = len(q.messages)
    senders = [p, *[await make(f"extra{i}") for i in range(2)]]
    for i, (frame, code) in enumerate(BAD_FRAMES):
        # The player itself sends a third; two greeted connections share the rest (each stays
        # under the rate limit's burst).
        await refused(senders[i % 3], frame, code)
    for client in senders:
        await client.ping()
    assert await host_view(make, host) == before
    await asyncio.sleep(0.2)
    assert q.messages[q_seen:] == [], "the other player received something"


async def test_before_hello_and_outside_a_room(make: MakeClient) -> None:
    """Anything before ``hello`` gets ``protocol/hello_first`` (and does not count as a hello);
    a greeted connection outside a room gets ``protocol/not_in_room`` for room actions; the host
    gets ``protocol/not_in_room`` for a player's actions and a player ``auth/not_host`` for
    every host action."""
    host, code, (p,) = await workshop(make, 1)
    before = await host_view(make, host)
    fresh = await make("fresh", hello=False)
    await refused(fresh, {"type": "ping"}, "protocol/hello_first")
    await refused(
        fresh, {"type": "join", "client_msg_id": "j", "code": code}, "protocol/hello_first"
    )
    await fresh.hello()
    decide = {"type": "decide", "client_msg_id": "d", "round": 0, "decisions": {}}
    quiz = {
        "type": "quiz_answer",
        "client_msg_id": "q",
        "phase": "pre",
        "question_id": before["quiz_ids"][0],
        "answer": 0,
    }
    await refused(fresh, decide, "protocol/not_in_room")
    await refused(fresh, quiz, "protocol/not_in_room")
    await refused(
        fresh, {"type": "host", "client_msg_id": "h", "action": "start"}, "protocol/not_in_room"
    )
    await refused(host, decide, "protocol/not_in_room")
    await refused(host, quiz, "protocol/not_in_room")
    for action in ("start", "pause", "resume", "close_round", "open_round", "end"):
        await refused(
            p, {"type": "host", "client_msg_id": action, "action": action}, "auth/not_host"
        )
    assert p.player_id is not None
    kick_self = {"type": "host", "client_msg_id": "k", "action": "kick", "player_id": p.player_id}
    await refused(p, kick_self, "auth/not_host")
    assert await host_view(make, host) == before


async def test_frames_over_16_and_64_kib(make: MakeClient) -> None:
    """A frame just over 16 KiB (text or binary) and one of 60 KiB get ``protocol/too_large``
    and the connection stays; a frame over 64 KiB closes the connection with 1009 (message too
    big). The room is untouched."""
    host, _, (p,) = await workshop(make, 1)
    before = await host_view(make, host)
    await refused(p, frame_with(16 * 1024 + 1), "protocol/too_large")
    await refused(p, frame_with(20 * 1024).encode(), "protocol/too_large")
    await refused(p, frame_with(60 * 1024, "decide"), "protocol/too_large")
    await p.ping()
    await p.send_raw(frame_with(70 * 1024))
    for _ in range(100):
        if p.closed:
            break
        await asyncio.sleep(0.03)
    assert p.closed
    assert p.ws is not None
    assert p.ws.close_code == 1009, p.ws.close_code
    assert await host_view(make, host) == before


async def test_flood_is_rate_limited_then_closed(make: MakeClient) -> None:
    """Forty pings at once: the first 29 (the burst of 30, less the hello) are answered, the
    rest get
    ``protocol/rate_limited``, and after a pause the connection works again. A flood of 260
    messages gets ``rate_limited`` answers and is closed with 1008 once over 200 in a row were
    refused."""
    client = await make("flooder")
    for _ in range(40):
        await client.send({"type": "ping"})
    await client.next(lambda m: len(client.messages) >= 41, timeout=5)
    replies = client.messages[1:]
    pongs = sum(1 for m in replies if m.get("type") == "pong")
    limited = sum(1 for m in replies if m.get("code") == "protocol/rate_limited")
    assert pongs + limited == 40, replies
    assert 29 <= pongs <= 32, (pongs, limited)
    assert limited >= 8, (pongs, limited)
    assert not client.closed
    await asyncio.sleep(0.5)
    client._taken.update(range(len(client.messages)))
    await client.ping()

    flood = await make("flood")
    for _ in range(260):
        await flood.send_raw('{"type":"ping"}')
    for _ in range(150):
        if flood.closed:
            break
        await asyncio.sleep(0.02)
    assert flood.closed
    assert flood.ws is not None
    assert flood.ws.close_code == 1008, flood.ws.close_code
    limited = sum(1 for m in flood.messages if m.get("code") == "protocol/rate_limited")
    assert limited > 200


async def test_every_error_echoes_the_client_msg_id(make: MakeClient) -> None:
    """An error answering a message that carried a valid ``client_msg_id`` carries it too (as
    in the protocol's example; the web client's outbox keeps an action until an answer with its
    id comes): a join before hello, a join with a wrong code, a join to a finished room, a
    decision outside a room."""
    host, code, _ = await workshop(make, 0)
    assert (await host.host("end"))["type"] == "ack"
    fresh = await make("fresh", hello=False, address="203.0.113.30")
    greeted = await make("greeted", address="203.0.113.30")
    cases: list[tuple[Client, Message, str]] = [
        (
            fresh,
            {"type": "join", "client_msg_id": "before-hello", "code": code},
            "protocol/hello_first",
        ),
        (
            greeted,
            {"type": "join", "client_msg_id": "wrong-code", "code": "000000"},
            "room/not_found",
        ),
        (greeted, {"type": "join", "client_msg_id": "finished", "code": code}, "room/wrong_state"),
        (
            greeted,
            {"type": "decide", "client_msg_id": "no-room", "round": 0, "decisions": {}},
            "protocol/not_in_room",
        ),
    ]
    missing = []
    for client, message, code_expected in cases:
        error = await refused(client, message, code_expected)
        if error.get("client_msg_id") != message["client_msg_id"]:
            missing.append((message["client_msg_id"], error["code"]))
    assert not missing, f"errors without the client_msg_id they answer: {missing}"


# --- Actions out of turn ------------------------------------------------------------------------


async def test_actions_out_of_turn_or_for_a_closed_round(make: MakeClient) -> None:
    """Room actions that do not fit the room's state get typed errors and change nothing:
    deciding or pausing in the lobby, starting twice, opening a round while one is open,
    deciding a future round, choices the rules refuse (``rule/invalid_choice``,
    ``rule/not_eligible``), deciding while paused, deciding a closed round, closing when no
    round is open, kicking an unknown player, quiz answers to unknown questions or options. The
    host's snapshot (seq, players, decided) is the same before and after each group."""
    host, _, (p, q) = await workshop(make, 2)
    assert p.status is not None
    defaults = p.status["defaults"]

    def decide(r: int, **changes: Any) -> Message:
        return {
            "type": "decide",
            "client_msg_id": secrets.token_hex(4),
            "round": r,
            "decisions": {**defaults, **changes},
        }

    def host_msg(action: str, **extra: Any) -> Message:
        return {"type": "host", "client_msg_id": secrets.token_hex(4), "action": action, **extra}

    before = await host_view(make, host)
    await refused(p, decide(0), "room/wrong_state")  # the lobby: no round yet
    for action in ("open_round", "pause", "resume", "close_round"):
        await refused(host, host_msg(action), "room/wrong_state")
    assert await host_view(make, host) == before

    assert (await host.host("start"))["type"] == "ack"
    for client in (host, p, q):
        await client.next(is_event("round_opened", round=0))
    before = await host_view(make, host)
    await refused(host, host_msg("start"), "room/wrong_state")
    await refused(host, host_msg("open_round"), "room/wrong_state")
    await refused(host, host_msg("resume"), "room/wrong_state")
    await refused(host, host_msg("kick", player_id="deadbeef"), "room/player_not_found")
    await refused(p, decide(1), "rule/round_closed")
    await refused(p, decide(0, saving_rate=60), "rule/invalid_choice")
    await refused(p, decide(0, job="no-such-job"), "rule/invalid_choice")
    await refused(p, decide(0, pension="employee", pension_base_pct=50), "rule/invalid_choice")
    await refused(p, decide(0, pension="none", personal_pension=1000), "rule/not_eligible")
    await refused(p, decide(0, residents_tier=99999, pension="residents"), "rule/invalid_choice")
    quiz_id = before["quiz_ids"][0]
    for question, answer in (("no-such-question", 0), (quiz_id, 10)):
        quiz = {
            "type": "quiz_answer",
            "client_msg_id": secrets.token_hex(4),
            "phase": "pre",
            "question_id": question,
            "answer": answer,
        }
        await refused(p, quiz, "protocol/invalid_message")
    assert await host_view(make, host) == before

    assert (await host.host("pause"))["type"] == "ack"
    await p.next(is_event("paused"))
    before = await host_view(make, host)
    await refused(p, decide(0), "room/wrong_state")
    await refused(host, host_msg("pause"), "room/wrong_state")
    assert await host_view(make, host) == before
    assert (await host.host("resume"))["type"] == "ack"

    for player in (p, q):
        assert (await player.decide(0))["type"] == "ack"
    await host.next(is_event("round_closed", round=0))
    await p.next(is_type("round_result"))
    before = await host_view(make, host)
    await refused(p, decide(0), "rule/round_closed")
    await refused(host, host_msg("close_round"), "room/wrong_state")
    await refused(host, host_msg("pause"), "room/wrong_state")
    assert await host_view(make, host) == before


# --- Tokens -------------------------------------------------------------------------------------


async def test_forged_and_other_rooms_tokens(make: MakeClient) -> None:
    """Forged tokens (a real player id or ``host`` with a wrong secret), another room's player
    and host tokens under this room's code, this room's token with another room's code, a
    token with non-ASCII digits, and a kicked player's token each get ``auth/bad_token`` (or
    ``room/kicked``); the connection stays usable and neither room changes."""
    host, code, (p, q) = await workshop(make, 2)
    other_host, other_code, (o,) = await workshop(make, 1)
    assert p.player_id is not None
    assert p.token is not None
    assert q.player_id is not None
    assert o.token is not None
    assert other_host.token is not None
    before = await host_view(make, host)
    other_before = await host_view(make, other_host)
    o_id, o_secret = o.token.split(".")[1:]
    host_secret = other_host.token.split(".")[2]
    tokens = [
        f"{code}.{p.player_id}.{secrets.token_urlsafe(16)}",
        f"{code}.host.{secrets.token_urlsafe(16)}",
        f"{code}.{o_id}.{o_secret}",
        f"{code}.host.{host_secret}",
        f"{other_code}.{p.token.split('.', 1)[1]}",
        f"{code}.{p.player_id}",
        f"{code}.{p.player_id}.{p.token.split('.')[2]}.x",
        "١٢٣٤٥٦.host." + secrets.token_urlsafe(16),
        f"{code}.{'../' * 5}.abc",
    ]
    stranger = await make("stranger", hello=False)
    for token in tokens:
        await stranger.send({"type": "hello", "protocol": 1, "token": token, "last_seq": 0})
        await stranger.next(is_type("welcome"))
        error = await stranger.next(is_type("error"))
        assert error["code"] == "auth/bad_token", (token, error)
        await asyncio.sleep(0.05)
    await stranger.ping()
    assert await host_view(make, host) == before
    assert await host_view(make, other_host) == other_before

    kick = await host.host("kick", player_id=q.player_id)
    assert kick["type"] == "ack", kick
    kicked = await q.next(is_type("error"))
    assert kicked["code"] == "room/kicked"
    for _ in range(100):
        if q.closed:
            break
        await asyncio.sleep(0.02)
    assert q.ws is not None
    assert q.ws.close_code == 4003
    assert q.token is not None
    again = await make("q-again", hello=False)
    await again.send({"type": "hello", "protocol": 1, "token": q.token})
    await again.next(is_type("welcome"))
    assert (await again.next(is_type("error")))["code"] == "room/kicked"


async def test_resume_with_a_last_seq_beyond_64_bits(make: MakeClient) -> None:
    """A player resuming with a huge ``last_seq`` (2**64, more than a Redis stream id holds)
    gets a snapshot or a typed error, never ``server/internal``; the connection stays."""
    _, _, (p,) = await workshop(make, 1)
    assert p.token is not None
    again = await make("again", hello=False)
    await again.send({"type": "hello", "protocol": 1, "token": p.token, "last_seq": 2**64})
    await again.next(is_type("welcome"))
    answer = await again.next(lambda m: m.get("type") in ("snapshot", "resumed", "error"))
    assert answer.get("code") != "server/internal", answer
    assert answer["type"] in ("snapshot", "error"), answer
    await again.ping()


async def test_resume_with_a_last_seq_from_the_future_still_gets_events(make: MakeClient) -> None:
    """A player resuming with a ``last_seq`` ahead of the room's (a stale client after Redis
    lost its last writes, or a confused one) is brought up to date with a snapshot and then
    receives the room's next events (a ``resumed`` with nothing missed would make it drop every
    event up to that number)."""
    host, _, (p,) = await workshop(make, 1)
    assert p.token is not None
    seq = p.last_seq
    again = await make("again", hello=False)
    await again.send({"type": "hello", "protocol": 1, "token": p.token, "last_seq": seq + 100})
    await again.next(is_type("welcome"))
    first = await again.next(lambda m: m.get("type") in ("snapshot", "resumed", "error"))
    assert (await host.host("start"))["type"] == "ack"
    opened = await host.next(is_event("round_opened", round=0))
    try:
        await again.next(is_event("round_opened", round=0), timeout=2)
    except AssertionError:
        raise AssertionError(
            f"after answering {first} to last_seq {seq + 100} (room at {seq}), the event "
            f"{opened['seq']} never reached the player"
        ) from None


# --- Join codes ---------------------------------------------------------------------------------


async def test_guessing_join_codes_is_limited_per_address(make: MakeClient) -> None:
    """From one address, 20 wrong room codes get ``room/not_found``; the 21st guess — and then
    even the right code — gets ``room/join_rate_limited``. Another address still joins (a
    venue behind one address is only limited for wrong codes). The room only gains that one
    player."""
    host, code, _ = await workshop(make, 0)
    guesser = await make("guesser", address="203.0.113.10")
    wrong = [f"{(int(code) + 1 + i) % 1_000_000:06d}" for i in range(21)]
    for i, guess in enumerate(wrong[:20]):
        await refused(
            guesser, {"type": "join", "client_msg_id": f"g{i}", "code": guess}, "room/not_found"
        )
    await refused(
        guesser,
        {"type": "join", "client_msg_id": "g20", "code": wrong[20]},
        "room/join_rate_limited",
    )
    await refused(
        guesser, {"type": "join", "client_msg_id": "g21", "code": code}, "room/join_rate_limited"
    )
    before = await host_view(make, host)
    assert before["players"] == []

    neighbour = await make("neighbour", address="203.0.113.11")
    await neighbour.join(code, "邻居")
    after = await host_view(make, host)
    assert [pl["nickname"] for pl in after["players"]] == ["邻居"]
    assert after["seq"] == before["seq"] + 1


async def test_join_guess_limit_is_not_reset_by_a_forged_forwarded_for(make: MakeClient) -> None:
    """Behind the deployment's nginx (``proxy_add_x_forwarded_for``: it appends the real
    address to whatever the client sent), a guesser who sends a new made-up
    ``X-Forwarded-For`` on every connection must still be limited by its real address (the
    last entry, added by the proxy): the 21st wrong code from 203.0.113.20 is refused
    whatever it claims before it."""
    _, code, _ = await workshop(make, 0)
    real = "203.0.113.20"
    answers: list[str] = []
    for i in range(21):
        guesser = await make(f"spoof{i}", address=f"198.51.100.{i + 1}, {real}")
        guess = f"{(int(code) + 1 + i) % 1_000_000:06d}"
        await guesser.send({"type": "join", "client_msg_id": "g", "code": guess})
        answers.append((await guesser.next(is_type("error")))["code"])
        await guesser.close()
    assert answers[:20] == ["room/not_found"] * 20
    assert answers[20] == "room/join_rate_limited", (
        "the wrong-code limit follows the first X-Forwarded-For entry, which the client "
        "chooses (uvicorn forwarded_allow_ips='*')"
    )


# --- Nicknames ----------------------------------------------------------------------------------


NICKNAMES: list[tuple[str, str | None]] = [
    ("<script>alert(1)</script>", "<script>alert(1)</script"),
    ('<img src=x onerror="x()">', '<img src=x onerror="x()"'),
    ("A\u202eB\u200bC\x00D\x07E\u2066F", "ABCDEF"),
    ("  lots   of  space  ", "lots of space"),
    ("x" * 200, "x" * 24),
    ("🐝" * 30, "🐝" * 24),
    ("e\u0301cole", "\u00e9cole"),
    ("\u202e\u200f\x00\u2028", None),
    ('=HYPERLINK("http://x")', '=HYPERLINK("http://x")'),
]
"""(as typed, as stored); ``None``: nothing is left, a friendly default is given."""


async def test_nicknames_are_cleaned_and_shown_as_text(make: MakeClient) -> None:
    """Nicknames with markup, control and format characters (right-to-left overrides,
    zero-width spaces, NUL, isolates, line separators), runs of white space, absurd lengths,
    emoji, decomposed accents, a formula: the ``joined`` answer, the ``player_joined`` event
    another player receives and the host's snapshot all show the same cleaned text (markup
    kept as typed, control characters gone, at most 24 characters, NFC), or a friendly default
    when nothing is left. A lone surrogate (not text) and over 200 characters are refused
    (``invalid_message``); nothing else joins."""
    host, code, (watcher,) = await workshop(make, 1)
    expected: dict[str, str] = {}
    for i, (typed, stored) in enumerate(NICKNAMES):
        player = await make(f"n{i}")
        joined, _ = await player.join(code, typed)
        if stored is None:
            assert FRIENDLY.match(joined["nickname"]), joined["nickname"]
        else:
            assert joined["nickname"] == stored, (typed, joined["nickname"])
        assert player.player_id is not None
        expected[player.player_id] = joined["nickname"]
        for client in (watcher, host):
            seen = await client.next(is_event("player_joined", player_id=player.player_id))
            assert seen["event"]["nickname"] == joined["nickname"]
        await player.close()

    lone = await make("lone")
    lone_surrogate = '{"type": "join", "client_msg_id": "l", "code": "%s", "nickname": "\\ud800ab"}'
    await refused(lone, lone_surrogate % code, "protocol/invalid_message")
    too_long = {"type": "join", "client_msg_id": "long", "code": code, "nickname": "y" * 201}
    await refused(lone, too_long, "protocol/invalid_message")

    snapshot = await host_view(make, host)
    shown = {pl["player_id"]: pl["nickname"] for pl in snapshot["players"]}
    del shown[watcher.player_id]
    assert shown == expected
    raw = json.dumps(snapshot, ensure_ascii=False)
    for hidden in ("\u202e", "\x00", "\u200b"):
        assert hidden not in raw


async def test_rejoining_on_the_same_socket_leaves_no_ghost_seat(make: MakeClient) -> None:
    """A connection that joins the room again (a second ``join`` on the same socket: a new
    seat) no longer plays its first seat: that seat is not counted as connected, so when every
    connected player has decided, the round closes (with the abandoned seat's defaults) instead
    of waiting for its deadline."""
    host, code, (p, q) = await workshop(make, 2)
    await p.join(code, "换座位")
    await host.next(is_event("player_joined", player_id=p.player_id))
    assert (await host.host("start"))["type"] == "ack"
    for client in (p, q):
        await client.next(is_event("round_opened", round=0))
    for client in (p, q):
        assert (await client.decide(0))["type"] == "ack"
    try:
        closed = await host.next(is_event("round_closed", round=0), timeout=3)
    except AssertionError:
        raise AssertionError(
            "everyone connected decided but the round stays open: the seat the connection "
            "left by joining again still counts as connected"
        ) from None
    assert closed["event"]["defaulted"] == 1


async def test_a_decision_may_reuse_a_quiz_answers_client_msg_id(make: MakeClient) -> None:
    """``client_msg_id`` makes a resent action idempotent, per action: a decision sent with the
    same id as an earlier quiz answer of the same player is a new action. It is acknowledged
    (round, decided, total) and counted — not answered with ``server/internal`` or taken for a
    resend of the quiz answer."""
    host, _, (p, _q) = await workshop(make, 2)
    assert (await host.host("start"))["type"] == "ack"
    await p.next(is_event("round_opened", round=0))
    snapshot = await host_view(make, host)
    quiz = {
        "type": "quiz_answer",
        "client_msg_id": "same-id",
        "phase": "pre",
        "question_id": snapshot["quiz_ids"][0],
        "answer": 0,
    }
    await p.send(quiz)
    assert (await p.next(lambda m: m.get("client_msg_id") == "same-id"))["type"] == "ack"
    assert p.status is not None
    decide = {
        "type": "decide",
        "client_msg_id": "same-id",
        "round": 0,
        "decisions": p.status["defaults"],
    }
    await p.send(decide)
    ack = await p.next(lambda m: m.get("type") in ("ack", "error"))
    assert ack["type"] == "ack", ack
    assert (ack["round"], ack["decided"]) == (0, 1), ack
    assert (await host_view(make, host))["decided"] == 1
