"""Faults over real processes: Redis restarting under a game, a phone that goes silent, a phone
too slow to read, and a server stopped (SIGTERM) in the middle of a round.

Servers are ``python -m game_server serve`` (``e2e_support.ServerProcess``) with a few settings
changed through the environment; the Redis restart test runs its own embedded Redis so it can
stop and start it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from e2e.e2e_faults_support import (
    RawClosed,
    RawWebSocket,
    assert_no_traceback,
    close_raw_sockets,
    launcher,
    traceback_headlines,
)
from e2e.e2e_support import Client, ClientError, Message, ServerProcess, clients, is_event, is_type
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from game_server.stores.embedded_redis import EmbeddedRedis

ROUNDS = 10

Launch = Callable[..., ServerProcess]
MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture(scope="module")
def launch(
    request: pytest.FixtureRequest, e2e_dir: Path, e2e_redis_url: str, e2e_database_url: str
) -> Iterator[Launch]:
    with launcher(request, e2e_dir, e2e_redis_url, e2e_database_url) as start:
        yield start


@pytest.fixture(autouse=True)
def _close_raw_sockets() -> Iterator[None]:
    yield
    close_raw_sockets()


@pytest.fixture
async def make() -> AsyncIterator[MakeClient]:
    """``await make(url, name, hello=True)``: a connected client, closed after the test."""
    async with clients() as make_client:
        yield make_client


async def workshop(
    make: MakeClient, url: str, players: int, round_seconds: int = 60
) -> tuple[Client, str, list[Client]]:
    """A workshop hosted at ``url`` with ``players`` joined players, not started."""
    host = await make(url, "host")
    created, _ = await host.create("workshop", round_seconds=round_seconds)
    code = created["code"]
    joined = []
    for i in range(players):
        player = await make(url, f"p{i + 1}")
        await player.join(code, f"玩家{i + 1}")
        await host.next(is_event("player_joined", player_id=player.player_id))
        joined.append(player)
    return host, code, joined


async def open_round(host: Client, players: list[Client], r: int) -> None:
    ack = await (host.host("start") if r == 0 else host.host("open_round"))
    assert ack["type"] == "ack", ack
    await host.next(is_event("round_opened", round=r))
    for player in players:
        await player.next(is_event("round_opened", round=r))


async def play_round(host: Client, players: list[Client], r: int) -> Message:
    """Open round ``r``, every player decides its defaults; returns the host's round_closed."""
    await open_round(host, players, r)
    for player in players:
        ack = await player.decide(r)
        assert ack["type"] == "ack", ack
    closed = await host.next(is_event("round_closed", round=r))
    for player in players:
        result = await player.next(is_type("round_result"))
        assert result["stage"]["round"] == r
    return closed


async def host_snapshot(make: MakeClient, url: str, host_token: str) -> Message:
    viewer = await make(url, "viewer")
    await viewer.hello(host_token)
    snapshot = await viewer.next(is_type("snapshot"))
    await viewer.close()
    return snapshot


async def until_closed(client: Client, timeout: float) -> None:
    """Wait (at most ``timeout``) until the server has closed the client's socket."""
    deadline = time.monotonic() + timeout
    while not client.closed and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


def marked(player: Client, saving_rate: int) -> dict[str, Any]:
    """The player's default decisions with a saving rate that identifies them in results."""
    assert player.status is not None
    return {**player.status["defaults"], "saving_rate": saving_rate}


def redis_kinds(url: str, code: str) -> list[str]:
    """The kinds of the room's events as its stream in Redis holds them."""
    with redis.Redis.from_url(url, decode_responses=True) as client:
        entries: Any = client.xrange(f"{{room:{code}}}:events")
    return [json.loads(fields["d"])["kind"] for _, fields in entries]


# --- 1. Redis restarts during a game ------------------------------------------------------------


