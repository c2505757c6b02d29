"""The WebSocket endpoint ``/ws``: validate every frame, route it to the room master, answer.

No game rules here: this module reads frames, checks their shape (the codec), keeps the
connection registry, and turns room events into what each connection is sent.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from starlette.websockets import WebSocket, WebSocketDisconnect

from game_server.cancellation import raise_if_cancelled
from game_server.protocol import errors
from game_server.protocol.codec import client_msg_id_of, decode
from game_server.protocol.errors import ProtocolError
from game_server.protocol.messages import (
    PROTOCOL_VERSION,
    CreateRoom,
    Decide,
    Hello,
    HostAction,
    JoinRoom,
    Ping,
    QuizAnswer,
)
from game_server.protocol.outbound import Pong, Resumed, Welcome
from game_server.service.rooms import Identity, RoomService
from game_server.transport import redis_faults
from game_server.transport.connections import (
    CLOSE_GONE,
    CLOSE_KICKED,
    CLOSE_POLICY,
    SEND_QUEUE,
    Connection,
    RateLimit,
    Registry,
)
from game_server.transport.limits import AddressLimits, client_address

log = logging.getLogger(__name__)

PRESENCE_SECONDS = 45.0
HEARTBEAT_SECONDS = 15.0
FLOOD_CLOSE_AFTER = 200
HOST_WARNING_SECONDS = 5.0
"""A room's hosts are warned that Redis refuses their players' actions at most this often."""

MESSAGES = Counter("gig_ws_messages_total", "Client messages received", ["type"])
ERRORS = Counter("gig_ws_errors_total", "Errors sent to clients", ["code"])
LATENCY = Histogram(
    "gig_action_seconds",
    "Time from receiving an action to its answer",
    ["type"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
CONNECTIONS = Gauge("gig_ws_connections", "Open WebSocket connections on this instance")


@functools.cache
def _metrics_of(kind: str) -> tuple[Counter, Histogram]:
    """A message type's counter and latency histogram. Looked up once per type (the types are
    the protocol's few): ``labels()`` builds a key and takes a lock on every call."""
    return MESSAGES.labels(kind), LATENCY.labels(kind)


