"""Live rooms in Redis: every read-modify-write is one Lua script, atomic and one round trip.

All keys of a room share the hash tag ``{room:CODE}`` so a Redis Cluster keeps them in one slot.

- ``{room:C}:meta``     hash: scenario, mode, seed, status, round, round_state, deadline, seq...
- ``{room:C}:players``  hash: player id -> JSON {nick, th (token hash), joined}
- ``{room:C}:kicked``   set of player ids
- ``{room:C}:logs``     hash: player id -> JSON list of the decisions of closed rounds
- ``{room:C}:pending``  hash: player id -> JSON decisions for the open round
- ``{room:C}:presence`` hash: "player|instance" -> ms until which that instance counts the
  player as connected
- ``{room:C}:acks``     hash: "player:client_msg_id" -> the answer already given (idempotency)
- ``{room:C}:quiz``     hash: "player:phase:question" -> answer
- ``{room:C}:events``   stream, capped: entry id ``SEQ-0`` holds the room event of sequence SEQ
- channel ``{room:C}:bus`` carries ``SEQ|json`` for every event, published in the same script as
  the stream entry, so every instance sees a room's events in the same order; ``0|json`` carries
  passing counts for hosts (how many decided), neither stored nor numbered.

The global sorted set ``gig:deadlines`` (room code -> deadline in ms) lets any instance find
rounds that are due. It is written *before* a round opens and cleared *after* it closes, so an
instance dying in between leaves at worst a stale entry (ignored and removed), never an open round
without a deadline. Every script refreshes the room's expiry: idle rooms disappear by themselves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from redis.asyncio import Redis

DEADLINES_KEY = "gig:deadlines"

RoomStatus = Literal["lobby", "playing", "paused", "finished"]
RoundState = Literal["none", "open", "closing", "closed"]


class RoomKeys:
    __slots__ = (
        "acks",
        "bus",
        "code",
        "events",
        "kicked",
        "logs",
        "meta",
        "pending",
        "players",
        "presence",
        "quiz",
    )

    def __init__(self, code: str) -> None:
        tag = f"{{room:{code}}}"
        self.code = code
        self.meta = f"{tag}:meta"
        self.players = f"{tag}:players"
        self.kicked = f"{tag}:kicked"
        self.logs = f"{tag}:logs"
        self.pending = f"{tag}:pending"
        self.presence = f"{tag}:presence"
        self.acks = f"{tag}:acks"
        self.quiz = f"{tag}:quiz"
        self.events = f"{tag}:events"
        self.bus = f"{tag}:bus"

    def all(self) -> list[str]:
        """The keys every script receives, in the order the Lua code names them."""
        return [
            self.meta,
            self.players,
            self.kicked,
            self.logs,
            self.pending,
            self.presence,
            self.acks,
            self.quiz,
            self.events,
        ]


# KEYS[1..9] as in RoomKeys.all(); ARGV[1] = channel, ARGV[2] = stream cap, ARGV[3] = ttl ms.
_PRELUDE = """
local meta, players, kicked, logs, pending, presence, acks, quiz, events =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local channel, cap, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local function emit(data)
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  redis.call('XADD', events, 'MAXLEN', '~', cap, seq .. '-0', 'd', data)
  redis.call('PUBLISH', channel, seq .. '|' .. data)
  return seq
end
local function touch()
  for i = 1, 9 do
    if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
local function active_count()
  return redis.call('HLEN', players) - redis.call('SCARD', kicked)
end
"""

# ARGV[4..]: field/value pairs of meta; ARGV[n]: optional first player (id, json, log).
_CREATE = (
    _PRELUDE
    + """
if redis.call('EXISTS', meta) == 1 then return 0 end
local n = tonumber(ARGV[4])
for i = 5, 4 + 2 * n, 2 do redis.call('HSET', meta, ARGV[i], ARGV[i + 1]) end
local p = 5 + 2 * n
if ARGV[p] ~= '' then
  redis.call('HSET', players, ARGV[p], ARGV[p + 1])
  redis.call('HSET', logs, ARGV[p], ARGV[p + 2])
end
emit(ARGV[p + 3])
touch()
return 1
"""
)

# ARGV[4] player id, [5] player json, [6] log json, [7] max players, [8] closed rounds expected,
# [9] event json
_JOIN = (
    _PRELUDE
    + """