async def test_redis_restart_mid_round_game_goes_on(
    launch: Launch, make: MakeClient, e2e_dir: Path
) -> None:
    """Redis (append-only file, fsync always) is stopped for two seconds and started again on
    the same port and data directory while round 1 of a workshop is open and two of three
    players have decided. Nothing is lost and nothing needs a reconnect: the pending decisions
    are still there (a fresh host snapshot counts 2 decided), the clients' sockets stay open and
    keep working (ping), the third decision is acked, the round closes with the marked decisions
    (the server's Redis client reconnected and its room bus still delivers events), the next
    rounds open and the game finishes with every player's life_over. The only tracebacks in the
    server's log are the background loops' warnings while Redis was down."""
    embedded = EmbeddedRedis(e2e_dir / "redis-restart", fsync="always")
    url = embedded.start()
    try:
        server = launch("r", redis=url)
        host, code, players = await workshop(make, server.ws_url, 3)
        assert host.token is not None
        await play_round(host, players, 0)
        await open_round(host, players, 1)
        rates = {players[0].name: 17, players[1].name: 29}
        for player in players[:2]:
            ack = await player.decide(1, marked(player, rates[player.name]))
            assert ack["type"] == "ack", ack
        assert (ack["decided"], ack["total"]) == (2, 3)

        embedded.stop()
        await asyncio.sleep(2.0)
        embedded.start()

        for client in (host, *players):
            assert not client.closed, f"{client.name} lost its socket"
            await client.ping()
        snapshot = await host_snapshot(make, server.ws_url, host.token)
        assert (snapshot["round"], snapshot["round_state"], snapshot["decided"]) == (1, "open", 2)

        ack = await players[2].decide(1, marked(players[2], 41))
        assert ack["type"] == "ack", ack
        assert (ack["decided"], ack["total"]) == (3, 3)
        rates[players[2].name] = 41
        try:
            closed = await host.next(is_event("round_closed", round=1))
        except ClientError:
            stored = redis_kinds(url, code)
            raise AssertionError(
                f"round_closed never reached the host after the Redis restart; the room's stream "
                f"in Redis holds {stored[-3:]}: the round closed, this instance's room bus "
                f"delivers nothing any more"
                if "round_closed" in stored[-2:]
                else f"the round did not close after the restart (stream: {stored[-3:]})"
            ) from None
        assert closed["event"]["defaulted"] == 0
        for player in players:
            result = await player.next(is_type("round_result"))
            assert result["stage"]["round"] == 1
            assert result["stage"]["decisions"]["saving_rate"] == rates[player.name]

        for r in range(2, ROUNDS):
            await play_round(host, players, r)
        await host.next(is_event("game_over"))
        for player in players:
            over = await player.next(is_type("life_over"))
            assert 0 <= over["life_over"]["summary"]["score"] <= 1000
        # While Redis was down the background loops reported their failures (warnings); no
        # client message failed (``handling a message``) and nothing else went wrong.
        expected = {
            "deadline poll failed",
            "presence update failed",
            "background task failed",
            "results outbox: cannot read gig:outbox",
        }
        assert set(traceback_headlines(server)) <= expected, server.log_tail(200)
    finally:
        embedded.stop()


# --- 2. A phone that goes silent ----------------------------------------------------------------

PING_SECONDS = 2.0
"""The WebSocket ping interval (and timeout) of the ``ping`` server (``WS_PING_SECONDS``): short
for the test, long enough that the test's own busy clients answer in time."""


GRACE = 1
"""The reconnect grace of the quick-ping server: how long a dropped seat is still waited for."""


@pytest.fixture(scope="module")
def quick_ping_server(launch: Launch) -> ServerProcess:
    return launch("ping", WS_PING_SECONDS=str(PING_SECONDS), RECONNECT_GRACE_SECONDS=str(GRACE))


async def raw_join(server: ServerProcess, code: str, nickname: str) -> tuple[RawWebSocket, Message]:
    """A bare-socket player that says hello and joins ``code``; returns it and its snapshot
    (the ``joined`` reply is kept in ``snapshot["_joined"]``)."""
    raw = await RawWebSocket.open(server.port)
    await raw.send({"type": "hello", "protocol": 1})
    await raw.until(is_type("welcome"))
    await raw.send({"type": "join", "client_msg_id": "j", "code": code, "nickname": nickname})
    joined = await raw.until(lambda m: m.get("client_msg_id") == "j")
    assert joined["type"] == "joined", joined
    snapshot = await raw.until(is_type("snapshot"))
    snapshot["_joined"] = joined
    return raw, snapshot


