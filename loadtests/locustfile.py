"""Locust load test for Gig Life (零工人生): solo lives and workshop rooms over WebSocket ``/ws``.

Run it through ``python -m loadtests.run`` (``make loadtest``), which starts a server, runs
Locust headless and prints a summary; or by hand against a running server::

    python -m locust -f loadtests/locustfile.py --headless -u 200 -r 20 -t 60s \
        --host http://127.0.0.1:8000

Users (the mix, by Locust weights; see SOLO_SHARE and ROOM_SIZE):

- ``SoloPlayer``: connects, creates a solo room, plays the whole life (a decision about every
  LOAD_THINK seconds, the three quiz questions before and after), then starts another life on a
  new connection, as the web client's "play again" does (SOLO_REUSE=1: on the same connection).
- ``WorkshopHost``: creates a workshop room, puts it in this process's registry of open rooms,
  starts the game when ROOM_SIZE players joined (or when nobody joined for LOBBY_QUIET seconds,
  or after LOBBY_WAIT), opens each next round HOST_PAUSE seconds after a round closed, and after
  ``game_over`` creates the next room.
- ``WorkshopPlayer``: takes a seat in an open room from the registry, joins, decides after about
  LOAD_THINK seconds each round, and after its life is over looks for another room.

Settings (environment variables):

=============  ==============  ===============================================================
LOAD_THINK     3               mean seconds a player thinks before a decision (each think is
                               uniform in 0.5-1.5 times this)
SOLO_SHARE     0.5             share of the users playing solo (0: only workshops, 1: only solo)
ROOM_SIZE      10              players a workshop host waits for
LOBBY_WAIT     20              most seconds a host waits for its room to fill before it starts
                               with whoever joined
LOBBY_QUIET    5               a host also starts once nobody joined for this long
ROUND_SECONDS  30              a workshop round's deadline (the server closes the round then)
HOST_PAUSE     1               seconds the host shows a round's results before opening the next
SCENARIO       hangzhou-rider  the scenario every room plays
LOAD_QUIZ      1               answer the quiz before and after each life (0: skip it)
ACK_TIMEOUT    10              seconds an action may wait for its answer before it is a failure
WS_PATH        /ws             the WebSocket path on the host
SOLO_REUSE     0               1: a solo player's next life on the same connection (a second
                               ``create_room``), which the protocol allows; 0: a new connection
LOAD_HOSTS     (none)          comma-separated base URLs of several instances (``http://H:P``):
                               each user takes the next one, round-robin (no load balancer);
                               empty: ``--host``
LOAD_ROUTE     user            with ``LOAD_HOSTS``: ``room``, a workshop player connects to the
                               instance its room's code hashes to, with ``?room=CODE`` in the URL
                               (as a load balancer routing by room would); ``user``: each user to
                               its own instance of the round-robin
=============  ==============  ===============================================================

What is reported (request type ``WS``; times in ms from the send to the answer's arrival):

- ``connect``: TCP + WebSocket handshake + ``hello`` -> ``welcome``;
- ``solo: create_room``, ``workshop: create_room``, ``workshop: join``;
- ``solo: decide→ack``, ``workshop: decide→ack``: a decision to its ``ack`` (the last decision of
  a round also closes the round before the ack is sent);
- ``solo: decide→result``: a solo decision to the player's ``round_result``;
- ``host: start→ack``, ``host: open_round→ack``, ``quiz→ack``;
- ``broadcast: round start``: the host's ``start``/``open_round`` send to each player's receipt
  of ``round_opened`` (all users live in this one process, so both ends read the same clock);
- failures only: ``connection`` (an open socket failed or the server closed it; a failed
  ``connect`` is reported as such), ``error: CODE`` (an error answering no pending request),
  ``solo: life stalled`` / ``workshop: life stalled`` / ``workshop: game stalled`` (a life or a
  host's game ran out of its time budget, or heard nothing for too long), ``client error`` (a
  bug here, with a traceback in Locust's log). An action without an answer within ACK_TIMEOUT
  fails under its own name, as does one whose connection closed before the answer.

Every user's loops are bounded in time; a user whose socket fails reports it and starts afresh.
The whole test must run in ONE Locust process (no ``--processes``/workers): hosts and players
meet through a registry in this module.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import random
import signal
import socket
import time
import urllib.parse
import zlib
from collections import deque
from typing import Any

import gevent
import gevent.util
import orjson
import websocket
from gevent.lock import Semaphore
from gevent.queue import Empty, Queue
from locust import User, constant, events, task

from game_server.protocol.client import ClientState, hello_message
from loadtests.frames import FrameReader

log = logging.getLogger("gig-life-load")


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


THINK = max(0.0, _env_float("LOAD_THINK", 3.0))
SOLO_SHARE = min(1.0, max(0.0, _env_float("SOLO_SHARE", 0.5)))
ROOM_SIZE = max(1, int(_env_float("ROOM_SIZE", 10)))
LOBBY_WAIT = max(1.0, _env_float("LOBBY_WAIT", 20.0))
LOBBY_QUIET = max(0.5, _env_float("LOBBY_QUIET", 5.0))
ROUND_SECONDS = min(3600, max(10, int(_env_float("ROUND_SECONDS", 30))))
HOST_PAUSE = max(0.0, _env_float("HOST_PAUSE", 1.0))
SCENARIO = os.environ.get("SCENARIO", "").strip() or "hangzhou-rider"
QUIZ = os.environ.get("LOAD_QUIZ", "1").strip() not in ("0", "false", "no", "")
ACK_TIMEOUT = max(1.0, _env_float("ACK_TIMEOUT", 10.0))
WS_PATH = os.environ.get("WS_PATH", "").strip() or "/ws"
SOLO_REUSE = os.environ.get("SOLO_REUSE", "0").strip() not in ("0", "false", "no", "")
HOSTS = [h.strip() for h in os.environ.get("LOAD_HOSTS", "").split(",") if h.strip()]
_next_host = itertools.count()
ROUTE_BY_ROOM = os.environ.get("LOAD_ROUTE", "user").strip() == "room"

CONNECT_TIMEOUT = 10.0
EXPECTED_ROUNDS = 10
"""Used for time budgets before the server said how many rounds a life has."""

# --- Weights: SOLO_SHARE of the users play solo, the rest are hosts and players 1 : ROOM_SIZE ---

_WORKSHOP_WEIGHT = ROOM_SIZE + 1
if SOLO_SHARE >= 1.0:
    _SOLO_WEIGHT = 1
elif SOLO_SHARE <= 0.0:
    _SOLO_WEIGHT = 0
else:
    _SOLO_WEIGHT = max(1, round(_WORKSHOP_WEIGHT * SOLO_SHARE / (1.0 - SOLO_SHARE)))


def now() -> float:
    return time.perf_counter()


# --- What users of this process share -----------------------------------------------------------


class RoomRegistry:
    """Workshop rooms in their lobby, by code, with the seats players have claimed."""

    def __init__(self) -> None:
        self._lock = Semaphore()
        self._rooms: dict[str, list[int]] = {}  # code -> [seats, claimed]

    def open(self, code: str, seats: int) -> None:
        with self._lock:
            self._rooms[code] = [seats, 0]

    def close(self, code: str) -> None:
        with self._lock:
            self._rooms.pop(code, None)

    def claim(self) -> str | None:
        """A seat in the oldest room that still has one (rooms fill one after the other)."""
        with self._lock:
            for code, seats in self._rooms.items():
                if seats[1] < seats[0]:
                    seats[1] += 1
                    return code
        return None

    def release(self, code: str) -> None:
        with self._lock:
            seats = self._rooms.get(code)
            if seats is not None and seats[1] > 0:
                seats[1] -= 1


ROOMS = RoomRegistry()
ROUND_SENT: dict[tuple[str, int], float] = {}
"""(room code, round) -> when the host sent the action that opens it (perf_counter)."""
COUNTS: dict[str, int] = {
    "solo_lives": 0,
    "workshop_games": 0,
    "workshop_lives": 0,
    "decisions": 0,
    "reconnects": 0,
}


ROUND_REACH: dict[tuple[str, int], list[float]] = {}
"""(room code, round) -> [players that received its round_opened, the latest receipt in ms after
the host's send]: how long a round start takes to reach the last player of its room."""


def _reached(code: str, round_index: int, delay_ms: float) -> None:
    entry = ROUND_REACH.setdefault((code, round_index), [0, 0.0])
    entry[0] += 1
    entry[1] = max(entry[1], delay_ms)


def _report_counts(**_: Any) -> None:
    # loadtests/run.py reads this line from Locust's log (and loadtests/bench.py both).
    log.info("GIGLIFE-COUNTS %s", json.dumps(COUNTS, sort_keys=True))
    reach = [[code, r, n, round(ms, 1)] for (code, r), (n, ms) in ROUND_REACH.items()]
    log.info("GIGLIFE-ROUNDS %s", json.dumps(reach))


events.test_stop.add_listener(_report_counts)


def _log_greenlets() -> None:
    """Every greenlet's stack in the log: the benchmark sends SIGUSR1 to a Locust process that
    overran its run time, before it stops it, so the log shows what it was stuck on."""
    log.warning("GIGLIFE-STACKS\n%s", "\n".join(gevent.util.format_run_info()))


gevent.signal_handler(signal.SIGUSR1, _log_greenlets)


# --- One WebSocket connection -------------------------------------------------------------------


class SessionClosed(Exception):
    """The connection failed or the server closed it (``reported``: already sent to Locust)."""

    def __init__(self, why: str, reported: bool = False) -> None:
        super().__init__(why)
        self.reported = reported


class ServerError(Exception):
    """An ``error`` message from the server."""


class Session:
    """A WebSocket connection with a reader greenlet that stamps each message on arrival.

    ``request`` sends an action and remembers when; the reader reports the answer (an ``ack``, a
    reply, or an ``error``) to Locust as soon as it arrives, so a user's think time never
    inflates a measured latency. Every message also goes to an inbox for the user's logic.
    """

    def __init__(self, user: GigUser) -> None:
        self.user = user
        self.url = _ws_url(user.host or "http://127.0.0.1:8000")
        self.ws: websocket.WebSocket | None = None
        self.reader: gevent.Greenlet | None = None
        self.inbox: Queue[tuple[float, dict[str, Any] | None, Any]] = Queue()
        self.backlog: deque[tuple[float, dict[str, Any]]] = deque()
        self.pending: dict[str, tuple[str, float, bool]] = {}
        """client_msg_id -> (request name, sent at, exclusive)."""
        self.closed = True
        self.state = ClientState(prefix=f"{random.getrandbits(32):08x}")
        """The protocol state of the seat this session plays (``game_server/protocol/client.py``):
        a user gives it a fresh one for each room it enters (:meth:`GigUser.new_state`)."""
        self.skip_joins = False
        """Drop ``player_joined`` events unread: a player has no use for them, and in a room of
        thousands they are most of what it receives (every join goes to everyone)."""

    # --- life cycle ---------------------------------------------------------------------------

    def open(self) -> None:
        self.close()
        self.inbox = Queue()
        self.backlog.clear()
        started = now()
        try:
            # No UTF-8 check of every frame: websocket-client does it in Python, and it was 43 %
            # of a Locust process's CPU in the mix (py-spy), CPU the server under test then
            # lacked on this shared box (a phone's browser checks in C, at no visible cost).
            # A text frame that is not UTF-8 still fails: recv() decodes it (in C).
            ws = websocket.create_connection(
                self.url,
                timeout=CONNECT_TIMEOUT,
                enable_multithread=True,
                skip_utf8_validation=True,
                socket=_literal_socket(self.url),
            )
            ws.send(json.dumps(hello_message()))
            raw = ws.recv()
            reply = json.loads(raw) if raw else {}
            if reply.get("type") != "welcome":
                ws.shutdown()  # type: ignore[no-untyped-call]  # not close(): see Session.close
                raise ValueError(f"no welcome: {str(raw)[:200]}")
            ws.settimeout(60.0)  # the server pings every 20 s; a minute of silence is dead
        except (OSError, websocket.WebSocketException, ValueError) as exc:
            self.user.report("connect", started, exception=exc)
            raise SessionClosed(f"connect: {exc!r}", reported=True) from exc
        self.user.report("connect", started, len(raw))
        self.ws = ws
        self.closed = False
        self.reader = gevent.spawn(self._read, ws, self.inbox)

    def close(self, quietly: bool = True, handshake: bool = True) -> None:
        """Close the connection; pending actions fail unless ``quietly`` (the test is ending,
        or the user is done with the room). Without ``handshake`` the socket is just shut, as
        at the end of a run: waiting up to a second for each of a thousand users' close frames
        from a busy server kept Locust running for minutes past its run time."""
        reader, ws = self.reader, self.ws
        self.reader = self.ws = None
        self.closed = True
        if ws is not None and handshake:
            # Our close frame; the reader stops at the server's (or at the end of the stream).
            # Not websocket-client's close(): it waits for that frame inside a bare `except:`,
            # which swallowed Locust's kill of a user stopping at the end of a run: the user
            # played on, and Locust waited for it forever (the benchmark's overruns).
            with contextlib.suppress(Exception):  # a broken socket
                ws.send_close()
        if reader is not None and reader is not gevent.getcurrent():
            if handshake:
                reader.join(timeout=1.0)
            reader.kill(block=True, timeout=1.0)
        if ws is not None:
            with contextlib.suppress(Exception):  # a broken socket
                ws.shutdown()  # type: ignore[no-untyped-call]  # websocket-client has no hint here
        pending, self.pending = self.pending, {}
        if not quietly:
            for name, sent, _ in pending.values():
                self.user.report(name, sent, exception=SessionClosed("closed before the answer"))

    def _read(self, ws: websocket.WebSocket, inbox: Queue[Any]) -> None:
        # Frames cut from large reads (loadtests/frames.py), not websocket-client's three
        # system calls per frame: the load generator's CPU is the server's on a shared box.
        sock = ws.sock
        if sock is None:
            inbox.put((now(), None, SessionClosed("not connected")))
            return
        frames = FrameReader(sock, ws)
        while True:
            try:
                raw = frames.recv()
                if not raw:
                    code = frames.close_code
                    raise SessionClosed(
                        "the server closed the connection"
                        + (f" (code {code})" if code is not None else " (no close frame)")
                    )
            except Exception as exc:
                inbox.put((now(), None, exc))
                return
            arrived = now()
            if self.skip_joins and '"player_joined"' in raw:
                continue
            try:
                # orjson: json.loads was a fifth of a Locust process's CPU in the mix (py-spy),
                # CPU the server under test lacks on a shared box. Its errors are ValueErrors.
                msg = orjson.loads(raw)
            except ValueError:
                self.user.report("connection", arrived, exception=ValueError("not JSON"))
                continue
            if not isinstance(msg, dict):
                continue
            self._answer(msg, arrived, len(raw))
            inbox.put((arrived, msg, None))

    def _answer(self, msg: dict[str, Any], arrived: float, length: int) -> None:
        cid = msg.get("client_msg_id")
        is_error = msg.get("type") == "error"
        if cid is None and is_error:
            # Some refusals (a failed join) carry no id: they answer the exclusive request.
            cid = next((k for k, v in self.pending.items() if v[2]), None)
            if cid is not None:
                msg["_answers"] = cid
        entry = self.pending.pop(cid, None) if cid is not None else None
        if entry is None:
            if is_error:
                code = msg.get("code")
                self.user.report(
                    f"error: {code}", arrived, length, ServerError(f"{code}: {msg.get('message')}")
                )
            return
        name, sent, _ = entry
        exception = None
        if is_error:
            exception = ServerError(f"{msg.get('code')}: {msg.get('message')}")
        self.user.report(name, sent, length, exception, ended=arrived)

    # --- sending and receiving ----------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        if self.closed or self.ws is None:
            raise SessionClosed("not connected")
        try:
            self.ws.send(json.dumps(message, ensure_ascii=False))
        except (OSError, websocket.WebSocketException) as exc:
            raise SessionClosed(f"send: {exc!r}") from exc

    def request(self, message: dict[str, Any], name: str, exclusive: bool = False) -> str:
        """Send an action (given a fresh ``client_msg_id`` by the protocol state unless it has
        one); its answer is reported as ``name``."""
        message = self.state.request(message)
        cid = str(message["client_msg_id"])
        self.pending[cid] = (name, now(), exclusive)
        try:
            self.send(message)
        except SessionClosed:
            self.pending.pop(cid, None)
            raise
        return cid

    def next(self, timeout: float) -> tuple[float, dict[str, Any]] | None:
        """The next message and its arrival time, or None after ``timeout`` seconds."""
        self._expire()
        if self.backlog:
            return self.backlog.popleft()
        if self.closed:
            raise SessionClosed("not connected")
        try:
            arrived, msg, exc = self.inbox.get(timeout=max(0.0, timeout))
        except Empty:
            return None
        if msg is None:
            self.closed = True
            raise SessionClosed(repr(exc))
        return arrived, msg

    def wait_reply(self, cid: str, timeout: float = ACK_TIMEOUT) -> dict[str, Any] | None:
        """The answer to request ``cid`` (kept out of order: other messages wait in the backlog),
        or None when it did not come in time (then reported as a failure)."""
        deadline = now() + timeout
        held: list[tuple[float, dict[str, Any]]] = []
        try:
            while now() < deadline:
                item = self.next(deadline - now())
                if item is None:
                    continue
                msg = item[1]
                if msg.get("client_msg_id") == cid or msg.get("_answers") == cid:
                    return msg
                held.append(item)
        finally:
            self.backlog.extendleft(reversed(held))
        self._expire(force=cid)
        return None

    def drain(self, timeout: float = ACK_TIMEOUT) -> None:
        """Wait (bounded) until every action sent has its answer; other messages are dropped."""
        deadline = now() + timeout
        while self.pending and not self.closed and now() < deadline:
            self.next(min(0.5, max(0.0, deadline - now())))

    def _expire(self, force: str | None = None) -> None:
        """Report actions whose answer is overdue as failures."""
        if not self.pending:
            return
        limit = now() - ACK_TIMEOUT
        for cid, (name, sent, _) in list(self.pending.items()):
            if sent < limit or cid == force:
                del self.pending[cid]
                self.user.report(
                    name, sent, exception=TimeoutError(f"no answer within {ACK_TIMEOUT:g} s")
                )


def room_url(code: str, own: str) -> str:
    """The WebSocket URL a player of room ``code`` connects to: with ``LOAD_ROUTE=room`` the
    instance the room hashes to, as a load balancer routing by the URL's ``room`` would
    (``deploy/nginx.conf`` does not: docs/performance.md says why); else ``own``."""
    if not ROUTE_BY_ROOM or not HOSTS:
        return own
    host = HOSTS[zlib.crc32(code.encode()) % len(HOSTS)]
    return f"{_ws_url(host)}?room={code}"


def _ws_url(host: str) -> str:
    host = host.rstrip("/")
    if host.startswith("https://"):
        return "wss://" + host[len("https://") :] + WS_PATH
    if host.startswith("http://"):
        return "ws://" + host[len("http://") :] + WS_PATH
    if host.startswith(("ws://", "wss://")):
        return host if host.endswith(WS_PATH) else host + WS_PATH
    return "ws://" + host + WS_PATH


def _literal_socket(url: str) -> socket.socket | None:
    """A TCP connection to a ``ws://`` URL whose host is an IP address (the benchmark's), made
    here: websocket-client would resolve even an address through gevent's resolver, a thread
    pool, and under load that wait was most of a connect's measured time. ``None`` (let
    websocket-client connect) for names and ``wss://``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "ws" or parts.hostname is None:
        return None
    try:
        family = socket.AF_INET6 if ":" in parts.hostname else socket.AF_INET
        socket.inet_pton(family, parts.hostname)
    except OSError:
        return None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as websocket-client's own
    try:
        sock.connect((parts.hostname, parts.port or 80))
    except OSError:
        sock.close()
        raise
    return sock


# --- Decisions ----------------------------------------------------------------------------------


def choose(status: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The server's defaults, changed the way a player might (as ``game_server.bots``)."""
    decisions = dict(status["defaults"])
    working = (status.get("stage") or {}).get("phase") == "working"
    kind = rng.choice(("insured", "nothing", "default"))
    if kind == "insured":
        decisions.update(pension="employee", pension_base_pct=60, medical="employee")
        decisions["accident_insurance"] = working
        decisions["residents_tier"] = 0
    elif kind == "nothing":
        decisions.update(pension="none", medical="none", accident_insurance=False, residents_tier=0)
    if decisions.get("pension") == "none":
        decisions["personal_pension"] = 0
    return decisions


# --- Users --------------------------------------------------------------------------------------


class GigUser(User):
    """What every user here shares: one session, reporting, and a fresh start after a failure."""

    abstract = True
    wait_time = constant(1)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        if HOSTS:
            self.host = HOSTS[next(_next_host) % len(HOSTS)]
        self.rng = random.Random()
        self.session = Session(self)
        self.stopping = False
        self.room: str | None = None
        """The room code the user is in (for the log)."""

    def report(
        self,
        name: str,
        started: float,
        length: int = 0,
        exception: BaseException | None = None,
        ended: float | None = None,
    ) -> None:
        if self.stopping:
            return
        elapsed = ((ended if ended is not None else now()) - started) * 1000.0
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=max(0.0, elapsed),
            response_length=length,
            exception=exception,
            context={},
        )

    def fail(self, name: str, why: str) -> None:
        self.report(name, now(), exception=RuntimeError(why))

    def on_stop(self) -> None:
        self.stopping = True
        self.session.close(quietly=True, handshake=False)

    def guarded(self, body: Any) -> None:
        """Run one session of play; a broken connection is reported and the next starts over."""
        try:
            body()
        except SessionClosed as exc:
            if not self.stopping:
                COUNTS["reconnects"] += 1
                if not exc.reported:
                    self.report("connection", now(), exception=exc)
            self.session.close(quietly=self.stopping)
            gevent.sleep(self.rng.uniform(0.5, 1.5))
        except Exception as exc:
            log.exception("a load-test user failed")
            if not self.stopping:
                self.fail("client error", repr(exc)[:200])
            self.session.close(quietly=True)
            gevent.sleep(1.0)

    def ensure_open(self) -> Session:
        if self.session.closed:
            self.session.open()
        return self.session

    def new_state(self) -> ClientState:
        """A fresh seat's protocol state, deciding as a player might and answering the quiz."""
        return ClientState(
            choose=lambda status: choose(status, self.rng),
            answer=(lambda question_id, phase: self.rng.randrange(2)) if QUIZ else None,
            prefix=f"{random.getrandbits(32):08x}",
        )

    def play_life(
        self, s: Session, mode: str, code: str | None, budget: float, idle: float
    ) -> bool:
        """Play a life in the room this session just entered, until ``life_over``.

        The session's protocol state decides once per open round; this sends its decisions after
        a think from the round's opening. ``mode`` is ``solo`` or ``workshop``; ``code``
        (workshop) is the room, to match ``round_opened`` with the host's send time. Gives up
        (a failure) after ``budget`` seconds, or ``idle`` seconds without any message.
        """
        state = s.state
        deadline = now() + budget
        last_heard = now()
        decide_sent: dict[int, float] = {}
        seen: deque[str] = deque(maxlen=8)  # the last messages, for the log when it stalls

        def stalled(why: str) -> bool:
            self.fail(f"{mode}: life stalled", why)
            log.warning(
                "%s life stalled (%s): room %s, status round %s, room %s round %s %s, decided %s, "
                "last messages %s",
                mode,
                why,
                code or self.room,
                state.status.get("round") if state.status else None,
                state.room_status,
                state.round,
                state.round_state,
                sorted(state.decided),
                list(seen),
            )
            return False

        while True:
            left = deadline - now()
            if left <= 0:
                return stalled(f"no life_over within {budget:.0f} s")
            if now() - last_heard > idle:
                return stalled(f"nothing from the server for {idle:.0f} s")
            item = s.next(min(left, 2.0))
            if item is None:
                continue
            arrived, msg = item
            last_heard = max(last_heard, arrived)
            kind = msg.get("type")
            raw_event = msg.get("event")
            event: dict[str, Any] = raw_event if isinstance(raw_event, dict) else {}
            detail = event.get("kind") or msg.get("code") or ""
            seen.append(f"{kind}:{detail}@{msg.get('seq', '')}" if detail else str(kind))
            replies = state.receive(msg, arrived)
            if kind == "round_result" and mode == "solo" and state.status is not None:
                sent = decide_sent.pop(int(state.status.get("round", 0)) - 1, None)
                if sent is not None:
                    self.report("solo: decide→result", sent, ended=arrived)
            elif detail == "round_opened" and code:
                sent = ROUND_SENT.get((code, int(event["round"])))
                if sent is not None:
                    self.report("broadcast: round start", sent, ended=arrived)
                    _reached(code, int(event["round"]), (arrived - sent) * 1000.0)
            for i, reply in enumerate(replies):
                if reply["type"] == "decide":
                    think = self.rng.uniform(0.5, 1.5) * THINK
                    opened = state.opened_at if state.opened_at is not None else arrived
                    wait = opened + think - now()
                    if wait > 0:
                        gevent.sleep(min(wait, max(0.0, deadline - now())))
                    decide_sent[int(reply["round"])] = now()
                    s.request(reply, f"{mode}: decide→ack")
                    last_heard = now()
                    COUNTS["decisions"] += 1
                elif reply["type"] == "quiz_answer":
                    if i:  # one question at a time, reading each for a moment as a player does
                        gevent.sleep(self.rng.uniform(0.2, 0.6) * THINK)
                    s.request(reply, "quiz→ack")
                else:
                    s.request(reply, f"{reply['type']}→ack")
            if state.done:
                return state.life_over is not None