if redis.call('EXISTS', meta) == 0 then return {'err', 'room/not_found'} end
local status = redis.call('HGET', meta, 'status')
if status == 'finished' then return {'err', 'room/wrong_state'} end
if redis.call('HLEN', players) >= tonumber(ARGV[7]) then return {'err', 'room/full'} end
if redis.call('HGET', meta, 'closed_rounds') ~= ARGV[8]
  or redis.call('HGET', meta, 'round_state') == 'closing' then
  return {'err', 'retry'}
end
if redis.call('HSETNX', players, ARGV[4], ARGV[5]) == 0 then return {'err', 'retry'} end
redis.call('HSET', logs, ARGV[4], ARGV[6])
local seq = emit(ARGV[9])
touch()
return {'ok', tostring(seq)}
"""
)

# ARGV[4] player, [5] round, [6] decisions json, [7] ack field, [8] now ms
_SUBMIT = (
    _PRELUDE
    + """
local done = redis.call('HGET', acks, ARGV[7])
if done then return {'dup', done} end
if redis.call('EXISTS', meta) == 0 then return {'err', 'room/not_found'} end
if redis.call('HEXISTS', players, ARGV[4]) == 0 then return {'err', 'room/player_not_found'} end
if redis.call('SISMEMBER', kicked, ARGV[4]) == 1 then return {'err', 'room/kicked'} end
local m = redis.call('HMGET', meta, 'status', 'round', 'round_state')
if m[1] ~= 'playing' then return {'err', 'room/wrong_state'} end
if m[2] ~= ARGV[5] or m[3] ~= 'open' then return {'err', 'rule/round_closed'} end
redis.call('HSET', pending, ARGV[4], ARGV[6])
local decided, total = redis.call('HLEN', pending), active_count()
local answer = ARGV[5] .. '|' .. decided .. '|' .. total
-- sequence 0: a passing count for the hosts' live bars (who chose which cover), neither
-- stored nor numbered
local chosen = cjson.decode(ARGV[6])
redis.call('PUBLISH', channel, '0|' .. cjson.encode({kind = 'decided',
  round = tonumber(ARGV[5]), decided = decided, total = total, player_id = ARGV[4],
  pension = chosen.pension, medical = chosen.medical}))
redis.call('HSET', acks, ARGV[7], answer)
touch()
return {'ok', answer}
"""
)

# ARGV[4] ack field, [5] quiz field, [6] answer
_QUIZ = (
    _PRELUDE
    + """
local done = redis.call('HGET', acks, ARGV[4])
if done then return {'dup', done} end
if redis.call('EXISTS', meta) == 0 then return {'err', 'room/not_found'} end
redis.call('HSET', quiz, ARGV[5], ARGV[6])
redis.call('HSET', acks, ARGV[4], 'ok')
touch()
return {'ok', 'ok'}
"""
)

# Host actions. ARGV[4] action, [5] now ms, [6] round seconds, [7] pool flag, [8] player id,
# [9] rounds in the life, [10] event json template pieces are built here from meta.
_HOST = (
    _PRELUDE
    + """
if redis.call('EXISTS', meta) == 0 then return {'err', 'room/not_found'} end
local action, now = ARGV[4], tonumber(ARGV[5])
local m = redis.call('HMGET', meta, 'status', 'round', 'round_state', 'deadline', 'remaining')
local status, round, state = m[1], tonumber(m[2]), m[3]
local rounds = tonumber(ARGV[9])
local function open(r)
  local seconds = tonumber(ARGV[6])
  local deadline = 0
  if seconds > 0 then deadline = now + seconds * 1000 end
  redis.call('HSET', meta, 'status', 'playing', 'round', r, 'round_state', 'open',
    'deadline', deadline, 'pool', ARGV[7], 'remaining', 0)
  return emit(cjson.encode({kind = 'round_opened', round = r, deadline = deadline,
    pool = ARGV[7] == '1', rounds = rounds}))
end
local seq
if action == 'start' then
  if status ~= 'lobby' then return {'err', 'room/wrong_state'} end
  emit(cjson.encode({kind = 'game_started', rounds = rounds}))
  seq = open(0)
elseif action == 'open_round' then
  if status ~= 'playing' or state ~= 'closed' or round + 1 >= rounds then
    return {'err', 'room/wrong_state'}
  end
  seq = open(round + 1)