async def test_silent_client_is_dropped_resumes_and_its_seat_plays_on(
    quick_ping_server: ServerProcess, make: MakeClient
) -> None:
    """A phone that stops answering (a bare socket that no longer reads or answers pings) is
    dropped by the server after the ping grace period (``WS_PING_SECONDS`` = 2: ping, then 2 s
    to answer), not before: until then it counts as connected and the round waits for it; once
    dropped and its reconnect grace over, the other player's decision closes the round with the
    silent seat's defaults. The
    phone resumes with its token (same seat, the closed round played with its defaults), leaves
    again, and its seat plays the defaults to the end of the game; its result counts: it is on
    the podium and in the room's leaderboard (SQL)."""
    server = quick_ping_server
    host, code, (a,) = await workshop(make, server.ws_url, 1)
    silent, snapshot = await raw_join(server, code, "沉默者")
    joined = snapshot["_joined"]
    token, silent_id = joined["player_token"], joined["player_id"]
    defaults = snapshot["status"]["defaults"]
    await host.next(is_event("player_joined", player_id=silent_id))
    await open_round(host, [a], 0)
    await silent.until(is_event("round_opened", round=0))

    went_silent = time.monotonic()  # from here on the bare socket answers nothing
    ack = await a.decide(0)
    assert (ack["decided"], ack["total"]) == (1, 2)
    await host.quiet(is_event("round_closed"), 0.5)  # the silent phone is still waited for

    code_seen = await silent.wait_closed(timeout=4 * PING_SECONDS + 3)
    dropped_after = time.monotonic() - went_silent
    silent.close()
    assert code_seen in (1011, None), code_seen  # keepalive ping timeout
    assert dropped_after >= PING_SECONDS * 0.7, dropped_after  # not before the grace period
    assert silent.pings >= 1

    ack = await a.decide(0)  # within the grace the dropped seat is still waited for
    assert not ack["all_decided"], ack
    await asyncio.sleep(GRACE + 0.3)
    ack = await a.decide(0)  # deciding again runs the "everyone connected decided" check
    assert ack["type"] == "ack", ack
    closed = await host.next(is_event("round_closed", round=0))
    assert (closed["event"]["players"], closed["event"]["defaulted"]) == (2, 1)
    await a.next(is_type("round_result"))

    back = await make(server.ws_url, "silent-back", hello=False)
    back.token = token
    await back.hello(token)
    resumed = await back.next(is_type("snapshot"))
    assert resumed["player_id"] == silent_id
    assert (resumed["round"], resumed["round_state"]) == (0, "closed")
    assert resumed["last_stage"]["round"] == 0
    assert resumed["last_stage"]["decisions"] == defaults
    await back.close()
    await asyncio.sleep(GRACE + 0.3)  # the server sees it go, and its grace runs out

    for r in range(1, ROUNDS):
        await open_round(host, [a], r)
        ack = await a.decide(r)
        assert ack["type"] == "ack", ack
        closed = await host.next(is_event("round_closed", round=r))
        assert (closed["event"]["players"], closed["event"]["defaulted"]) == (2, 1)
        await a.next(is_type("round_result"))
    over = await host.next(is_event("game_over"))
    assert silent_id in {p["player_id"] for p in over["event"]["podium"]}
    await a.next(is_type("life_over"))

    board: list[Message] = []
    for _ in range(50):
        board = server.get(f"/api/rooms/{code}/leaderboard").json()
        if len(board) == 2:
            break
        await asyncio.sleep(0.1)
    assert sorted(row["nickname"] for row in board) == sorted(["玩家1", "沉默者"]), board
    assert_no_traceback(server)


# --- 3. A phone too slow to read ----------------------------------------------------------------