def _life_budget(rounds: int = EXPECTED_ROUNDS) -> float:
    """Seconds a solo life may take before it counts as stalled."""
    return rounds * (1.5 * THINK + ACK_TIMEOUT) + 30.0


def _game_budget(rounds: int = EXPECTED_ROUNDS) -> float:
    """Seconds a workshop game may take after its start."""
    return rounds * (ROUND_SECONDS + HOST_PAUSE + ACK_TIMEOUT) + 30.0


SOLO_IDLE = 1.5 * THINK + 2 * ACK_TIMEOUT
"""Longest silence in a solo life: a think, then the answers to the decision."""
WORKSHOP_IDLE = max(3 * LOBBY_WAIT, ROUND_SECONDS + HOST_PAUSE) + 2 * ACK_TIMEOUT
"""Longest silence in a workshop: the lobby (a host gives up after 3 x LOBBY_WAIT), or a round
that runs to its deadline and the host's pause."""


class SoloPlayer(GigUser):
    """Plays solo lives one after the other."""

    abstract = _SOLO_WEIGHT == 0
    weight = max(1, _SOLO_WEIGHT)

    @task
    def life(self) -> None:
        self.guarded(self._life)

    def _life(self) -> None:
        s = self.ensure_open()
        s.state = self.new_state()
        cid = s.request(s.state.create_room(SCENARIO, "solo"), "solo: create_room", exclusive=True)
        reply = s.wait_reply(cid)
        if reply is None or reply.get("type") != "room_created":
            gevent.sleep(1.0)
            return
        s.state.receive(reply)
        self.room = str(reply.get("code"))
        budget = _life_budget(int(reply.get("rounds") or EXPECTED_ROUNDS))
        if self.play_life(s, "solo", None, budget, SOLO_IDLE):
            COUNTS["solo_lives"] += 1
        if not SOLO_REUSE:
            # "Play again" in the web client loads a new page: a new connection per life.
            s.drain()
            s.close(quietly=True)