elseif action == 'pause' then
  if status ~= 'playing' or state ~= 'open' then return {'err', 'room/wrong_state'} end
  local left = 0
  if tonumber(m[4]) > 0 then left = math.max(0, tonumber(m[4]) - now) end
  redis.call('HSET', meta, 'status', 'paused', 'remaining', left, 'deadline', 0)
  seq = emit(cjson.encode({kind = 'paused', round = round, remaining = left}))
elseif action == 'resume' then
  if status ~= 'paused' then return {'err', 'room/wrong_state'} end
  local deadline = 0
  if tonumber(m[5]) > 0 then deadline = now + tonumber(m[5]) end
  redis.call('HSET', meta, 'status', 'playing', 'deadline', deadline, 'remaining', 0)
  seq = emit(cjson.encode({kind = 'resumed', round = round, deadline = deadline}))
elseif action == 'kick' then
  if redis.call('HEXISTS', players, ARGV[8]) == 0 then return {'err', 'room/player_not_found'} end
  redis.call('SADD', kicked, ARGV[8])
  redis.call('HDEL', pending, ARGV[8])
  seq = emit(cjson.encode({kind = 'player_kicked', player_id = ARGV[8]}))
elseif action == 'end' then
  if status == 'finished' then return {'err', 'room/wrong_state'} end
  redis.call('HSET', meta, 'status', 'finished', 'deadline', 0)
  seq = emit(cjson.encode({kind = 'game_over', reason = 'host'}))
else
  return {'err', 'protocol/invalid_message'}
end
touch()
local d = redis.call('HGET', meta, 'deadline')
return {'ok', tostring(seq), d}
"""
)

# ARGV[4] round, [5] instance, [6] now ms, [7] lease ms, [8] reason
_BEGIN_CLOSE = (
    _PRELUDE
    + """
if redis.call('EXISTS', meta) == 0 then return {'gone'} end
local m = redis.call('HMGET', meta, 'status', 'round', 'round_state', 'deadline', 'closing_until')
local now = tonumber(ARGV[6])
local deadline = tonumber(m[4] or '0')
local no = {'no', tostring(deadline), m[3] or 'none'}
if ARGV[4] ~= '*' and m[2] ~= ARGV[4] then return no end
if m[1] ~= 'playing' and not (m[1] == 'paused' and ARGV[8] == 'host') then return no end
if m[3] == 'open' then
  if ARGV[8] == 'deadline' and (deadline == 0 or deadline > now) then return no end
elseif m[3] == 'closing' then
  if tonumber(m[5]) > now then return {'no', tostring(m[5]), 'closing'} end
else
  return no
end
redis.call('HSET', meta, 'round_state', 'closing', 'closing_by', ARGV[5],
  'closing_until', now + tonumber(ARGV[7]))
return {'ok', redis.call('HGETALL', pending), redis.call('HGETALL', logs),
  redis.call('SMEMBERS', kicked), m[2]}
"""
)

# ARGV[4] round, [5] instance, [6] finished flag, [7] n, [8..] player/log pairs, then events
_COMMIT_CLOSE = (
    _PRELUDE
    + """
local m = redis.call('HMGET', meta, 'round', 'round_state', 'closing_by')
if m[1] ~= ARGV[4] or m[2] ~= 'closing' or m[3] ~= ARGV[5] then return {'lost'} end
local n = tonumber(ARGV[7])
for i = 8, 7 + 2 * n, 2 do redis.call('HSET', logs, ARGV[i], ARGV[i + 1]) end
redis.call('DEL', pending)
redis.call('HSET', meta, 'round_state', 'closed', 'deadline', 0,
  'closed_rounds', tonumber(ARGV[4]) + 1)
if redis.call('HGET', meta, 'status') == 'paused' then
  redis.call('HSET', meta, 'status', 'playing')
end
if ARGV[6] == '1' then redis.call('HSET', meta, 'status', 'finished') end
local seq
for i = 8 + 2 * n, #ARGV do seq = emit(ARGV[i]) end
touch()
return {'ok', tostring(seq)}
"""
)

# ARGV[4] now ms: are all connected, active players decided?
_ALL_CONNECTED_DECIDED = (
    _PRELUDE
    + """
local now = tonumber(ARGV[4])
-- presence fields are "player|instance": a player is connected while any instance says so
local connected = {}
local flat = redis.call('HGETALL', presence)
for i = 1, #flat, 2 do
  if tonumber(flat[i + 1]) > now then
    connected[string.match(flat[i], '^[^|]*')] = true
  end