class Reader:
    """A plain WebSocket connection that reads everything at once and notes when each message
    came (``(monotonic time, message)``)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.received: list[tuple[float, Message]] = []
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str) -> Reader:
        ws = await connect(url, open_timeout=5, close_timeout=2, max_size=2**22)
        return cls(ws)

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                self.received.append((time.monotonic(), json.loads(raw)))

    async def send(self, message: Message) -> None:
        await self.ws.send(json.dumps(message, ensure_ascii=False))

    async def wait_for(self, pred: Callable[[Message], bool], timeout: float = 5.0) -> Message:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for _, message in self.received[seen:]:
                if pred(message):
                    return message
            seen = len(self.received)
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; last: {[m for _, m in self.received[-5:]]}")
            await asyncio.sleep(0.02)

    def events(self) -> list[tuple[float, Message]]:
        return [(t, m) for t, m in self.received if m.get("type") == "event"]

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 3)
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task


@pytest.fixture
async def open_reader(
    patient_server: ServerProcess,
) -> AsyncIterator[Callable[[], Awaitable[Reader]]]:
    """``await open_reader()``: a Reader on the patient server, closed after the test."""
    made: list[Reader] = []

    async def make_reader() -> Reader:
        reader = await Reader.open(patient_server.ws_url)
        made.append(reader)
        return reader

    try:
        yield make_reader
    finally:
        await asyncio.gather(*(r.close() for r in made))


@pytest.fixture(scope="module")
def patient_server(launch: Launch) -> ServerProcess:
    """A server that pings rarely, so a phone that does not read is not dropped for its
    silence during the test (only for its full queue), and tells every player of every join
    (so the joins fill the slow phone's queue)."""
    return launch("slow", WS_PING_SECONDS="120", JOIN_FANOUT_MAX_SEATS="5000")


OpenReader = Callable[[], Awaitable["Reader"]]
JOINERS = 20
JOINS_EACH = 60
BEES = "🐝" * 20
"""Nicknames as long as they may be (24 characters), in 4-byte characters: big events."""


async def test_slow_client_does_not_hold_up_the_others(
    patient_server: ServerProcess, make: MakeClient, open_reader: OpenReader
) -> None:
    """One player stops reading (its phone resumes on a bare socket with a tiny receive
    window, then reads nothing) in a room where 1,200 players join in about four seconds from
    20 other connections. The two fast players and every joiner keep receiving each event
    promptly: each ``player_joined`` reaches the fast players within 2 s of the joiner's own
    ``joined`` answer, all in order with no gap. The slow player's buffers fill, its bounded
    queue (256) overflows and the server closes it with 4008: when it reads again it finds the
    events from where it was, in order and without a gap, then the close; it resumes with its
    token and the last seq it saw and has lost nothing (the missed events, or a snapshot at
    the room's current seq)."""
    server = patient_server
    _, code, _ = await workshop(make, server.ws_url, 0)
    fast = [await open_reader() for _ in range(2)]
    for i, reader in enumerate(fast):
        await reader.send({"type": "hello", "protocol": 1})
        await reader.send(
            {"type": "join", "client_msg_id": "j", "code": code, "nickname": f"快{i}"}
        )
        await reader.wait_for(is_type("snapshot"))
    slow, snapshot = await raw_join(server, code, "慢吞吞")
    slow_token = snapshot["_joined"]["player_token"]
    first_seq = snapshot["seq"]
    slow.close()
    slow = await RawWebSocket.open(server.port, rcvbuf=2048, maxseg=536)
    await slow.send({"type": "hello", "protocol": 1, "token": slow_token, "last_seq": first_seq})
    await slow.until(is_type("welcome"))
    await slow.until(is_type("resumed"))
    # From here on the slow phone reads nothing.

    joiners = [await open_reader() for _ in range(JOINERS)]
    started = time.monotonic()

    async def join_many(reader: Reader, index: int) -> None:
        await reader.send({"type": "hello", "protocol": 1})
        for k in range(JOINS_EACH):
            if k >= 25:
                await asyncio.sleep(0.105)  # under the per-connection rate
            await reader.send(
                {
                    "type": "join",
                    "client_msg_id": f"j{k}",
                    "code": code,
                    "nickname": f"{BEES}{index:02d}{k:02d}",
                }
            )

    await asyncio.gather(*(join_many(r, i) for i, r in enumerate(joiners)))
    total = JOINERS * JOINS_EACH
    joined_at: dict[str, float] = {}
    for reader in joiners:
        await reader.wait_for(lambda m: m.get("client_msg_id") == f"j{JOINS_EACH - 1}", 20)
        for t, m in reader.received:
            if m.get("type") == "joined":
                joined_at[m["player_id"]] = t
            assert m.get("type") != "error", m
    assert len(joined_at) == total
    last_seq = first_seq + total
    for reader in fast:
        await reader.wait_for(lambda m: m.get("seq") == last_seq, 10)
    elapsed = time.monotonic() - started

    worst = 0.0
    for reader in fast:
        events = [(t, m) for t, m in reader.events() if m["seq"] > first_seq]
        assert [m["seq"] for _, m in events] == list(range(first_seq + 1, last_seq + 1))
        for t, m in events:
            worst = max(worst, t - joined_at[m["event"]["player_id"]])
    print(f"{total} joins in {elapsed:.1f} s; worst delay to a fast player {worst:.3f} s")
    assert worst < 2.0  # typically 0.01-0.1 s; 2 s leaves room for a loaded machine

    # The slow phone reads again: events in order from where it was, then the close (4008).
    got: list[int] = []
    close_code = None
    try:
        while True:
            message = await slow.receive(timeout=3)
            if message.get("type") == "event":
                got.append(message["seq"])
    except RawClosed as closed:
        close_code = closed.code
    except TimeoutError:
        pass
    slow.close()
    print(f"slow phone got {len(got)} events before its close {close_code}")
    assert close_code == 4008
    assert len(got) < total
    received = set(got)
    gaps = [seq for seq in range(first_seq + 1, got[-1]) if seq not in received]
    assert not gaps, f"events never sent to the slow phone before its close: {gaps}"

    again = await make(server.ws_url, "slow-again", hello=False)
    again.token = slow_token
    answer = await again.reconnect(last_seq=got[-1] if got else first_seq)
    assert answer["type"] in ("resumed", "snapshot"), answer
    if answer["type"] == "snapshot":
        assert answer["seq"] == last_seq
    else:
        assert answer["missed"] == last_seq - answer["seq"]
        await again.next(lambda m: m.get("seq") == last_seq)
    assert_no_traceback(server)


async def test_resume_after_many_missed_events_is_not_closed(
    patient_server: ServerProcess, make: MakeClient, open_reader: OpenReader
) -> None:
    """A phone that slept while 300 players joined resumes with its token and an old last_seq:
    it gets ``resumed`` and every missed event in order (or a snapshot), and its connection
    stays open (it is not closed as too slow for the events it asked for)."""
    server = patient_server
    host, code, (p,) = await workshop(make, server.ws_url, 1)
    assert p.token is not None
    await p.close()
    seen = p.last_seq
    joiners = [await open_reader() for _ in range(10)]
    for i, reader in enumerate(joiners):
        await reader.send({"type": "hello", "protocol": 1})
        for k in range(30):
            await reader.send(
                {"type": "join", "client_msg_id": f"j{k}", "code": code, "nickname": f"睡{i}-{k}"}
            )
    for reader in joiners:
        await reader.wait_for(lambda m: m.get("client_msg_id") == "j29", 10)
    last = seen + 300
    await host.next(lambda m: m.get("seq") == last, 10)

    again = await make(server.ws_url, "p1-again", hello=False)
    await again.send({"type": "hello", "protocol": 1, "token": p.token, "last_seq": seen})
    with contextlib.suppress(ClientError):
        await again.next(lambda m: m.get("seq") == last and m.get("type") != "ack", 10)
    kinds = [m.get("type") for m in again.messages]
    replayed = [seq for seq, _ in again.events()]
    assert again.ws is not None
    assert not again.closed, (
        f"closed with {again.ws.close_code} after {len(replayed)} of 300 missed events "
        f"(seq {replayed[:1]}..{replayed[-1:]}); first messages {kinds[:3]}"
    )
    assert kinds[1] in ("resumed", "snapshot"), kinds[:3]
    if kinds[1] == "resumed":
        assert replayed == list(range(seen + 1, last + 1))
    await again.ping()


def open_connections(server: ServerProcess) -> int:
    """The server's count of open WebSocket connections (``/metrics``)."""
    for line in server.get("/metrics").text.splitlines():
        if line.startswith("gig_ws_connections "):
            return int(float(line.split()[1]))
    raise AssertionError("no gig_ws_connections in /metrics")


async def test_phone_that_never_reads_again_is_dropped(
    quick_ping_server: ServerProcess, make: MakeClient
) -> None:
    """A phone that stops reading for good while events keep coming (its socket stays open
    with a zero window, as a frozen app's would) is dropped by the server within a few ping
    periods (``WS_PING_SECONDS`` = 2): it answers no ping and its send buffers are full, so no
    close frame can reach it, yet the server lets go of it (its count of open connections goes
    back down) instead of waiting forever for the buffers to drain."""
    server = quick_ping_server
    _, code, _ = await workshop(make, server.ws_url, 0)
    stuck, snapshot = await raw_join(server, code, "卡住了")
    token, seq = snapshot["_joined"]["player_token"], snapshot["seq"]
    stuck.close()
    await asyncio.sleep(0.2)
    baseline = open_connections(server)
    stuck = await RawWebSocket.open(server.port, rcvbuf=2048, maxseg=536)
    await stuck.send({"type": "hello", "protocol": 1, "token": token, "last_seq": seq})
    await stuck.until(is_type("resumed"))
    # From here on it reads nothing: 435 joins fill its buffers.
    async with clients() as make_joiner:
        joiners = [await make_joiner(server.ws_url, f"j{i}") for i in range(15)]
        for i, joiner in enumerate(joiners):
            for k in range(29):
                name = f"{BEES}{i:02d}{k:02d}"
                await joiner.send(
                    {"type": "join", "client_msg_id": f"j{k}", "code": code, "nickname": name}
                )
        for joiner in joiners:
            await joiner.next(lambda m: m.get("client_msg_id") == "j28", 10)
    left = None
    deadline = time.monotonic() + 4 * PING_SECONDS + 3
    while time.monotonic() < deadline:
        left = open_connections(server)
        if left <= baseline:
            break
        await asyncio.sleep(0.2)
    assert left is not None
    assert left <= baseline, (
        f"{left - baseline} connection(s) still open {4 * PING_SECONDS + 3:g} s after the "
        "phone stopped reading: a socket whose send buffer never drains is never dropped"
    )


# --- 4. SIGTERM during a round ------------------------------------------------------------------


async def test_sigterm_loses_no_acknowledged_decision(
    launch: Launch, patient_server: ServerProcess, make: MakeClient
) -> None:
    """Instance ``term`` gets SIGTERM in the middle of round 0 of a room hosted on the other
    instance: three of its four players have their decisions acknowledged, the fourth's decision
    is on the wire. The instance shuts down gracefully (its sockets close with 1012, no
    traceback). The players resume on the other instance with their tokens; the fourth resends
    its decision with the same client_msg_id (acked once, whether or not the first copy was
    stored), and the round closes with all four marked decisions (no defaults): nothing
    acknowledged is lost."""
    doomed, survivor = launch("term"), patient_server
    host = await make(survivor.ws_url, "host")
    created, _ = await host.create("workshop", round_seconds=60)
    code = created["code"]
    players = []
    for i in range(4):
        player = await make(doomed.ws_url, f"t{i + 1}")
        await player.join(code, f"终{i + 1}")
        await host.next(is_event("player_joined", player_id=player.player_id))
        players.append(player)
    await open_round(host, players, 0)
    rates = {p.name: rate for p, rate in zip(players, (13, 26, 39, 48), strict=True)}
    for player in players[:3]:
        ack = await player.decide(0, marked(player, rates[player.name]))
        assert ack["type"] == "ack", ack
    last = players[3]
    in_flight = {
        "type": "decide",
        "client_msg_id": "last-word",
        "round": 0,
        "decisions": marked(last, rates[last.name]),
    }
    await last.send(in_flight)
    assert doomed.process is not None
    doomed.process.send_signal(signal.SIGTERM)
    doomed.process.wait(timeout=15)
    doomed.stop()  # forget the ended process

    for player in players:
        await until_closed(player, 5)
        assert player.closed, f"{player.name} still connected to a stopped server"
        assert player.ws is not None
        assert player.ws.close_code in (1012, 1006), player.ws.close_code
    assert_no_traceback(doomed)

    resumed: dict[str, Message] = {}
    for player in players:
        answer = resumed[player.name] = await player.reconnect(survivor.ws_url)
        assert answer["type"] == "snapshot", answer
        assert answer["player_id"] == player.player_id
        if answer["round_state"] == "open" and answer["pending"] is not None:
            assert answer["pending"]["saving_rate"] == rates[player.name], (player.name, answer)
        elif answer["round_state"] == "open":
            assert player is last, f"{player.name}'s acknowledged decision is gone: {answer}"
    # The last decision is resent with its id (as a client does for an action not answered on
    # the old socket): acked, and counted once whether or not the first copy was stored.
    await last.send(in_flight)
    ack = await last.next(lambda m: m.get("client_msg_id") == "last-word")
    assert ack["type"] == "ack", ack
    assert (ack["round"], ack["decided"], ack["total"]) == (0, 4, 4)

    # The round closes (while the instance was stopping, or now on the other) with all four.
    closed = await host.next(is_event("round_closed", round=0))
    assert closed["event"]["defaulted"] == 0
    for player in players:
        if resumed[player.name]["round_state"] == "closed":
            stage = resumed[player.name]["last_stage"]
        else:
            stage = (await player.next(is_type("round_result")))["stage"]
        assert stage["round"] == 0
        assert stage["decisions"]["saving_rate"] == rates[player.name]