class Hub:
    """This instance's side of the game: connections in, room events out."""

    def __init__(
        self, service: RoomService, registry: Registry, limits: AddressLimits | None = None
    ) -> None:
        self.service = service
        self.registry = registry
        self.wrong_codes: dict[str, RateLimit] = {}
        self._warn_throttle = redis_faults.Throttle(HOST_WARNING_SECONDS)
        self._log_throttle = redis_faults.Throttle(HOST_WARNING_SECONDS)
        self.limits = limits
        """Rooms started per address and live rooms (``None``: not limited, for tests)."""

    def _guesses_from(self, conn: Connection) -> RateLimit:
        """Wrong room codes allowed from one address: 20 at once, then one every 6 seconds.
        Only wrong codes count, so a whole venue behind one address can still join."""
        address = client_address(conn.ws)
        if len(self.wrong_codes) > 100_000:
            self.wrong_codes.clear()
        limit = self.wrong_codes.get(address)
        if limit is None:
            limit = self.wrong_codes[address] = RateLimit(rate=1 / 6, burst=20)
        return limit

    # --- Room events from the bus -------------------------------------------------------------

    def on_passing(self, code: str, payload: str) -> None:
        """A decision count: to the room's hosts on this instance, as an unnumbered event."""
        self.registry.send_to_hosts(code, f'{{"type":"event","seq":0,"event":{payload}}}')

    async def on_event(self, code: str, seq: int, event: dict[str, Any], payload: str) -> None:
        text = f'{{"type":"event","seq":{seq},"event":{payload}}}'
        self.registry.deliver(code, seq, text, event)
        await self._follow_up(code, seq, event, self.registry.connections(code))

    async def _follow_up(
        self, code: str, seq: int, event: dict[str, Any], conns: list[Connection]
    ) -> None:
        kind = event.get("kind")
        if kind == "player_kicked":
            for conn in conns:
                if conn.identity is not None and conn.identity.player_id == event["player_id"]:
                    conn.send_message(ProtocolError(errors.KICKED, "the host removed you").wire())
                    conn.close(CLOSE_KICKED)
        elif kind in ("round_closed", "game_over"):
            players = {
                c.identity.player_id: c
                for c in conns
                if c.ready and c.identity is not None and c.identity.player_id is not None
            }
            if not players:
                return
            over = kind == "game_over"
            # The closer wrote each player's views once; this instance only forwards them.
            results = await self.service.personal_results(code, sorted(players), over, seq)
            head = f'{{"type":"{"life_over" if over else "round_result"}","seq":{seq},'
            for pid, text in results.items():
                players[pid].send(head + text[1:])

    # --- A connection -------------------------------------------------------------------------

    async def serve(self, ws: WebSocket) -> None:
        await ws.accept()
        conn = Connection(ws)
        writer = asyncio.create_task(conn.writer())
        CONNECTIONS.inc()
        try:
            while not conn.closing:
                try:
                    frame = await ws.receive()
                except (WebSocketDisconnect, RuntimeError):
                    break
                if frame["type"] == "websocket.disconnect":
                    break
                raw = frame.get("text")
                if raw is None:
                    raw = frame.get("bytes") or b""
                if not conn.limit.allow():
                    refused = ProtocolError(errors.RATE_LIMITED, "too many messages")
                    refused.client_msg_id = client_msg_id_of(raw)
                    self._error(conn, refused)
                    if conn.limit.refused_in_a_row > FLOOD_CLOSE_AFTER:
                        conn.close(CLOSE_POLICY)
                    continue
                message = None
                try:
                    message = decode(raw)
                    received, latency = _metrics_of(message.type)
                    received.inc()
                    if not conn.greeted and not isinstance(message, Hello):
                        raise ProtocolError(errors.HELLO_FIRST, "say hello first")
                    started = asyncio.get_running_loop().time()
                    await self._handle(conn, message)
                    latency.observe(asyncio.get_running_loop().time() - started)
                except ProtocolError as exc:
                    if exc.client_msg_id is None and message is not None:
                        # Every answer to an action carries its id (the client's outbox).
                        exc.client_msg_id = getattr(message, "client_msg_id", None)
                    self._error(conn, exc)
                    if exc.code == errors.ROOM_GONE and conn.identity is not None:
                        self.room_gone(conn.identity.code)  # everyone here in that room
                except Exception as exc:
                    answer = redis_faults.refusal(exc, getattr(message, "client_msg_id", None))
                    if answer is None:
                        log.exception("handling a message")
                        answer = ProtocolError(errors.INTERNAL, "something went wrong")
                    else:  # Redis full or failing: typed, the connection and the room go on
                        self._redis_refused(conn, exc)
                    self._error(conn, answer)
        finally:
            CONNECTIONS.dec()
            ident = conn.identity
            await self.registry.detach(conn)
            if (
                ident is not None
                and ident.player_id is not None
                and ident.player_id not in self.registry.player_ids(ident.code)
            ):
                # Only this instance's entry, and only when this was the player's last
                # connection here: another tab, or a reconnect elsewhere, keeps them present.
                # A drop keeps the seat waited for during the reconnect grace.
                grace = self.service.settings.reconnect_grace_seconds
                await self._quietly(
                    self.service.mark_presence(ident.code, {ident.player_id: grace})
                )
            conn.close(conn.close_code)
            await writer

    def _redis_refused(self, conn: Connection, exc: Exception) -> None:
        """Redis refused or failed a client's action (the client gets its typed error): warn
        the room's hosts here, and the log, at most every few seconds each."""
        reason = redis_faults.reason_of(exc)
        assert reason is not None
        now = asyncio.get_running_loop().time()
        if self._log_throttle.due(reason, now):
            log.warning("Redis refused a client's action (%s): %s", reason, exc)
        who = conn.identity
        if who is not None and who.player_id is not None and self._warn_throttle.due(who.code, now):
            warning = redis_faults.host_warning(reason).wire()
            self.registry.send_to_hosts(who.code, warning.model_dump_json(exclude_unset=True))
            ERRORS.labels(warning.code).inc()

    @staticmethod
    async def _quietly(coro: Any) -> None:
        try:
            await coro
        except Exception:
            log.warning("presence update failed", exc_info=True)

    @staticmethod
    def _error(conn: Connection, exc: ProtocolError) -> None:
        ERRORS.labels(exc.code).inc()
        conn.send_message(exc.wire())

    async def _handle(self, conn: Connection, message: Any) -> None:
        if isinstance(message, Hello):
            await self._hello(conn, message)
        elif isinstance(message, Ping):
            conn.send_message(Pong(type="pong"))
        elif isinstance(message, CreateRoom):
            taken = await self.limits.start_room(conn.ws, message) if self.limits else None
            try:
                created = await self.service.create_room(message)
            except Exception:
                if self.limits is not None:
                    await self.limits.not_started(taken)
                raise
            conn.send_message(created)
            token = created.player_token or created.host_token
            assert token is not None
            await self._enter(conn, await self.service.authenticate(token))
        elif isinstance(message, JoinRoom):
            guesses = self._guesses_from(conn)
            if not guesses.available():
                raise ProtocolError(
                    errors.JOIN_RATE_LIMITED,
                    "too many wrong room codes; wait a minute",
                    message.client_msg_id,
                )
            try:
                ident, joined = await self.service.join(
                    message.code, message.nickname, message.client_msg_id
                )
            except ProtocolError as exc:
                if exc.code == errors.ROOM_NOT_FOUND:
                    guesses.allow()  # a wrong code costs a token: guessing codes is slow
                raise
            conn.send_message(joined)
            await self._enter(conn, ident)
        else:
            who = conn.identity
            if who is None:
                raise ProtocolError(
                    errors.NOT_IN_ROOM, "join or resume a room first", message.client_msg_id
                )
            if isinstance(message, Decide):
                conn.send_message(await self.service.decide(who, message))
            elif isinstance(message, QuizAnswer):
                conn.send_message(await self.service.answer_quiz(who, message))
            elif isinstance(message, HostAction):
                conn.send_message(await self.service.host_action(who, message))

    async def _hello(self, conn: Connection, hello: Hello) -> None:
        if hello.protocol != PROTOCOL_VERSION:
            raise ProtocolError(errors.VERSION, f"this server speaks protocol {PROTOCOL_VERSION}")
        conn.send_message(
            Welcome(type="welcome", protocol=PROTOCOL_VERSION, instance=self.service.instance)
        )
        conn.greeted = True  # a refused token below does not undo the hello
        if hello.token is not None:
            ident = await self.service.authenticate(hello.token)
            await self._enter(conn, ident, hello.last_seq)

    async def _enter(self, conn: Connection, ident: Identity, last_seq: int | None = None) -> None:
        """Attach the connection to its room and bring it up to date: the events it missed
        (when the room's stream still has them and no personal result is among them), or a fresh
        snapshot."""
        before = conn.identity
        await self.registry.attach(conn, ident)
        if (
            before is not None
            and before.player_id is not None
            and before != ident
            and before.player_id not in self.registry.player_ids(before.code)
        ):
            # The connection left that seat (joined again, or resumed another): not present.
            await self._quietly(self.service.mark_presence(before.code, {before.player_id: 0}))
        if ident.player_id is not None:
            await self.service.mark_presence(ident.code, {ident.player_id: PRESENCE_SECONDS})
        missed = None
        if last_seq is not None:
            missed = await self.service.store.events_since(ident.code, last_seq)
            if missed is not None and (
                len(missed) > SEND_QUEUE // 2
                or any('"kind":"round_closed"' in p or '"kind":"game_over"' in p for _, p in missed)
            ):
                missed = None  # too many to replay through the send queue, or personal results
        if missed is not None and last_seq is not None:
            seq = missed[-1][0] if missed else last_seq
            # ``seq``: the room's latest, once the missed events that follow are read.
            conn.send_message(Resumed(type="resumed", seq=seq, missed=len(missed)))
            for event_seq, payload in missed:
                conn.send(f'{{"type":"event","seq":{event_seq},"event":{payload}}}')
        else:
            snapshot = await self.service.snapshot(ident)
            conn.send_message(snapshot)
            seq = snapshot.seq
        later = self.registry.make_ready(conn, seq)
        for event_seq, _, event in later:
            await self._follow_up(ident.code, event_seq, event, [conn])

    async def heartbeat(self, every: float = HEARTBEAT_SECONDS) -> None:
        """Keep this instance's players counted as connected (their entries lapse if it dies),
        and tell the connections of a room that vanished (Redis lost it) that it is gone."""
        while True:
            await asyncio.sleep(every)
            for code in list(self.registry.rooms):
                try:
                    await self.check_room(code)
                except Exception as exc:
                    redis_faults.count_background(exc, "presence")
                    log.warning("presence update failed", exc_info=True)
                raise_if_cancelled()

    async def check_room(self, code: str) -> None:
        ids = self.registry.player_ids(code)
        if ids:
            present = await self.service.mark_presence(code, dict.fromkeys(ids, PRESENCE_SECONDS))
        else:
            present = await self.service.store.exists(code)
        if not present:
            self.room_gone(code)
            return
        await self.service.keep_deadline(code)

    def room_gone(self, code: str) -> None:
        gone = ProtocolError(
            errors.ROOM_GONE, "this room has ended and is gone; start or join another"
        )
        for conn in self.registry.connections(code):
            self._error(conn, gone)
            conn.close(CLOSE_GONE)

    async def deadlines(self, every: float) -> None:
        """Close rounds whose deadline passed; every instance polls, one wins each round."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.service.poll_deadlines()
            except Exception as exc:
                redis_faults.count_background(exc, "deadlines")
                log.warning("deadline poll failed", exc_info=True)
            raise_if_cancelled()

    async def idle_rooms(self, every: float) -> None:
        """Dispose of rooms idle past their time (their lives saved first); any instance may."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.service.dispose_idle()
            except Exception as exc:
                redis_faults.count_background(exc, "idle")
                log.warning("idle room sweep failed", exc_info=True)
            raise_if_cancelled()