class WorkshopHost(GigUser):
    """Runs workshop rooms one after the other."""

    abstract = SOLO_SHARE >= 1.0
    weight = 1

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.code: str | None = None

    @task
    def game(self) -> None:
        self.guarded(self._game)

    def on_stop(self) -> None:
        if self.code is not None:
            ROOMS.close(self.code)
        super().on_stop()

    def _forget(self) -> None:
        if self.code is not None:
            ROOMS.close(self.code)
            for key in [k for k in ROUND_SENT if k[0] == self.code]:
                del ROUND_SENT[key]
            self.code = None

    def _game(self) -> None:
        self._forget()
        # A fresh connection per workshop, as a trainer opens the host page for each.
        s = self.session
        s.open()
        try:
            self._run_room(s)
        finally:
            if self.code is not None:
                ROOMS.close(self.code)
            s.close(quietly=True)

    def _run_room(self, s: Session) -> None:
        state = s.state = ClientState(prefix=f"{random.getrandbits(32):08x}")
        cid = s.request(
            state.create_room(SCENARIO, "workshop", round_seconds=ROUND_SECONDS),
            "workshop: create_room",
            exclusive=True,
        )
        reply = s.wait_reply(cid)
        if reply is None or reply.get("type") != "room_created":
            gevent.sleep(1.0)
            return
        state.receive(reply)
        code = str(reply["code"])
        rounds = int(reply.get("rounds") or EXPECTED_ROUNDS)
        self.code = code
        ROOMS.open(code, ROOM_SIZE)

        # Lobby: wait for the room to fill (bounded).
        created = last_join = now()
        joined = 0
        while True:
            t = now()
            if joined >= ROOM_SIZE:
                break
            if joined and (t - created >= LOBBY_WAIT or t - last_join >= LOBBY_QUIET):
                break
            if t - created >= 3 * LOBBY_WAIT:
                # Nobody came (more hosts than players): give the room up.
                ROOMS.close(code)
                s.wait_reply(s.request(state.host("end"), "host: end→ack"))
                return
            item = s.next(0.5)
            if item is not None:
                state.receive(item[1], item[0])
                event = item[1].get("event") or {}
                if event.get("kind") == "player_joined":
                    joined += 1
                    last_join = item[0]
        ROOMS.close(code)

        ROUND_SENT[(code, 0)] = now()
        s.request(state.host("start"), "host: start→ack")

        deadline = now() + _game_budget(rounds)
        last_heard = now()
        idle = ROUND_SECONDS + HOST_PAUSE + 2 * ACK_TIMEOUT
        while True:
            left = deadline - now()
            if left <= 0:
                self.fail("workshop: game stalled", f"no game_over within {_game_budget():.0f} s")
                return
            if now() - last_heard > idle:
                self.fail("workshop: game stalled", f"nothing from the server for {idle:.0f} s")
                return
            item = s.next(min(left, 2.0))
            if item is None:
                continue
            last_heard = max(last_heard, item[0])
            msg = item[1]
            state.receive(msg, item[0])
            if state.stopped is not None:
                return
            event = msg.get("event") or {}
            if event.get("kind") == "round_closed":
                r = int(event["round"]) + 1
                if r < rounds:
                    gevent.sleep(HOST_PAUSE)
                    ROUND_SENT[(code, r)] = now()
                    s.request(state.host("open_round"), "host: open_round→ack")
            elif state.done:
                COUNTS["workshop_games"] += 1
                # Let the players read their ends before the host leaves.
                gevent.sleep(1.0)
                return