end
local waiting = 0
for id, _ in pairs(connected) do
  if redis.call('HEXISTS', players, id) == 1 and redis.call('SISMEMBER', kicked, id) == 0
    and redis.call('HEXISTS', pending, id) == 0 then
    waiting = waiting + 1
  end
end
return waiting
"""
)

# ARGV[4] player id: a consistent snapshot for one player (or for the host when empty)
_SNAPSHOT = (
    _PRELUDE
    + """
if redis.call('EXISTS', meta) == 0 then return {'gone'} end
local mine, log = false, false
if ARGV[4] ~= '' then
  mine = redis.call('HGET', pending, ARGV[4])
  log = redis.call('HGET', logs, ARGV[4])
end
return {'ok', redis.call('HGETALL', meta), redis.call('HGETALL', players),
  redis.call('SMEMBERS', kicked), mine, log, redis.call('HLEN', pending)}
"""
)


# ARGV[4] player id, [5] optional ack field: what one player's request needs, without the whole
# room (and the answer already given to that message, if any)
_PLAYER = (
    _PRELUDE
    + """
if redis.call('EXISTS', meta) == 0 then return {'gone'} end
local m = redis.call('HMGET', meta, 'status', 'round', 'round_state', 'deadline', 'seq',
  'closed_rounds', 'remaining', 'pool')
local seen = false
if ARGV[5] and ARGV[5] ~= '' then seen = redis.call('HGET', acks, ARGV[5]) or false end
return {'ok', m, redis.call('HGET', players, ARGV[4]) or false,
  redis.call('HGET', logs, ARGV[4]) or false, redis.call('HGET', pending, ARGV[4]) or false,
  redis.call('SISMEMBER', kicked, ARGV[4]), redis.call('HLEN', players),
  redis.call('HLEN', pending), seen}
