"""The room master: every change to a room goes through here.

For each command it loads the room's state, asks the room reducer (``game_server/room``) what
happens, and stores the answer with a version check, so two instances never both change a room
(a stale writer reloads and decides again). A player's decision is the hot path: the engine
checks it against the player's life (cached by room, player and closed rounds), and one script
stores it. A round is closed by whichever instance takes its lease; it plays every life once and
writes each player's views beside the new logs, so the other instances only forward them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from game_server.config import Settings
from game_server.content.schema import Scenario
from game_server.engine import (
    Counterfactual,
    Decide,
    LifeState,
    RuleViolation,
    apply,
    check,
    counterfactual,
    default_decisions,
    drawn_death_age,
    plan_stages,
)
from game_server.engine.counterfactual import TwinKey
from game_server.engine.decisions import Decisions
from game_server.engine.scoring import LifeSummary
from game_server.outbox.items import life_entry, quiz_entry, room_entry, split_items
from game_server.protocol import errors
from game_server.protocol.codec import encode
from game_server.protocol.errors import ProtocolError
from game_server.protocol.messages import CreateRoom, HostAction, QuizAnswer
from game_server.protocol.messages import Decide as DecideMessage
from game_server.protocol.outbound import Ack, Joined, RoomCreated, Snapshot
from game_server.room import (
    BUSY,
    Applied,
    BeginClose,
    CloseReason,
    CommitClose,
    End,
    Expire,
    Join,
    Kick,
    OpenRound,
    Pause,
    Refused,
    Resume,
    RoomCommand,
    RoomState,
    RoundState,
    Start,
    Status,
    new_room,
)
from game_server.room import apply as room_apply
from game_server.service.closing import (
    OVER,
    FreshResults,
    RoomLives,
    RoundCloser,
    end_views,
    over_view,
    player_views,
)
from game_server.service.lives import (
    LifeCache,
    decision_from_text,
    decision_text,
    decisions_from_message,
    decisions_to_dict,
    decode_log,
    encode_log,
)
from game_server.service.nicknames import clean_nickname
from game_server.service.room_stats import game_stats, room_seed, roster_view
from game_server.stores.results import ResultsStore
from game_server.stores.room_store import (
    KEY_LOGS,
    KEY_OUTBOX,
    KEY_PENDING,
    KEY_PLAYERS,
    KEY_RESULTS,
    Committed,
    Conflict,
    Op,
    RoomStore,
    StoredRoom,
    StoreError,
)

log = logging.getLogger(__name__)


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


PRE_POST_QUESTIONS = 3
CONTEXT_FRESH_SECONDS = 600.0
HOST = "host"
YIELD_EVERY = 25
"""Lives played between two yields to the event loop while a big room's round closes."""


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is on a connection: a player of a room, or its host (``player_id`` ``None``)."""

    code: str
    player_id: str | None

    @property
    def is_host(self) -> bool:
        return self.player_id is None


@dataclass(frozen=True, slots=True)
class RoomContext:
    """What never changes in a room once it exists."""

    code: str
    scenario: Scenario
    seed: int
    mode: Literal["solo", "workshop"]
    rounds: int
    round_seconds: int

    @property
    def lives(self) -> RoomLives:
        return RoomLives(self.code, self.scenario, self.seed, self.rounds)


_REFUSALS = {
    errors.ROOM_NOT_FOUND: "there is no such room",
    errors.ROOM_GONE: "this room has ended and is gone; start or join another",
    errors.ROOM_FULL: "the room is full",
    errors.ROOM_STATE: "that does not fit the room's state now",
    errors.PLAYER_NOT_FOUND: "there is no such player",
    errors.KICKED: "the host removed you from this room",
    "rule/round_closed": "that round is not open",
}


def _refusal(code: str, msg_id: str | None = None) -> ProtocolError:
    return ProtocolError(code, _REFUSALS.get(code, code), msg_id)


def _gone(msg_id: str | None = None) -> ProtocolError:
    return _refusal(errors.ROOM_GONE, msg_id)


class RoomService:
    def __init__(
        self,
        store: RoomStore,
        scenarios: Mapping[str, Scenario],
        settings: Settings,
        results: ResultsStore | None = None,
        now_ms: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.store = store
        self.scenarios = scenarios
        self.settings = settings
        self.results = results
        """Where results are stored at once when SQL answers (``None``: only the outbox)."""
        self.now_ms = now_ms
        self.instance = settings.instance_id
        self._holders = itertools.count()
        # Per process, not per instance id: a restarted instance keeps its id (set by the
        # operator), and its new attempts must not pass for its dead process's.
        self._holder_prefix = f"{self.instance}/{secrets.token_hex(4)}"
        self.cache = LifeCache()
        self.fresh = FreshResults()
        self._contexts: dict[str, tuple[RoomContext, float]] = {}
        self._background: set[asyncio.Task[None]] = set()

    # --- Rooms and players ----------------------------------------------------------------

    async def context(self, code: str, gone: bool = True) -> RoomContext:
        """The room's fixed facts (cached). A missing room is ``room/gone`` to a connection
        already in it (``gone``), ``room/not_found`` to someone typing a code."""
        cached = self._contexts.get(code)
        now = time.monotonic()
        # A room's context never changes, but an expired room's code can be drawn again for a
        # new room: an entry unused for a while is read again (rooms expire only when idle).
        if cached is not None and now - cached[1] < CONTEXT_FRESH_SECONDS:
            self._contexts[code] = (cached[0], now)
            return cached[0]
        meta = await self.store.meta(code)
        if not meta:
            if gone:
                raise _gone()
            raise ProtocolError(errors.ROOM_NOT_FOUND, f"there is no room {code}")
        ctx = RoomContext(
            code=code,
            scenario=self.scenarios[meta["scenario"]],
            seed=int(meta["seed"]),
            mode="solo" if meta["mode"] == "solo" else "workshop",
            rounds=int(meta["rounds"]),
            round_seconds=int(meta["round_seconds"]),
        )
        if len(self._contexts) > 10_000:
            self._contexts.clear()
        self._contexts[code] = (ctx, now)
        return ctx

    async def create_room(self, msg: CreateRoom) -> RoomCreated:
        scenario = self.scenarios.get(msg.scenario_id)
        if scenario is None:
            raise ProtocolError(
                errors.SCENARIO_NOT_FOUND, f"no scenario {msg.scenario_id!r}", msg.client_msg_id
            )
        passcode = self.settings.trainer_passcode
        if (
            msg.mode == "workshop"
            and passcode
            and not hmac.compare_digest((msg.passcode or "").encode(), passcode.encode())
        ):
            raise ProtocolError(errors.PASSCODE, "a trainer passcode is needed", msg.client_msg_id)
        solo = msg.mode == "solo"
        seed = room_seed(scenario)
        rounds = len(plan_stages(scenario, drawn_death_age(scenario, seed)))
        seconds = msg.round_seconds or self.settings.default_round_seconds
        host_secret = secrets.token_urlsafe(16)
        now = self.now_ms()
        nickname = clean_nickname(msg.nickname)
        player_id = player_secret = ""
        ops: list[Op] = []
        if solo:
            player_id, player_secret = secrets.token_hex(4), secrets.token_urlsafe(16)
            player = self._player_json(nickname, player_secret, now)
            ops = [
                Op("hset", KEY_PLAYERS, player_id, player),
                Op("hset", KEY_LOGS, player_id, "[]"),
            ]
        made = new_room(
            msg.mode,
            rounds,
            1 if solo else self.settings.max_players_per_room,
            (player_id, nickname) if solo else None,
        )
        fixed: dict[str, object] = {
            "scenario": scenario.id,
            "scenario_version": scenario.version,
            "seed": seed,
            "round_seconds": seconds,
            "host_th": _hash(host_secret),
            "created": now,
            "seq": 0,
        }
        for _ in range(20):
            code = f"{secrets.randbelow(1_000_000):06d}"
            await self.store.mark_active(code, now)
            written = await self.store.transition(
                code, None, made.state, made.events, ops, fixed=fixed
            )
            if isinstance(written, Committed):
                break
        else:  # pragma: no cover - a million codes, twenty tries
            raise ProtocolError(errors.INTERNAL, "could not find a free room code")
        seat: dict[str, Any] = (
            {
                "player_id": player_id,
                "player_token": f"{code}.{player_id}.{player_secret}",
                "nickname": nickname,
            }
            if solo
            else {"host_token": f"{code}.{HOST}.{host_secret}"}
        )
        if self.settings.public_url:
            seat["join_url"] = f"{self.settings.public_url.rstrip('/')}/?room={code}"
        return RoomCreated(
            type="room_created",
            client_msg_id=msg.client_msg_id,
            code=code,
            mode=msg.mode,
            scenario_id=scenario.id,
            rounds=rounds,
            **seat,
        )

    @staticmethod
    def _player_json(nickname: str, secret: str, now: int) -> str:
        return json.dumps({"nick": nickname, "th": _hash(secret), "joined": now})

    def _tap_through(self, ctx: RoomContext, closed: int) -> list[Decisions]:
        """A late joiner's past rounds: the default choices (the same for every late joiner)."""
        life = self.cache.life(ctx.scenario, ctx.code, ctx.seed, "", [])
        past: list[Decisions] = []
        while len(past) < closed and not life.finished:
            d = default_decisions(ctx.scenario, life)
            result = apply(ctx.scenario, life, Decide(life.round, d))
            assert not isinstance(result, RuleViolation)
            past.append(d)
            life = result.state
            self.cache.put((ctx.code, ctx.seed, "", len(past)), life)
        return past

    async def join(
        self, code: str, nickname: str | None, msg_id: str = "join"
    ) -> tuple[Identity, Joined]:
        ctx = await self.context(code, gone=False)
        name = clean_nickname(nickname)
        for _ in range(25):
            stored = await self.store.load(code)
            if stored is None:
                raise ProtocolError(errors.ROOM_NOT_FOUND, f"there is no room {code}")
            player_id, secret = secrets.token_hex(4), secrets.token_urlsafe(16)
            joined = room_apply(stored.state, Join(player_id, name))
            if isinstance(joined, Refused):
                if joined.code == BUSY:  # a round is closing: join just after it
                    await asyncio.sleep(0.2)
                    continue
                raise _refusal(joined.code)
            past = self._tap_through(ctx, stored.state.closed_rounds)
            try:
                await self.store.join(
                    code,
                    stored.state.version,
                    stored.state.capacity,
                    player_id,
                    self._player_json(name, secret, self.now_ms()),
                    encode_log(past),
                    joined.events[0],
                )
            except StoreError as exc:
                if exc.code == "retry":
                    continue
                raise _refusal(errors.ROOM_FULL if exc.code == "full" else exc.code) from None
            await self.store.mark_active(code, self.now_ms())
            return Identity(code, player_id), Joined(
                type="joined",
                client_msg_id=msg_id,
                code=code,
                player_id=player_id,
                player_token=f"{code}.{player_id}.{secret}",
                nickname=name,
            )
        raise ProtocolError(errors.INTERNAL, "the room was too busy; try again")

    async def authenticate(self, token: str) -> Identity:
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) != 6:
            raise ProtocolError(errors.BAD_TOKEN, "this token is not valid")
        code, who, secret = parts
        if who == HOST:
            meta = await self.store.meta(code)
            expected = meta.get("host_th", "") if meta else ""
            if not meta or not hmac.compare_digest(expected, _hash(secret)):
                raise ProtocolError(errors.BAD_TOKEN, "this token is not valid")
            return Identity(code, None)
        view = await self.store.player_view(code, who)
        if view is None or view.player is None:
            raise ProtocolError(errors.BAD_TOKEN, "this token is not valid")
        if not hmac.compare_digest(str(view.player.get("th", "")), _hash(secret)):
            raise ProtocolError(errors.BAD_TOKEN, "this token is not valid")
        if view.kicked:
            raise ProtocolError(errors.KICKED, "the host removed you from this room")
        return Identity(code, who)

    async def mark_presence(self, code: str, seconds: Mapping[str, float]) -> bool:
        """For how long from now each player counts as present as this instance sees them (a
        connection: until the next heartbeat; a drop: the reconnect grace; 0: gone). False when
        the room itself is gone."""
        now = self.now_ms()
        return await self.store.set_presence(
            code,
            self.instance,
            {pid: now + int(s * 1000) if s else 0 for pid, s in seconds.items()},
        )

    # --- Snapshots --------------------------------------------------------------------------

    async def snapshot(self, ident: Identity) -> Snapshot:
        """Everything a client needs to draw its screen now (sent on join and on resume)."""
        ctx = await self.context(ident.code)
        if ident.is_host:
            view = await self.store.room_view(ident.code, self.now_ms())
            if view is None:
                raise _gone()
            # Who is connected is not room state (it comes and goes): the roster has it.
            players = roster_view(view.players, view.kicked, view.pending, None)
            out = self._room_view(ctx, view.meta, len(view.pending), len(view.players))
            return Snapshot(type="snapshot", role="host", seq=view.seq, players=players, **out)
        assert ident.player_id is not None
        pview = await self.store.player_view(ident.code, ident.player_id)
        if pview is None or pview.player is None:
            raise _gone()
        life = self.cache.life(
            ctx.scenario, ctx.code, ctx.seed, ident.player_id, decode_log(pview.log)
        )
        out = self._room_view(ctx, pview.meta, pview.decided, pview.players)
        out.update(
            {
                "type": "snapshot",
                "role": "player",
                "seq": pview.seq,
                "player_id": ident.player_id,
                "nickname": pview.player["nick"],
                **player_views(ctx.scenario, life),
                "pending": self._pending_view(pview.pending),
            }
        )
        out["last_stage"] = out.pop("stage")
        if life.finished or pview.meta.get("status") == Status.FINISHED:
            out.update(over_view(counterfactual(ctx.scenario, life)))
        return Snapshot.model_validate(out)

    @staticmethod
    def _pending_view(raw: str | None) -> dict[str, Any] | None:
        return None if raw is None else decisions_to_dict(decision_from_text(raw))

    @staticmethod
    def _room_view(
        ctx: RoomContext, meta: Mapping[str, str], decided: int, players: int
    ) -> dict[str, Any]:
        return {
            "code": ctx.code,
            "mode": ctx.mode,
            "scenario_id": ctx.scenario.id,
            "quiz_ids": [q.id for q in ctx.scenario.quiz[:PRE_POST_QUESTIONS]],
            "rounds": ctx.rounds,
            "room_status": meta.get("status"),
            "round": int(meta.get("round") or 0),
            "round_state": meta.get("round_state"),
            "deadline": int(meta.get("deadline") or 0),
            "remaining": int(meta.get("remaining") or 0),
            "pool": meta.get("pool") == "1",
            "decided": decided,
            "player_count": players,
        }

    async def roster(self, code: str) -> list[dict[str, Any]]:
        """The host's player list now: who is present, who has decided the open round."""
        view = await self.store.room_view(code, self.now_ms())
        if view is None:
            raise ProtocolError(errors.ROOM_NOT_FOUND, f"there is no room {code}")
        return roster_view(view.players, view.kicked, view.pending, set(view.connected))

    async def personal_results(
        self, code: str, player_ids: list[str], over: bool, seq: int | None = None
    ) -> dict[str, str]:
        """Each player's views after the last closed round (``over``: with the end of the life)
        as JSON objects, as the closer wrote them (from memory when this instance's close
        published event ``seq``, else from Redis); rebuilt from the log only for a player the
        closer did not see (one who joined after it read the room)."""
        fields = [pid + OVER if over else pid for pid in player_ids]
        fresh = None if seq is None else self.fresh.of(code, seq)
        stored = (
            {f: fresh.get(f) for f in fields}
            if fresh is not None
            else await self.store.results_of(code, fields)
        )
        out: dict[str, str] = {}
        missing = [pid for pid, f in zip(player_ids, fields, strict=True) if not stored.get(f)]
        for pid, f in zip(player_ids, fields, strict=True):
            text = stored.get(f)
            if text:
                out[pid] = text
        if missing:
            ctx = await self.context(code)
            logs = await self.store.logs_of(code, missing)
            for pid in missing:
                life = self.cache.life(ctx.scenario, code, ctx.seed, pid, decode_log(logs[pid]))
                views = (
                    end_views(ctx.scenario, life, counterfactual(ctx.scenario, life))
                    if over
                    else player_views(ctx.scenario, life, timeline=False)
                )
                out[pid] = encode(views)
        return out

    # --- Player actions ---------------------------------------------------------------------

    async def decide(self, ident: Identity, msg: DecideMessage) -> Ack:
        if ident.player_id is None:
            raise ProtocolError(errors.NOT_IN_ROOM, "the host does not play", msg.client_msg_id)
        pid, mid = ident.player_id, msg.client_msg_id
        ctx = await self.context(ident.code)
        life = self.cache.get((ctx.code, ctx.seed, pid, msg.round))
        if life is None:  # this instance did not close the last round (or restarted)
            log_text = await self.store.log_of(ctx.code, pid)
            if log_text is None:
                raise (
                    _gone(mid)
                    if not await self.store.exists(ctx.code)
                    else _refusal(errors.PLAYER_NOT_FOUND, mid)
                )
            life = self.cache.life(ctx.scenario, ctx.code, ctx.seed, pid, decode_log(log_text))
        decisions = decisions_from_message(msg.decisions)
        violation = check(ctx.scenario, life, Decide(msg.round, decisions))
        if violation is not None:
            seen = await self.store.ack(ctx.code, pid, mid)
            if seen is not None:  # a resend of what was accepted before its round closed
                return self._ack(msg, seen)
            raise ProtocolError(violation.code, violation.message, mid)
        try:
            duplicate, answer = await self.store.submit(
                ctx.code,
                pid,
                msg.round,
                decision_text(decisions),
                mid,
                self.now_ms(),
                decisions.pension.value,
                decisions.medical.value,
            )
        except StoreError as exc:
            raise _refusal(exc.code, mid) from None
        if answer.endswith("|1") and not duplicate:
            # After the ack: the ack is queued before this task runs, so the player hears
            # "accepted" before the round it closed.
            self._spawn(self.close_round(ctx.code, msg.round, "all_decided"))
        return self._ack(msg, answer)

    @staticmethod
    def _ack(msg: DecideMessage, answer: str) -> Ack:
        round_text, decided, total, everyone = answer.split("|")
        return Ack(
            type="ack",
            client_msg_id=msg.client_msg_id,
            round=int(round_text),
            decided=int(decided),
            total=int(total),
            all_decided=everyone == "1",
        )

    async def answer_quiz(self, ident: Identity, msg: QuizAnswer) -> Ack:
        if ident.player_id is None:
            raise ProtocolError(errors.NOT_IN_ROOM, "the host does not answer", msg.client_msg_id)
        ctx = await self.context(ident.code)
        asked = {q.id: q for q in ctx.scenario.quiz[:PRE_POST_QUESTIONS]}
        question = asked.get(msg.question_id)
        if question is None or msg.answer >= len(question.options):
            raise ProtocolError(
                errors.INVALID_MESSAGE, "no such question or option", msg.client_msg_id
            )
        field = f"{ident.player_id}:{msg.phase}:{msg.question_id}"
        correct = msg.answer == question.answer
        now = self.now_ms()
        item = quiz_entry(
            ctx.code, ident.player_id, question.id, msg.phase, msg.answer, correct, _utc(now)
        )
        # Not the decisions' "player:id" ack field: a decide may reuse a quiz answer's id.
        try:
            await self.store.answer_quiz(
                ident.code,
                f"{ident.player_id}|quiz",
                msg.client_msg_id,
                field,
                msg.answer,
                item,
                now,
            )
        except StoreError:
            raise _gone(msg.client_msg_id) from None
        if msg.phase == "post":
            return Ack(
                type="ack", client_msg_id=msg.client_msg_id, correct=correct, answer=question.answer
            )
        # Before the game the answer stays hidden: the room measures what it knew.
        return Ack(type="ack", client_msg_id=msg.client_msg_id)

    # --- Host actions -----------------------------------------------------------------------

    async def host_action(self, ident: Identity, msg: HostAction) -> Ack:
        if not ident.is_host:
            raise ProtocolError(errors.NOT_HOST, "only the host can do that", msg.client_msg_id)
        ctx = await self.context(ident.code)
        mid = msg.client_msg_id
        if msg.action == "close_round":
            if not await self.close_round(ident.code, None, "host"):
                if not await self.store.exists(ident.code):
                    raise _gone(mid)
                raise ProtocolError(errors.ROOM_STATE, "no round is open", mid)
            return Ack(type="ack", client_msg_id=mid)
        if msg.action == "end":
            seq = await self.dispose(ctx, End())
            if seq is None:
                raise _refusal(errors.ROOM_STATE, mid)
            return Ack(type="ack", client_msg_id=mid, seq=seq, deadline=0)
        seconds = (msg.seconds or ctx.round_seconds) if ctx.mode == "workshop" else 0
        now = self.now_ms()

        def command(stored: StoredRoom) -> RoomCommand:
            match msg.action:
                case "start":
                    return Start(now, seconds, msg.pool)
                case "open_round":
                    return OpenRound(now, seconds, msg.pool)
                case "pause":
                    return Pause(now)
                case "resume":
                    return Resume(now)
                case _:
                    return Kick(msg.player_id or "", stored.seated)

        if seconds and msg.action in ("start", "open_round", "resume"):
            # Due at once until the real deadline is written: if this instance dies in between,
            # a poller finds the room and repairs the entry from the room's own state.
            await self.store.add_deadline(ctx.code, now)
        target = msg.player_id if msg.action == "kick" else None
        applied, committed = await self._change(ctx.code, command, target, mid)
        state = applied.state
        if state.deadline:
            await self.store.add_deadline(ctx.code, state.deadline)
        elif msg.action == "pause":
            await self.store.remove_deadline(ctx.code)
        return Ack(type="ack", client_msg_id=mid, seq=committed.seq, deadline=state.deadline)

    async def _change(
        self,
        code: str,
        command: Callable[[StoredRoom], RoomCommand],
        seated: str | None = None,
        msg_id: str | None = None,
    ) -> tuple[Applied, Committed]:
        """Load, decide, store with a version check; again from the start when someone changed
        the room in between. A refusal is the reducer's code."""
        for _ in range(20):
            stored = await self.store.load(code, seated)
            if stored is None:
                raise _gone(msg_id)
            result = room_apply(stored.state, command(stored))
            if isinstance(result, Refused):
                raise ProtocolError(result.code, result.reason, msg_id)
            written = await self.store.transition(
                code, stored.state.version, result.state, result.events
            )
            if written is None:
                raise _gone(msg_id)
            if isinstance(written, Conflict):
                continue
            await self.store.mark_active(code, self.now_ms())
            return result, written
        raise ProtocolError(errors.INTERNAL, "the room was too busy; try again", msg_id)

    # --- Closing rounds ---------------------------------------------------------------------

    async def close_round(self, code: str, round_index: int | None, reason: CloseReason) -> bool:
        """Close the round if this instance wins its lease; True when it was closed here."""
        lease = int(self.settings.round_close_lease_seconds * 1000)
        # One holder per attempt, not per instance: a close of this instance that outlived its
        # lease must not commit over the one that took the round over.
        holder = f"{self._holder_prefix}.{next(self._holders)}"
        for _ in range(20):
            now = self.now_ms()
            stored = await self.store.load(code)
            if stored is None:
                await self.store.forget_room(code)
                return False
            begun = room_apply(stored.state, BeginClose(holder, now, lease, reason, round_index))
            if isinstance(begun, Refused):
                if reason == "deadline":
                    await self._repair_deadline(code, stored.state)
                return False
            # Found by the poller once the lease has run out, should this instance die closing.
            await self.store.add_deadline(code, now + lease)
            taken = await self.store.transition(
                code,
                stored.state.version,
                begun.state,
                begun.events,
                reads=(KEY_PLAYERS, KEY_LOGS, KEY_PENDING),
            )
            if taken is None:
                await self.store.forget_room(code)
                return False
            if isinstance(taken, Conflict):
                continue
            ctx = await self.context(code)
            players, logs, pending = taken.reads
            if self.settings.fault_close_pause_seconds:
                await asyncio.sleep(self.settings.fault_close_pause_seconds)
            return await self._finish_close(ctx, holder, begun.state, players, logs, pending)
        return False

    async def keep_deadline(self, code: str) -> None:
        """Write the room's deadline entry again from its state. An entry can be lost with the
        index's shard in a cluster failover (asynchronous replication); the presence heartbeat
        calls this for the rooms with connections here, so such a round still closes on time
        (at worst a heartbeat late). Never removes an entry: a change may be about to add one."""
        stored = await self.store.load(code)
        if stored is None:
            return
        state = stored.state
        if state.round_state is RoundState.CLOSING and state.lease is not None:
            await self.store.add_deadline(code, state.lease.until)
        elif (
            state.round_state is RoundState.OPEN
            and state.status is Status.PLAYING
            and state.deadline
        ):
            await self.store.add_deadline(code, state.deadline)

    async def _repair_deadline(self, code: str, state: RoomState) -> None:
        if state.round_state is RoundState.CLOSING and state.lease is not None:
            await self.store.add_deadline(code, state.lease.until)
        elif state.round_state is RoundState.OPEN and state.deadline:
            await self.store.add_deadline(code, state.deadline)
        else:
            await self.store.remove_deadline(code)

    async def _finish_close(
        self,
        ctx: RoomContext,
        holder: str,
        state: RoomState,
        players_raw: Mapping[str, str],
        logs: Mapping[str, str],
        pending: Mapping[str, str],
    ) -> bool:
        players = {pid: str(json.loads(raw)["nick"]) for pid, raw in players_raw.items()}
        closer = RoundCloser(
            ctx.lives, self.cache, state.round, players, logs, pending, state.kicked
        )
        for i, pid in enumerate(closer.seated):
            closer.play(pid)
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # a big room must not starve the other connections
        for i, pid in enumerate(closer.seated):
            closer.view(pid)
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
        extra, over = closer.figures(state.pool)
        ops = [Op("hset", KEY_LOGS, pid, text) for pid, text in closer.new_logs.items()]
        ops.append(Op("del", KEY_PENDING))
        ops += [Op("hset", KEY_RESULTS, f, text) for f, text in closer.results.items()]
        if closer.finished:
            ops += await self._save(ctx, players, closer.lives, closer.counterfactuals, False)
        expected = state.version
        for _ in range(20):
            command = CommitClose(holder, state.round, self.now_ms(), extra, over)
            committed = room_apply(state, command)
            if isinstance(committed, Refused):
                return False  # another instance took the round over after our lease ran out
            written = await self.store.transition(
                ctx.code, expected, committed.state, committed.events, ops
            )
            if written is None:
                return False
            if isinstance(written, Conflict):
                # The host paused, kicked or ended meanwhile: the same commit on the new state.
                stored = await self.store.load(ctx.code)
                if stored is None:
                    return False
                state, expected = stored.state, stored.state.version
                continue
            break
        else:
            return False
        published = sum(1 for e in committed.events if e.public)
        self.fresh.keep(ctx.code, written.seq - published + 1, written.seq, closer.results)
        await self.store.remove_deadline(ctx.code)
        await self.store.mark_active(ctx.code, self.now_ms())
        return True

    async def poll_deadlines(self) -> int:
        """Close every round whose deadline (or whose closer's lease) has passed; any instance
        may, one wins."""
        now = self.now_ms()
        closed = 0
        for code in await self.store.due_rooms(now):
            try:
                if await self.close_round(code, None, "deadline"):
                    closed += 1
            except ProtocolError:
                await self.store.remove_deadline(code)
        return closed

    # --- The end of a room ------------------------------------------------------------------

    async def dispose(self, ctx: RoomContext, command: End | Expire) -> int | None:
        """End the room (by its host, or idle): every life as far as it got is saved and each
        player's end is written for them. Returns the sequence number of ``game_over``, or
        ``None`` when the room was over (or gone) already."""
        for _ in range(20):
            stored = await self.store.load(ctx.code)
            if stored is None:
                return None
            ended = room_apply(stored.state, command)
            if isinstance(ended, Refused):
                return None
            players_raw, logs = await self.store.room_data(ctx.code)
            players = {pid: str(json.loads(raw)["nick"]) for pid, raw in players_raw.items()}
            lives: dict[str, LifeState] = {}
            cfs: dict[str, Counterfactual] = {}
            twins: dict[TwinKey, LifeSummary] = {}  # one seed: lives alike share their twins
            ops: list[Op] = []
            for i, pid in enumerate(players):
                life = self.cache.life(
                    ctx.scenario, ctx.code, ctx.seed, pid, decode_log(logs.get(pid))
                )
                lives[pid] = life
                cf = cfs[pid] = counterfactual(ctx.scenario, life, twins)
                views = end_views(ctx.scenario, life, cf)
                ops.append(Op("hset", KEY_RESULTS, pid + OVER, encode(views)))
                if i % YIELD_EVERY == YIELD_EVERY - 1:
                    await asyncio.sleep(0)
            ops += await self._save(ctx, players, lives, cfs, True)
            written = await self.store.transition(
                ctx.code, stored.state.version, ended.state, ended.events, ops
            )
            if written is None:
                return None
            if isinstance(written, Conflict):
                continue
            await self.store.remove_deadline(ctx.code)
            return written.seq
        return None

    async def dispose_idle(self) -> int:
        """Dispose of rooms nobody changed for the idle time (their lives are saved first)."""
        since = self.now_ms() - self.settings.room_idle_seconds * 1000
        disposed = 0
        for code in await self.store.idle_rooms(since):
            try:
                ctx = await self.context(code)
            except ProtocolError:
                await self.store.forget_room(code)
                continue
            if await self.dispose(ctx, Expire()) is not None:
                disposed += 1
            await self.store.forget_room(code)
            self.fresh.forget(code)  # its last close's views: nobody will be sent them now
        return disposed

    # --- Results ----------------------------------------------------------------------------

    async def _save(
        self,
        ctx: RoomContext,
        players: Mapping[str, str],
        lives: Mapping[str, LifeState],
        cfs: Mapping[str, Counterfactual],
        ended_early: bool,
    ) -> list[Op]:
        """Every life played (finished, or as far as it got) and the room's summary: stored in
        SQL now when it answers, so ``game_over`` finds them there; otherwise returned as outbox
        writes for the same step that ends the game (durable; the drainer retries until SQL
        acknowledges them, and the export says how many are pending)."""
        now = self.now_ms()
        at = _utc(now)
        items = [
            life_entry(
                ctx.code,
                ctx.scenario.version,
                ctx.mode,
                pid,
                players.get(pid, ""),
                cfs[pid],
                at,
            )
            for pid in cfs
            if lives[pid].history
        ]
        stats: dict[str, Any] = game_stats(
            {pid: cfs[pid].actual for pid in cfs if lives[pid].history}
        )
        stats["ended_by_host"] = ended_early
        meta = await self.store.meta(ctx.code)
        created = _utc(int(meta.get("created") or now))
        items.append(
            room_entry(
                ctx.code,
                ctx.scenario.id,
                ctx.mode,
                len(players),
                created,
                at,
                stats,
                # so the trainer can export for as long as SQL keeps the results
                host_token_hash=meta.get("host_th") or None,
            )
        )
        if self.results is not None:
            # Within the close's lease: a database that is slow or locked is not waited for
            # (the write may still land later; the outbox's copy is the same rows, upserted).
            budget = self.settings.round_close_lease_seconds / 3
            try:
                await asyncio.wait_for(self.results.save_batch(*split_items(items)), budget)
                return []
            except Exception as exc:
                log.warning("results not stored now (%r); they go through the outbox", exc)
        await self.store.index_outbox(ctx.code, now)
        return [Op("hset", KEY_OUTBOX, field, text) for field, text in items]

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._background.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)

    async def drain(self) -> None:
        """Wait for background work (closes, result saving) — on shutdown and in tests."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