class WorkshopPlayer(GigUser):
    """Joins open workshop rooms and plays their games, one after the other."""

    abstract = SOLO_SHARE >= 1.0
    weight = ROOM_SIZE

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.session.skip_joins = True
        self.own_url = self.session.url

    @task
    def game(self) -> None:
        self.guarded(self._game)

    def _game(self) -> None:
        code = self._claim()
        if code is None:
            return
        s = self.session
        s.url = room_url(code, self.own_url)
        try:
            s.open()
        except SessionClosed:
            ROOMS.release(code)
            raise
        try:
            s.state = self.new_state()
            cid = s.request(
                s.state.join(code, f"压测{self.rng.randrange(10**6)}"),
                "workshop: join",
                exclusive=True,
            )
            reply = s.wait_reply(cid)
            if reply is None or reply.get("type") != "joined":
                ROOMS.release(code)
                return
            s.state.receive(reply)
            budget = 3 * LOBBY_WAIT + _game_budget()
            if self.play_life(s, "workshop", code, budget, WORKSHOP_IDLE):
                COUNTS["workshop_lives"] += 1
            s.drain()
        finally:
            s.close(quietly=True)

    def _claim(self) -> str | None:
        """A seat in an open room, waiting (bounded) for a host to open one."""
        give_up = now() + 3 * LOBBY_WAIT
        while now() < give_up:
            code = ROOMS.claim()
            if code is not None:
                return code
            gevent.sleep(self.rng.uniform(0.2, 0.5))
        return None
