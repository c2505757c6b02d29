"""Live rooms in Redis: the room reducer's state, the players' seats and logs, and the scripts
that change them atomically in one round trip each (``stores/lua/*.lua``).

All keys of a room share the hash tag ``{room:CODE}`` so a Redis Cluster keeps them in one slot.

- ``meta``      hash: what never changes (scenario, mode, seed, rounds, host token hash...) and
  the room state (``stores/room_state.py``: status, round, round_state, deadline, lease,
  ``version``, ``seq``)
- ``players``   hash: player id -> JSON {nick, th (token hash), joined}
- ``kicked``    set of player ids
- ``logs``      hash: player id -> the decisions of closed rounds (compact JSON list of lists)
- ``pending``   hash: player id -> the decision for the open round, in the same compact form
- ``presence``  hash: "player|instance" -> ms until which that instance counts the player present
- ``online``    sorted set: player id -> the latest of those claims (a count by score is cheap)
- ``instances`` set of the instances that have claimed presence in the room
- ``acks``      hash: "player:client_msg_id" -> the answer already given (idempotency)
- ``quiz``      hash: "player:phase:question" -> answer
- ``results``   hash: player id -> the player's views after the last closed round (computed once
  by the closer; every instance forwards them)
- ``outbox``    hash: results waiting for SQL (``results/outbox.py``)
- ``events``    stream, capped: entry id ``SEQ-0`` holds the room event of sequence SEQ
- channel ``bus`` carries ``SEQ|json`` for every event, published in the same script as the
  stream entry, so every instance sees a room's events in one order; ``0|json`` carries passing
  counts for hosts (how many decided), neither stored nor numbered.

Global sorted sets (each written before the room change it indexes, so a crash leaves at worst a
stale entry, never a missing one): ``gig:deadlines`` (code -> when the poller should look: a
round's deadline, or a close lease's end) and ``gig:rooms`` (code -> last change, for disposing of
idle rooms); on a Redis Cluster each is several keys (``indexes.py``). Only the scripts that
change a room refresh its keys' expiry.

On a Redis Cluster (``redis_client.py``) the scripts publish with ``SPUBLISH`` (the one line
``local publish = 'PUBLISH'`` of each script is swapped when it is loaded), and a script and an
index write of one action, in two slots, are sent at once instead of in one pipeline (redis-py's
cluster pipelines refuse ``EVALSHA``): one round trip's time still.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from pydantic_core import to_json
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

from game_server.outbox.items import outbox_key
from game_server.room import PlayerKicked, RoomEvent, RoomState
from game_server.stores.indexes import DEADLINES, ROOMS, Indexes
from game_server.stores.pipelined import PipelinedRedis
from game_server.stores.redis_client import RedisClient, is_cluster
from game_server.stores.room_state import decode_state, encode_state

DEADLINES_KEY: Final = DEADLINES
ROOMS_KEY: Final = ROOMS
"""The indexes' names on one Redis (``indexes.py``: the keys on a cluster)."""

_PUBLISH_LINE: Final = "local publish = 'PUBLISH'\n"


def _lua(name: str, sharded: bool = False) -> str:
    """A room script; ``sharded``: publishing with ``SPUBLISH`` (a Redis Cluster)."""
    text = resources.files("game_server.stores").joinpath(f"lua/{name}.lua").read_text()
    if sharded and _PUBLISH_LINE in text:
        text = text.replace(_PUBLISH_LINE, "local publish = 'SPUBLISH'\n")
    return text


def _event_json(event: RoomEvent) -> str:
    """An event as published and kept in the room's stream: compact JSON, Chinese as UTF-8
    (pydantic's serializer, several times faster than ``json.dumps`` for the leaderboards and
    statistics of a ``round_closed``)."""
    return to_json(event.to_wire()).decode()


class RoomKeys:
    """A room's keys, in the order the transition script's ops name them (``KEY_*``)."""

    __slots__ = (
        "acks",
        "bus",
        "code",
        "events",
        "instances",
        "kicked",
        "logs",
        "meta",
        "online",
        "outbox",
        "pending",
        "players",
        "presence",
        "quiz",
        "results",
    )

    def __init__(self, code: str) -> None:
        tag = f"{{room:{code}}}"
        self.code = code
        self.meta = f"{tag}:meta"
        self.events = f"{tag}:events"
        self.players = f"{tag}:players"
        self.kicked = f"{tag}:kicked"
        self.logs = f"{tag}:logs"
        self.pending = f"{tag}:pending"
        self.presence = f"{tag}:presence"
        self.online = f"{tag}:online"
        self.instances = f"{tag}:instances"
        self.acks = f"{tag}:acks"
        self.quiz = f"{tag}:quiz"
        self.results = f"{tag}:results"
        self.outbox = outbox_key(code)
        self.bus = f"{tag}:bus"

    def all(self) -> list[str]:
        """Every key, the outbox last (the transition script leaves its expiry alone)."""
        return [
            self.meta,
            self.events,
            self.players,
            self.kicked,
            self.logs,
            self.pending,
            self.presence,
            self.online,
            self.instances,
            self.acks,
            self.quiz,
            self.results,
            self.outbox,
        ]