"""
)

_PLAYER_META_FIELDS = (
    "status", "round", "round_state", "deadline", "seq", "closed_rounds", "remaining", "pool",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlayerView:
    meta: dict[str, str]
    player: dict[str, Any] | None
    log: str | None
    pending: str | None
    kicked: bool
    players: int
    decided: int
    seen: str | None = None
    """The answer already given to the message asked about (``player_view``'s ``ack_field``)."""

    @property
    def seq(self) -> int:
        return int(self.meta.get("seq") or 0)


@dataclass(frozen=True, slots=True)
class Snapshot:
    meta: dict[str, str]
    players: dict[str, dict[str, Any]]
    kicked: frozenset[str]
    pending: str | None
    log: str | None
    decided: int

    @property
    def seq(self) -> int:
        return int(self.meta.get("seq", "0"))


@dataclass(frozen=True, slots=True)
class ClosingRound:
    round: int
    pending: dict[str, str]
    logs: dict[str, str]
    kicked: frozenset[str]


@dataclass(frozen=True, slots=True)
class NotClosing:
    """Why a close was not begun: the round's deadline (ms, 0 for none) and its state; a
    ``closing`` round shows when its lease ends instead."""

    deadline: int
    round_state: str


class StoreError(Exception):
    """A script refused: ``code`` is a protocol or rule error code, or ``retry``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _pairs(flat: Sequence[str]) -> dict[str, str]:
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


class RoomStore:
    """Typed access to the room scripts; one instance per process, on one connection pool."""

    def __init__(self, redis: Redis, stream_cap: int, ttl_seconds: int) -> None:
        self.redis = redis
        # redis-py's command stubs type replies as bytes | str | Any; with decode_responses on
        # they are str, converted explicitly below, so plain commands go through an Any view.
        self._r: Any = redis
        self.stream_cap = stream_cap
        self.ttl_ms = ttl_seconds * 1000
        self._create = redis.register_script(_CREATE)
        self._join = redis.register_script(_JOIN)
        self._submit = redis.register_script(_SUBMIT)
        self._quiz = redis.register_script(_QUIZ)
        self._host = redis.register_script(_HOST)
        self._begin_close = redis.register_script(_BEGIN_CLOSE)
        self._commit_close = redis.register_script(_COMMIT_CLOSE)
        self._all_decided = redis.register_script(_ALL_CONNECTED_DECIDED)
        self._snapshot = redis.register_script(_SNAPSHOT)
        self._player = redis.register_script(_PLAYER)

    def _args(self, keys: RoomKeys, *rest: object) -> list[str]:
        return [keys.bus, str(self.stream_cap), str(self.ttl_ms), *(str(r) for r in rest)]

    @staticmethod
    def _check(reply: Any) -> list[Any]:
        if isinstance(reply, list) and reply and reply[0] == "err":
            raise StoreError(str(reply[1]))
        return list(reply)

    async def create(
        self,
        code: str,
        meta: Mapping[str, object],
        event: str,
        first_player: tuple[str, str, str] | None = None,
    ) -> bool:
        keys = RoomKeys(code)
        flat: list[object] = [len(meta)]
        for k, v in meta.items():
            flat += [k, v]
        flat += list(first_player) if first_player else ["", "", ""]
        flat.append(event)
        created = await self._create(keys=keys.all(), args=self._args(keys, *flat))
        return bool(created)

    async def join(
        self,
        code: str,
        player_id: str,
        player_json: str,
        log_json: str,
        max_players: int,
        closed_rounds: int,
        event: str,
    ) -> int:
        keys = RoomKeys(code)
        reply = self._check(
            await self._join(
                keys=keys.all(),
                args=self._args(
                    keys, player_id, player_json, log_json, max_players, closed_rounds, event
                ),
            )
        )
        return int(reply[1])

    async def submit(
        self, code: str, player_id: str, round_index: int, decisions: str, msg_id: str, now: int
    ) -> tuple[bool, int, int]:
        """Store a decision; returns (duplicate, decided, active players)."""
        keys = RoomKeys(code)
        reply = self._check(
            await self._submit(
                keys=keys.all(),
                args=self._args(
                    keys, player_id, round_index, decisions, f"{player_id}:{msg_id}", now
                ),
            )
        )
        _, decided, total = str(reply[1]).split("|")
        return bool(reply[0] == "dup"), int(decided), int(total)

    async def answer_quiz(
        self, code: str, player_id: str, msg_id: str, field: str, answer: int
    ) -> bool:
        keys = RoomKeys(code)
        reply = self._check(
            await self._quiz(
                keys=keys.all(),
                args=self._args(keys, f"{player_id}:{msg_id}", field, answer),
            )
        )
        return bool(reply[0] == "dup")

    async def host(
        self,
        code: str,
        action: str,
        now: int,
        rounds: int,
        seconds: int = 0,
        pool: bool = False,
        player_id: str = "",
    ) -> tuple[int, int]:
        """Apply a host action; returns (sequence number, round deadline in ms or 0)."""
        keys = RoomKeys(code)
        reply = self._check(
            await self._host(
                keys=keys.all(),
                args=self._args(
                    keys, action, now, seconds, "1" if pool else "0", player_id, rounds
                ),
            )
        )
        return int(reply[1]), int(float(reply[2] or 0))

    async def begin_close(
        self,
        code: str,
        round_index: int | None,
        instance: str,
        now: int,
        lease_ms: int,
        reason: Literal["all_decided", "deadline", "host"],
    ) -> ClosingRound | NotClosing | None:
        """Take the round for closing (``None``: the room is gone). ``round_index`` ``None``
        means whatever round is current (the deadline poller's case)."""
        keys = RoomKeys(code)
        wanted = "*" if round_index is None else round_index
        reply = await self._begin_close(
            keys=keys.all(),
            args=self._args(keys, wanted, instance, now, lease_ms, reason),
        )
        if not reply or reply[0] == "gone":
            return None
        if reply[0] == "no":
            return NotClosing(int(float(reply[1])), str(reply[2]))
        return ClosingRound(int(reply[4]), _pairs(reply[1]), _pairs(reply[2]), frozenset(reply[3]))

    async def commit_close(
        self,
        code: str,
        round_index: int,
        instance: str,
        logs: Mapping[str, str],
        events: Sequence[str],
        finished: bool,
    ) -> int | None:
        keys = RoomKeys(code)
        flat: list[object] = [round_index, instance, "1" if finished else "0", len(logs)]
        for player_id, log in logs.items():
            flat += [player_id, log]
        flat += list(events)
        reply = await self._commit_close(keys=keys.all(), args=self._args(keys, *flat))
        if not reply or reply[0] != "ok":
            return None
        return int(reply[1])

    async def waiting_connected(self, code: str, now: int) -> int:
        """How many connected, active players have not decided the open round."""
        keys = RoomKeys(code)
        return int(await self._all_decided(keys=keys.all(), args=self._args(keys, now)))

    async def snapshot(self, code: str, player_id: str = "") -> Snapshot | None:
        keys = RoomKeys(code)
        reply = await self._snapshot(keys=keys.all(), args=self._args(keys, player_id))
        if not reply or reply[0] != "ok":
            return None
        players = {pid: json.loads(raw) for pid, raw in _pairs(reply[2]).items()}
        return Snapshot(
            meta=_pairs(reply[1]),
            players=players,
            kicked=frozenset(reply[3]),
            pending=reply[4] or None,
            log=reply[5] or None,
            decided=int(reply[6]),
        )

    async def player_view(
        self, code: str, player_id: str, msg_id: str | None = None
    ) -> PlayerView | None:
        """One player's view; with ``msg_id``, also the answer already given to that message
        (in the same round trip)."""
        keys = RoomKeys(code)
        ack_field = f"{player_id}:{msg_id}" if msg_id is not None else ""
        reply = await self._player(keys=keys.all(), args=self._args(keys, player_id, ack_field))
        if not reply or reply[0] != "ok":
            return None
        meta = {k: v for k, v in zip(_PLAYER_META_FIELDS, reply[1], strict=True) if v is not None}
        return PlayerView(
            meta=meta,
            player=json.loads(reply[2]) if reply[2] else None,
            log=reply[3] or None,
            pending=reply[4] or None,
            kicked=bool(reply[5]),
            players=int(reply[6]),
            decided=int(reply[7]),
            seen=str(reply[8]) if len(reply) > 8 and reply[8] else None,
        )

    async def meta(self, code: str) -> dict[str, str]:
        raw: dict[str, str] = await self._r.hgetall(RoomKeys(code).meta)
        return raw

    async def logs_of(self, code: str, player_ids: Sequence[str]) -> dict[str, str | None]:
        if not player_ids:
            return {}
        values = await self._r.hmget(RoomKeys(code).logs, list(player_ids))
        return dict(zip(player_ids, values, strict=True))

    async def players(self, code: str) -> dict[str, dict[str, Any]]:
        raw: dict[str, str] = await self._r.hgetall(RoomKeys(code).players)
        return {pid: json.loads(v) for pid, v in raw.items()}

    async def pending(self, code: str) -> dict[str, str]:
        raw: dict[str, str] = await self._r.hgetall(RoomKeys(code).pending)
        return raw

    async def connected(self, code: str, now_ms: int) -> set[str]:
        """The players some instance counts as connected now (for the host's player list)."""
        raw: dict[str, str] = await self._r.hgetall(RoomKeys(code).presence)
        return {field.split("|", 1)[0] for field, until in raw.items() if int(until) > now_ms}

    async def set_presence(self, code: str, instance: str, until_ms: Mapping[str, int]) -> None:
        """Until when each player counts as connected, as this instance sees it."""
        if until_ms:
            keys = RoomKeys(code)
            fields = {f"{pid}|{instance}": until for pid, until in until_ms.items()}
            await self._r.hset(keys.presence, mapping=fields)
            await self._r.pexpire(keys.presence, self.ttl_ms)

    async def ack(self, code: str, player_id: str, msg_id: str) -> str | None:
        """The answer already given to this player's message, if it was seen."""
        answer = await self._r.hget(RoomKeys(code).acks, f"{player_id}:{msg_id}")
        return None if answer is None else str(answer)

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

    async def quiz_answers(self, code: str) -> dict[str, int]:
        keys = RoomKeys(code)
        raw: dict[str, str] = await self._r.hgetall(keys.quiz)
        return {k: int(v) for k, v in raw.items()}

    async def add_deadline(self, code: str, deadline_ms: int) -> None:
        await self._r.zadd(DEADLINES_KEY, {code: deadline_ms})

    async def remove_deadline(self, code: str) -> None:
        await self._r.zrem(DEADLINES_KEY, code)

    async def due_rooms(self, now: int, limit: int = 50) -> list[str]:
        codes = await self._r.zrangebyscore(DEADLINES_KEY, "-inf", now, start=0, num=limit)
        return [str(c) for c in codes]

    async def exists(self, code: str) -> bool:
        return bool(await self._r.exists(RoomKeys(code).meta))