# 1-based indexes into RoomKeys.all() (Lua's KEYS), for the transition script's ops.
KEY_PLAYERS: Final = 3
KEY_KICKED: Final = 4
KEY_LOGS: Final = 5
KEY_PENDING: Final = 6
KEY_ONLINE: Final = 8
KEY_QUIZ: Final = 11
KEY_RESULTS: Final = 12
KEY_OUTBOX: Final = 13


@dataclass(frozen=True, slots=True)
class Op:
    """One write of a transition, beside the room state: ``hset``/``hdel``/``sadd``/``zrem``/
    ``del`` on the room key numbered ``key`` (``KEY_*``)."""

    op: str
    key: int
    field: str = ""
    value: str = ""


@dataclass(frozen=True, slots=True)
class StoredRoom:
    """A room as read for the reducer: its state, and whether a given player has a seat."""

    state: RoomState
    seated: bool = False
    """Whether the player asked about (``load``'s ``player_id``) has a seat."""


@dataclass(frozen=True, slots=True)
class Committed:
    seq: int
    reads: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Someone changed the room since it was read (load it again and decide again)."""

    version: int


@dataclass(frozen=True, slots=True)
class PlayerView:
    meta: dict[str, str]
    player: dict[str, Any] | None
    log: str | None
    pending: str | None
    kicked: bool
    players: int
    decided: int

    @property
    def seq(self) -> int:
        return int(self.meta.get("seq") or 0)


@dataclass(frozen=True, slots=True)
class RoomView:
    meta: dict[str, str]
    players: dict[str, dict[str, Any]]
    kicked: frozenset[str]
    pending: dict[str, str]
    connected: frozenset[str]

    @property
    def seq(self) -> int:
        return int(self.meta.get("seq") or 0)


class StoreError(Exception):
    """A script refused: ``code`` is a protocol or rule error code, or ``retry``/``full``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _pairs(flat: Sequence[str]) -> dict[str, str]:
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


class RoomStore:
    """Typed access to the room scripts; one per process, on one connection pool."""

    def __init__(
        self,
        redis: RedisClient,
        stream_cap: int,
        ttl_seconds: int,
        indexes: Indexes | None = None,
        hot: PipelinedRedis | None = None,
    ) -> None:
        self.redis = redis
        # The room scripts on the pipelined client where one is given (decisions and quiz
        # answers, closes, joins, views: every room action is one script call); one server
        # only (a cluster routes by slot, through redis-py's cluster client).
        self.hot = None if is_cluster(redis) else hot
        self.cluster = is_cluster(redis)
        self.indexes = indexes or Indexes()
        # redis-py's command stubs type replies as bytes | str | Any; with decode_responses on
        # they are str, converted explicitly below, so plain commands go through an Any view.
        self._r: Any = redis
        self.stream_cap = stream_cap
        self.ttl_ms = ttl_seconds * 1000
        # Each script is called as ``script(keys=..., args=...)`` on either client.
        hot_or_pool = self.hot.script if self.hot is not None else redis.register_script
        self._load: Any = hot_or_pool(_lua("load"))
        self._transition: Any = hot_or_pool(_lua("transition", self.cluster))
        self._join: Any = hot_or_pool(_lua("join", self.cluster))
        self._submit: Any = hot_or_pool(_lua("submit", self.cluster))
        self._presence: Any = hot_or_pool(_lua("presence"))
        self._player_view: Any = hot_or_pool(_lua("player_view"))
        self._room_view: Any = hot_or_pool(_lua("room_view"))
        # The quiz pairs its script with an index write (``answer_quiz``).
        self._quiz = redis.register_script(_lua("quiz"))
        if self.hot is not None:
            self._hot_quiz = self.hot.script(_lua("quiz"))

    # --- The room state ----------------------------------------------------------------------

    async def load(self, code: str, player_id: str | None = None) -> StoredRoom | None:
        """The room's state for the reducer, read at one moment (``None``: no such room), and
        whether ``player_id`` has a seat."""
        keys = RoomKeys(code)
        flat, seats, kicked, seated = await self._load(
            keys=[keys.meta, keys.players, keys.kicked], args=[player_id or ""]
        )
        if not flat:
            return None
        meta = _pairs(flat)
        state = decode_state(meta, int(seats), frozenset(kicked))
        return StoredRoom(state, bool(seated) and player_id is not None)

    async def transition(
        self,
        code: str,
        expected: int | None,
        state: RoomState,
        events: Sequence[RoomEvent],
        ops: Sequence[Op] = (),
        reads: Sequence[int] = (),
        fixed: Mapping[str, object] | None = None,
    ) -> Committed | Conflict | None:
        """Write the reducer's new ``state`` if the room is still at version ``expected``
        (``None``: create it; ``fixed``: its facts that never change), with ``ops`` beside it
        and the public ``events`` appended and published. ``reads``: hashes returned after the
        writes. ``None``: the room is gone."""
        keys = RoomKeys(code)
        fields: dict[str, object] = dict(fixed or {})
        fields.update(encode_state(state))
        args: list[object] = [keys.bus, self.stream_cap, self.ttl_ms]
        args.append("" if expected is None else expected)
        args.append(len(fields))
        for name, value in fields.items():
            args += [name, value]
        # The room state's own keys beside ``meta``: a kick is a member of ``kicked`` (and the
        # kicked player's open decision and presence go with it).
        implied = [
            Op(kind, key, e.player_id)
            for e in events
            if isinstance(e, PlayerKicked)
            for kind, key in (("sadd", KEY_KICKED), ("hdel", KEY_PENDING), ("zrem", KEY_ONLINE))
        ]
        ops = [*implied, *ops]
        args.append(len(ops))
        for op in ops:
            args += [op.op, op.key, op.field, op.value]
        args.append(len(reads))
        args += list(reads)
        args += [_event_json(e) for e in events if e.public]
        reply = await self._transition(keys=keys.all(), args=[str(a) for a in args])
        if reply[0] == "gone":
            return None
        if reply[0] == "conflict":
            return Conflict(int(reply[1]))
        return Committed(int(reply[1]), [_pairs(r) for r in reply[2:]])

    async def join(
        self,
        code: str,
        version: int,
        capacity: int,
        player_id: str,
        player_json: str,
        log_json: str,
        event: RoomEvent,
    ) -> int:
        """Seat a player (the reducer accepted the join at ``version``); returns the sequence
        number of its event. Raises ``StoreError`` ``retry``, ``full`` or ``room/gone``."""
        keys = RoomKeys(code)
        reply = await self._join(
            keys=[keys.meta, keys.events, keys.players, keys.logs],
            args=[
                keys.bus,
                str(self.stream_cap),
                str(self.ttl_ms),
                str(version),
                str(capacity),
                player_id,
                player_json,
                log_json,
                _event_json(event),
            ],
        )
        if reply[0] != "ok":
            raise StoreError("room/gone" if reply[0] == "gone" else str(reply[0]))
        return int(reply[1])

    # --- Players' actions ---------------------------------------------------------------------

    async def submit(
        self,
        code: str,
        player_id: str,
        round_index: int,
        decision: str,
        msg_id: str,
        now: int,
        pension: str,
        medical: str,
    ) -> tuple[bool, str]:
        """Store a decision (its log form); returns (a resend, the answer ``round|decided|total|
        all``). Raises ``StoreError`` with the refusal's code."""
        keys = RoomKeys(code)
        reply = await self._submit(
            keys=[keys.meta, keys.players, keys.kicked, keys.pending, keys.acks, keys.online],
            args=[
                keys.bus,
                str(self.ttl_ms),
                player_id,
                str(round_index),
                decision,
                f"{player_id}:{msg_id}",
                str(now),
                pension,
                medical,
            ],
        )
        if reply[0] == "err":
            raise StoreError(str(reply[1]))
        return reply[0] == "dup", str(reply[1])

    async def answer_quiz(
        self,
        code: str,
        player_id: str,
        msg_id: str,
        field: str,
        answer: int,
        item: tuple[str, str],
        now: int,
    ) -> bool:
        """Store a quiz answer and its outbox ``item``; True when this message was answered
        already. The room is put on the outbox's index in the same round trip (before the
        script, in one pipeline)."""
        keys = RoomKeys(code)
        args = [str(self.ttl_ms), f"{player_id}:{msg_id}", field, str(answer), *item]
        quiz_keys = [keys.meta, keys.acks, keys.quiz, keys.outbox]
        if self.cluster:
            reply: Any = await self._quiz_on_cluster(code, now, quiz_keys, args)
        elif self.hot is not None:
            reply = await self._quiz_hot(self.hot, code, now, quiz_keys, args)
        else:
            reply = await self._quiz_pipelined(code, now, quiz_keys, args)
        if reply[0] == "gone":
            raise StoreError("room/gone")
        return bool(reply[0] == "dup")

    async def _quiz_pipelined(
        self, code: str, now: int, quiz_keys: list[str], args: list[str]
    ) -> Any:
        for attempt in range(2):
            # EVALSHA by hand: redis-py's pipelined scripts ask SCRIPT EXISTS first, every time
            # (a second round trip); the script is loaded only when Redis says it lacks it.
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zadd(self.indexes.outbox(code), {code: now})
                pipe.evalsha(self._quiz.sha, len(quiz_keys), *quiz_keys, *args)
                try:
                    _, reply = await pipe.execute()
                    return reply
                except NoScriptError:
                    if attempt:
                        raise
                    await self._r.script_load(self._quiz.script)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _quiz_hot(
        self, hot: PipelinedRedis, code: str, now: int, quiz_keys: list[str], args: list[str]
    ) -> Any:
        index = ("ZADD", self.indexes.outbox(code), now, code)
        for attempt in range(2):
            try:
                _, reply = await hot.calls(index, self._hot_quiz.command(quiz_keys, args))
                return reply
            except NoScriptError:
                if attempt:
                    raise
                await self._hot_quiz.load()
            except RedisConnectionError:
                # Both may run twice: the index entry is set again, the script answers ``dup``.
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _quiz_on_cluster(
        self, code: str, now: int, quiz_keys: list[str], args: list[str]
    ) -> Any:
        # Two slots, so no pipeline: both sent at once, the index command first. If either
        # fails, the action fails and the client sends it again: the index is written again
        # and the script answers ``dup``.
        _, reply = await asyncio.gather(
            self._r.zadd(self.indexes.outbox(code), {code: now}),
            self._quiz(keys=quiz_keys, args=args),
        )
        return reply

    async def set_presence(self, code: str, instance: str, until_ms: Mapping[str, int]) -> bool:
        """Until when each player counts as present, as this instance sees it; False when the
        room is gone."""
        keys = RoomKeys(code)
        flat: list[str] = [str(self.ttl_ms), instance, str(len(until_ms))]
        for pid, until in until_ms.items():
            flat += [pid, str(until)]
        found = await self._presence(
            keys=[keys.meta, keys.presence, keys.online, keys.instances], args=flat
        )
        return bool(found)

    # --- Reads --------------------------------------------------------------------------------

    async def player_view(self, code: str, player_id: str) -> PlayerView | None:
        keys = RoomKeys(code)
        reply = await self._player_view(
            keys=[keys.meta, keys.players, keys.kicked, keys.logs, keys.pending],
            args=[player_id],
        )
        if reply[0] != "ok":
            return None
        return PlayerView(
            meta=_pairs(reply[1]),
            player=json.loads(reply[2]) if reply[2] else None,
            log=reply[3] or None,
            pending=reply[4] or None,
            kicked=bool(reply[5]),
            players=int(reply[6]),
            decided=int(reply[7]),
        )

    async def room_view(self, code: str, now: int) -> RoomView | None:
        keys = RoomKeys(code)
        reply = await self._room_view(
            keys=[keys.meta, keys.players, keys.kicked, keys.pending, keys.online],
            args=[str(now)],
        )
        if reply[0] != "ok":
            return None
        return RoomView(
            meta=_pairs(reply[1]),
            players={pid: json.loads(raw) for pid, raw in _pairs(reply[2]).items()},
            kicked=frozenset(reply[3]),
            pending=_pairs(reply[4]),
            connected=frozenset(reply[5]),
        )

    async def meta(self, code: str) -> dict[str, str]:
        raw: dict[str, str] = await self._r.hgetall(RoomKeys(code).meta)
        return raw

    async def logs_of(self, code: str, player_ids: Sequence[str]) -> dict[str, str | None]:
        if not player_ids:
            return {}
        values = await self._read("HMGET", RoomKeys(code).logs, *player_ids)
        return dict(zip(player_ids, values, strict=True))

    async def log_of(self, code: str, player_id: str) -> str | None:
        value = await self._read("HGET", RoomKeys(code).logs, player_id)
        return None if value is None else str(value)

    async def results_of(self, code: str, player_ids: Sequence[str]) -> dict[str, str | None]:
        """The views the closer computed for these players (forwarded, never recomputed)."""
        if not player_ids:
            return {}
        values = await self._read("HMGET", RoomKeys(code).results, *player_ids)
        return dict(zip(player_ids, values, strict=True))

    async def room_data(self, code: str) -> tuple[dict[str, str], dict[str, str]]:
        """Players and logs at one moment (for disposing of a room)."""
        keys = RoomKeys(code)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(keys.players)
            pipe.hgetall(keys.logs)
            players, logs = await pipe.execute()
        return dict(players), dict(logs)

    async def events_since(self, code: str, last_seq: int) -> list[tuple[int, str]] | None:
        """Events after ``last_seq`` in order, or ``None`` when some were trimmed away."""
        keys = RoomKeys(code)
        current = int(await self._r.hget(keys.meta, "seq") or 0)
        if last_seq > current:
            return None  # ahead of the room (or nonsense): the client needs a snapshot
        entries = await self._r.xrange(keys.events, min=f"{last_seq + 1}-0", max="+")
        out = [(int(str(entry_id).split("-")[0]), str(fields["d"])) for entry_id, fields in entries]
        if out and out[0][0] != last_seq + 1:
            return None
        if not out and current > last_seq:
            return None
        return out

    async def ack(self, code: str, player_id: str, msg_id: str) -> str | None:
        """The answer already given to this player's message, if it was seen."""
        answer = await self._r.hget(RoomKeys(code).acks, f"{player_id}:{msg_id}")
        return None if answer is None else str(answer)

    async def quiz_answers(self, code: str) -> dict[str, int]:
        raw: dict[str, str] = await self._r.hgetall(RoomKeys(code).quiz)
        return {k: int(v) for k, v in raw.items()}

    async def exists(self, code: str) -> bool:
        return bool(await self._r.exists(RoomKeys(code).meta))

    # --- Global indexes -------------------------------------------------------------------------

    async def add_deadline(self, code: str, when_ms: int) -> None:
        await self._write("ZADD", self.indexes.deadlines(code), when_ms, code)

    async def remove_deadline(self, code: str) -> None:
        await self._write("ZREM", self.indexes.deadlines(code), code)

    async def due_rooms(self, now: int, limit: int = 50) -> list[str]:
        return await self._due(self.indexes.all_deadlines(), now, limit)

    async def mark_active(self, code: str, now: int) -> None:
        """The room changed now (the idle clock starts again)."""
        await self._write("ZADD", self.indexes.rooms(code), now, code)

    async def idle_rooms(self, since: int, limit: int = 20) -> list[str]:
        return await self._due(self.indexes.all_rooms(), since, limit)

    async def index_outbox(self, code: str, now: int) -> None:
        """The room will have results in its outbox (written before them: see the module)."""
        await self._write("ZADD", self.indexes.outbox(code), now, code)

    async def forget_room(self, code: str) -> None:
        await self._write("ZREM", self.indexes.rooms(code), code)
        await self._write("ZREM", self.indexes.deadlines(code), code)

    # --- Plain commands on the hot path's client ----------------------------------------------

    async def _read(self, *command: str) -> Any:
        """A read of one key: on the pipelined client where there is one (one server), else
        redis-py (a cluster routes it by the key's slot)."""
        if self.hot is not None:
            return await self.hot.call_idempotent(*command)
        return await self._r.execute_command(*command)

    async def _write(self, *command: str | int) -> None:
        """A write that may run twice (ZADD and ZREM of an index: the same member and score),
        so the pipelined client may send it again on a new connection after a lost one."""
        if self.hot is not None:
            await self.hot.call_idempotent(*command)
        else:
            await self._r.execute_command(*command)

    async def _due(self, keys: Sequence[str], until: int, limit: int) -> list[str]:
        """Up to ``limit`` codes scored at most ``until`` across an index's keys, earliest
        first (one command per key, pipelined: on a cluster each shard is asked at once)."""
        if len(keys) == 1:
            codes = await self._r.zrangebyscore(keys[0], "-inf", until, start=0, num=limit)
            return [str(c) for c in codes]
        async with self._r.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zrangebyscore(key, "-inf", until, start=0, num=limit, withscores=True)
            replies = await pipe.execute()
        found = sorted((float(score), str(code)) for reply in replies for code, score in reply)
        return [code for _, code in found[:limit]]
