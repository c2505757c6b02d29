"""The room master: every change to a room goes through here.

It loads what it needs from the room store, checks the command (the protocol has already checked
its shape; the engine checks the rules), applies it with one atomic store script, and leaves the
fan-out to the transport, which reads the room's event bus. Any instance can serve any player:
all shared state is in Redis, and a round is closed by whichever instance takes its short lease.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from game_server.config import Settings
from game_server.content.schema import Scenario
from game_server.engine import (
    Counterfactual,
    Decide,
    LifeState,
    PoolMember,
    RuleViolation,
    apply,
    check,
    counterfactual,
    default_decisions,
    drawn_death_age,
    plan_stages,
    reaches_retirement,
    risk_pool,
    summarize,
)
from game_server.engine.decisions import Decisions
from game_server.engine.events import Happening
from game_server.protocol import errors
from game_server.protocol.codec import encode
from game_server.protocol.errors import ProtocolError
from game_server.protocol.messages import CreateRoom, DecisionsIn, HostAction, QuizAnswer
from game_server.protocol.messages import Decide as DecideMessage
from game_server.service.debrief import talking_points
from game_server.service.lives import (
    LifeCache,
    decisions_from_message,
    decode_log,
    encode_log,
)
from game_server.service.nicknames import clean_nickname
from game_server.service.views import counterfactual_view, stage_view, status_view, summary_view
from game_server.stores.room_store import (
    ClosingRound,
    NotClosing,
    PlayerView,
    RoomStore,
    StoreError,
)

log = logging.getLogger(__name__)

PRE_POST_QUESTIONS = 3
CONTEXT_FRESH_SECONDS = 600.0
LEADERBOARD_SIZE = 10
HOST = "host"


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


@dataclass(frozen=True, slots=True)
class FinishedLife:
    player_id: str
    nickname: str
    counterfactual: Counterfactual
    finished: bool


class ResultsSink:
    """Where finished lives and quiz answers go: the SQL results store in the server
    (``service/results_sink.py``); this base keeps nothing, for tests of other things."""

    async def save_lives(self, ctx: RoomContext, lives: list[FinishedLife]) -> None:
        return None

    async def save_quiz(self, ctx: RoomContext, rows: list[dict[str, Any]]) -> None:
        return None

    async def save_room(self, ctx: RoomContext, players: int, stats: dict[str, Any]) -> None:
        return None


class RoomService:
    def __init__(
        self,
        store: RoomStore,
        scenarios: Mapping[str, Scenario],
        settings: Settings,
        results: ResultsSink | None = None,
        now_ms: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.store = store
        self.scenarios = scenarios
        self.settings = settings
        self.results = results or ResultsSink()
        self.now_ms = now_ms
        self.instance = settings.instance_id
        self.cache = LifeCache()
        self._contexts: dict[str, tuple[RoomContext, float]] = {}
        self._checks: set[str] = set()
        self._background: set[asyncio.Task[None]] = set()

    # --- Rooms and players ----------------------------------------------------------------

    async def context(self, code: str) -> RoomContext:
        cached = self._contexts.get(code)
        now = time.monotonic()
        # A room's context never changes, but an expired room's code can be drawn again for a
        # new room: an entry unused for a while is read again (rooms expire only when idle).
        if cached is not None and now - cached[1] < CONTEXT_FRESH_SECONDS:
            self._contexts[code] = (cached[0], now)
            return cached[0]
        meta = await self.store.meta(code)
        if not meta:
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

    async def create_room(self, msg: CreateRoom) -> dict[str, Any]:
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
        meta: dict[str, object] = {
            "scenario": scenario.id,
            "scenario_version": scenario.version,
            "mode": msg.mode,
            "seed": seed,
            "status": "playing" if solo else "lobby",
            "round": 0,
            "round_state": "open" if solo else "none",
            "deadline": 0,
            "remaining": 0,
            "pool": 0,
            "seq": 0,
            "closed_rounds": 0,
            "rounds": rounds,
            "round_seconds": seconds,
            "host_th": _hash(host_secret),
            "created": now,
        }
        first: tuple[str, str, str] | None = None
        player_id = player_secret = ""
        nickname = clean_nickname(msg.nickname)
        if solo:
            player_id, player_secret = secrets.token_hex(4), secrets.token_urlsafe(16)
            first = (player_id, self._player_json(nickname, player_secret, now), "[]")
        event = encode({"kind": "room_created", "mode": msg.mode, "scenario": scenario.id})
        for _ in range(20):
            code = f"{secrets.randbelow(1_000_000):06d}"
            if await self.store.create(code, meta, event, first):
                break
        else:  # pragma: no cover - a million codes, twenty tries
            raise ProtocolError(errors.INTERNAL, "could not find a free room code")
        reply: dict[str, Any] = {
            "type": "room_created",
            "code": code,
            "mode": msg.mode,
            "scenario_id": scenario.id,
            "rounds": rounds,
        }
        if solo:
            reply["player_id"] = player_id
            reply["player_token"] = f"{code}.{player_id}.{player_secret}"
            reply["nickname"] = nickname
        else:
            reply["host_token"] = f"{code}.{HOST}.{host_secret}"
        if self.settings.public_url:
            reply["join_url"] = f"{self.settings.public_url.rstrip('/')}/?room={code}"
        return reply

    @staticmethod
    def _player_json(nickname: str, secret: str, now: int) -> str:
        return json.dumps({"nick": nickname, "th": _hash(secret), "joined": now})

    async def join(self, code: str, nickname: str | None) -> tuple[Identity, dict[str, Any]]:
        ctx = await self.context(code)
        name = clean_nickname(nickname)
        for _ in range(25):
            meta = await self.store.meta(code)
            if not meta:
                raise ProtocolError(errors.ROOM_NOT_FOUND, f"there is no room {code}")
            closed = int(meta.get("closed_rounds", "0"))
            # A late joiner's past rounds are played with the default choices (a tap-through).
            life = self.cache.life(ctx.scenario, ctx.seed, [])
            past: list[Decisions] = []
            while len(past) < closed and not life.finished:
                d = default_decisions(ctx.scenario, life)
                result = apply(ctx.scenario, life, Decide(life.round, d))
                assert not isinstance(result, RuleViolation)
                past.append(d)
                life = result.state
            player_id, secret = secrets.token_hex(4), secrets.token_urlsafe(16)
            event = encode({"kind": "player_joined", "player_id": player_id, "nickname": name})
            try:
                await self.store.join(
                    code,
                    player_id,
                    self._player_json(name, secret, self.now_ms()),
                    encode_log(past),
                    self.settings.max_players_per_room,
                    closed,
                    event,
                )
            except StoreError as exc:
                if exc.code == "retry":  # a round is closing: join just after it
                    await asyncio.sleep(0.2)
                    continue
                raise ProtocolError(exc.code, _STORE_MESSAGES.get(exc.code, exc.code)) from None
            identity = Identity(code, player_id)
            return identity, {
                "type": "joined",
                "code": code,
                "player_id": player_id,
                "player_token": f"{code}.{player_id}.{secret}",
                "nickname": name,
            }
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

    async def mark_presence(self, code: str, seconds: Mapping[str, float]) -> None:
        now = self.now_ms()
        await self.store.set_presence(
            code, self.instance, {pid: now + int(s * 1000) for pid, s in seconds.items()}
        )

    # --- Snapshots --------------------------------------------------------------------------

    async def snapshot(self, ident: Identity) -> dict[str, Any]:
        """Everything a client needs to draw its screen now (sent on join and on resume)."""
        ctx = await self.context(ident.code)
        if ident.is_host:
            snap = await self.store.snapshot(ident.code)
            if snap is None:
                raise ProtocolError(errors.ROOM_NOT_FOUND, "the room has expired")
            meta = snap.meta
            # Who is connected is not room state (it comes and goes): the roster has it.
            pending = await self.store.pending(ident.code)
            players = roster_view(snap.players, snap.kicked, pending, None)
            out = self._room_view(ctx, meta, snap.decided, len(snap.players))
            out.update({"type": "snapshot", "role": "host", "seq": snap.seq, "players": players})
            return out
        assert ident.player_id is not None
        view = await self.store.player_view(ident.code, ident.player_id)
        if view is None or view.player is None:
            raise ProtocolError(errors.ROOM_NOT_FOUND, "the room has expired")
        life = self.cache.life(ctx.scenario, ctx.seed, decode_log(view.log))
        out = self._room_view(ctx, view.meta, view.decided, view.players)
        out.update(
            {
                "type": "snapshot",
                "role": "player",
                "seq": view.seq,
                "player_id": ident.player_id,
                "nickname": view.player["nick"],
                "status": status_view(ctx.scenario, life),
                "last_stage": stage_view(life.history[-1]) if life.history else None,
                "pending": json.loads(view.pending) if view.pending else None,
            }
        )
        if life.finished or view.meta.get("status") == "finished":
            out["life_over"] = self.life_over(ctx, life)
        return out

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
            "deadline": int(float(meta.get("deadline") or 0)),
            "remaining": int(float(meta.get("remaining") or 0)),
            "pool": meta.get("pool") == "1",
            "decided": decided,
            "player_count": players,
        }

    async def roster(self, code: str) -> list[dict[str, Any]]:
        """The host's player list now: who is connected, who has decided the open round."""
        snap = await self.store.snapshot(code)
        if snap is None:
            raise ProtocolError(errors.ROOM_NOT_FOUND, f"there is no room {code}")
        pending = await self.store.pending(code)
        connected = await self.store.connected(code, self.now_ms())
        return roster_view(snap.players, snap.kicked, pending, connected)

    def life_over(self, ctx: RoomContext, life: LifeState) -> dict[str, Any]:
        cf = counterfactual(ctx.scenario, life)
        return {"summary": summary_view(cf.actual), "counterfactual": counterfactual_view(cf)}

    async def personal_results(
        self, code: str, player_ids: list[str], with_summary: bool
    ) -> dict[str, dict[str, Any]]:
        """Each player's latest stage (and, at the end, the life summary), rebuilt from logs."""
        ctx = await self.context(code)
        logs = await self.store.logs_of(code, player_ids)
        out: dict[str, dict[str, Any]] = {}
        for i, pid in enumerate(player_ids):
            life = self.cache.life(ctx.scenario, ctx.seed, decode_log(logs.get(pid)))
            item: dict[str, Any] = {
                "status": status_view(ctx.scenario, life),
                "stage": stage_view(life.history[-1]) if life.history else None,
            }
            if with_summary:
                item["life_over"] = self.life_over(ctx, life)
            out[pid] = item
            if i % 50 == 49:
                await asyncio.sleep(0)  # a big room must not starve the other connections
        return out

    # --- Player actions ---------------------------------------------------------------------

    async def decide(self, ident: Identity, msg: DecideMessage) -> dict[str, Any]:
        if ident.player_id is None:
            raise ProtocolError(errors.NOT_IN_ROOM, "the host does not play", msg.client_msg_id)
        ctx = await self.context(ident.code)
        view = await self._player(ident, msg.client_msg_id, seen_ok=True)
        if view.seen is not None:  # a resend after a drop: the same answer, never applied twice
            return self._ack(msg, view.seen)
        life = self.cache.life(ctx.scenario, ctx.seed, decode_log(view.log))
        decisions = decisions_from_message(msg.decisions)
        violation = check(ctx.scenario, life, Decide(msg.round, decisions))
        if violation is not None:
            raise ProtocolError(violation.code, violation.message, msg.client_msg_id)
        try:
            _, decided, total = await self.store.submit(
                ident.code,
                ident.player_id,
                msg.round,
                json.dumps(msg.decisions.model_dump(), separators=(",", ":")),
                msg.client_msg_id,
                self.now_ms(),
            )
        except StoreError as exc:
            raise ProtocolError(
                exc.code, _STORE_MESSAGES.get(exc.code, exc.code), msg.client_msg_id
            ) from None
        if decided >= total:
            await self.close_round(ident.code, msg.round, "all_decided")
        else:
            self._schedule_check(ident.code, msg.round)
        return self._ack(msg, f"{msg.round}|{decided}|{total}")

    @staticmethod
    def _ack(msg: DecideMessage, answer: str) -> dict[str, Any]:
        round_text, decided, total = answer.split("|")
        return {
            "type": "ack",
            "client_msg_id": msg.client_msg_id,
            "round": int(round_text),
            "decided": int(decided),
            "total": int(total),
        }

    async def _player(
        self, ident: Identity, msg_id: str | None, seen_ok: bool = False
    ) -> PlayerView:
        """The player's view, checked; ``seen_ok``: also the answer already given to ``msg_id``
        (returned as is, kicked or not, like the answer it repeats)."""
        assert ident.player_id is not None
        view = await self.store.player_view(
            ident.code, ident.player_id, msg_id if seen_ok else None
        )
        if view is not None and view.seen is not None:
            return view
        if view is None or view.player is None:
            raise ProtocolError(errors.ROOM_NOT_FOUND, "the room has expired", msg_id)
        if view.kicked:
            raise ProtocolError(errors.KICKED, "the host removed you from this room", msg_id)
        return view

    async def answer_quiz(self, ident: Identity, msg: QuizAnswer) -> dict[str, Any]:
        if ident.player_id is None:
            raise ProtocolError(errors.NOT_IN_ROOM, "the host does not answer", msg.client_msg_id)
        ctx = await self.context(ident.code)
        asked = {q.id: q for q in ctx.scenario.quiz[:PRE_POST_QUESTIONS]}
        question = asked.get(msg.question_id)
        if question is None or msg.answer >= len(question.options):
            raise ProtocolError(
                errors.INVALID_MESSAGE, "no such question or option", msg.client_msg_id
            )
        await self._player(ident, msg.client_msg_id)
        field = f"{ident.player_id}:{msg.phase}:{msg.question_id}"
        # Not the decisions' "player:id" ack field: a decide may reuse a quiz answer's id.
        duplicate = await self.store.answer_quiz(
            ident.code, f"{ident.player_id}|quiz", msg.client_msg_id, field, msg.answer
        )
        correct = msg.answer == question.answer
        if not duplicate:
            row = {
                "player_id": ident.player_id,
                "question_id": question.id,
                "phase": msg.phase,
                "answer": msg.answer,
                "correct": correct,
            }
            self._spawn(self.results.save_quiz(ctx, [row]))
        reply: dict[str, Any] = {"type": "ack", "client_msg_id": msg.client_msg_id}
        if msg.phase == "post":
            # Before the game the answer stays hidden: the room measures what it knew.
            reply["correct"] = correct
            reply["answer"] = question.answer
        return reply

    # --- Host actions -----------------------------------------------------------------------

    async def host_action(self, ident: Identity, msg: HostAction) -> dict[str, Any]:
        if not ident.is_host:
            raise ProtocolError(errors.NOT_HOST, "only the host can do that", msg.client_msg_id)
        ctx = await self.context(ident.code)
        if msg.action == "close_round":
            closed = await self.close_round(ident.code, None, "host")
            if not closed:
                raise ProtocolError(errors.ROOM_STATE, "no round is open", msg.client_msg_id)
            return {"type": "ack", "client_msg_id": msg.client_msg_id}
        seconds = msg.seconds or ctx.round_seconds
        try:
            seq, deadline = await self._host(
                ctx, msg.action, seconds, msg.pool, msg.player_id or ""
            )
        except StoreError as exc:
            raise ProtocolError(
                exc.code, _STORE_MESSAGES.get(exc.code, exc.code), msg.client_msg_id
            ) from None
        if msg.action == "end":
            self._spawn(self.save_results(ctx, ended_by_host=True))
        return {"type": "ack", "client_msg_id": msg.client_msg_id, "seq": seq, "deadline": deadline}

    async def _host(
        self, ctx: RoomContext, action: str, seconds: int, pool: bool = False, player_id: str = ""
    ) -> tuple[int, int]:
        now = self.now_ms()
        timed = ctx.mode == "workshop" and action in ("start", "open_round", "resume")
        if timed:
            # Due at once until the real deadline is written: if this instance dies in between,
            # a poller finds the room and repairs the entry from the room's own deadline.
            await self.store.add_deadline(ctx.code, now)
        seq, deadline = await self.store.host(
            ctx.code, action, now, ctx.rounds, seconds if timed else 0, pool, player_id
        )
        if deadline:
            await self.store.add_deadline(ctx.code, deadline)
        elif action in ("pause", "end"):
            await self.store.remove_deadline(ctx.code)
        return seq, deadline

    # --- Closing rounds ---------------------------------------------------------------------

    def _schedule_check(self, code: str, round_index: int) -> None:
        """After a decision, soon check whether every connected player has decided (debounced:
        one check per room at a time, so a big room does not scan itself per decision)."""
        if code in self._checks:
            return
        self._checks.add(code)

        async def later() -> None:
            try:
                await asyncio.sleep(0.2)
                if await self.store.waiting_connected(code, self.now_ms()) == 0:
                    await self.close_round(code, round_index, "all_decided")
            finally:
                self._checks.discard(code)

        self._spawn(later())

    async def close_round(
        self,
        code: str,
        round_index: int | None,
        reason: Literal["all_decided", "deadline", "host"],
    ) -> bool:
        """Close the round if this instance wins its lease; True when it was closed here."""
        ctx = await self.context(code)
        lease = int(self.settings.round_close_lease_seconds * 1000)
        now = self.now_ms()
        taken = await self.store.begin_close(code, round_index, self.instance, now, lease, reason)
        if taken is None:
            await self.store.remove_deadline(code)
            return False
        if isinstance(taken, NotClosing):
            if reason == "deadline":
                await self._repair_deadline(code, taken, now)
            return False
        return await self._finish_close(ctx, taken)

    async def _repair_deadline(self, code: str, why: NotClosing, now: int) -> None:
        if why.round_state in ("open", "closing") and why.deadline > now:
            await self.store.add_deadline(code, why.deadline)
        else:
            await self.store.remove_deadline(code)

    async def _finish_close(self, ctx: RoomContext, closing: ClosingRound) -> bool:
        scenario, r = ctx.scenario, closing.round
        players = await self.store.players(ctx.code)
        meta = await self.store.meta(ctx.code)
        new_logs: dict[str, str] = {}
        lives: dict[str, LifeState] = {}
        played: dict[str, tuple[LifeState, Decisions]] = {}
        defaulted = 0
        for pid in players:
            if pid in closing.kicked:
                continue
            log_now = decode_log(closing.logs.get(pid))
            life = self.cache.life(scenario, ctx.seed, log_now)
            # Normally one step (round r); a life that is behind (it should not be, but a room
            # must never stall on one seat) catches up with the defaults.
            while not life.finished and life.round <= r:
                decisions: Decisions | None = None
                raw = closing.pending.get(pid) if life.round == r else None
                if raw is not None:
                    decisions = decisions_from_message(DecisionsIn.model_validate_json(raw))
                if decisions is None or check(scenario, life, Decide(life.round, decisions)):
                    decisions = default_decisions(scenario, life)
                    defaulted += life.round == r
                if life.round == r:
                    played[pid] = (life, decisions)
                result = apply(scenario, life, Decide(life.round, decisions))
                assert not isinstance(result, RuleViolation)
                log_now = [*log_now, decisions]
                life = result.state
                self.cache.put(scenario, ctx.seed, log_now, life)
                new_logs[pid] = encode_log(log_now)
            lives[pid] = life
        finished = r + 1 >= ctx.rounds
        event: dict[str, Any] = {
            "kind": "round_closed",
            "round": r,
            "players": len(lives),
            "defaulted": defaulted,
            "stats": round_stats(lives, r),
            "leaderboard": leaderboard(scenario, lives, players, LEADERBOARD_SIZE),
        }
        if meta.get("pool") == "1":
            event["pool"] = pool_view(round_bills(lives, played, r))
        events = [encode(event)]
        if finished:
            events.append(
                encode(
                    {
                        "kind": "game_over",
                        "reason": "complete",
                        "podium": leaderboard(scenario, lives, players, 3),
                        "stats": game_stats(scenario, lives),
                        "talking_points": talking_points(scenario, lives),
                    }
                )
            )
        seq = await self.store.commit_close(ctx.code, r, self.instance, new_logs, events, finished)
        if seq is None:
            return False  # another instance took the round over after our lease ran out
        await self.store.remove_deadline(ctx.code)
        if finished:
            self._spawn(self.save_results(ctx, ended_by_host=False))
        elif ctx.mode == "solo":
            await self._host(ctx, "open_round", 0)
        return True

    async def poll_deadlines(self) -> int:
        """Close every round whose deadline has passed (any instance may; one wins)."""
        now = self.now_ms()
        closed = 0
        for code in await self.store.due_rooms(now):
            try:
                if await self.close_round(code, None, "deadline"):
                    closed += 1
            except ProtocolError:
                await self.store.remove_deadline(code)
        return closed

    # --- Results ----------------------------------------------------------------------------

    async def save_results(self, ctx: RoomContext, ended_by_host: bool) -> None:
        """Write every life of the room (finished, or as far as it got) to the results store."""
        players = await self.store.players(ctx.code)
        logs = await self.store.logs_of(ctx.code, list(players))
        finished: list[FinishedLife] = []
        lives: dict[str, LifeState] = {}
        for i, (pid, player) in enumerate(players.items()):
            life = self.cache.life(ctx.scenario, ctx.seed, decode_log(logs.get(pid)))
            if not life.history:
                continue
            lives[pid] = life
            cf = counterfactual(ctx.scenario, life)
            finished.append(FinishedLife(pid, player["nick"], cf, life.finished))
            if i % 25 == 24:
                await asyncio.sleep(0)
        await self.results.save_lives(ctx, finished)
        stats = game_stats(ctx.scenario, lives)
        stats["ended_by_host"] = ended_by_host
        await self.results.save_room(ctx, len(players), stats)

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._background.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)

    async def drain(self) -> None:
        """Wait for background work (result saving) — on shutdown and in tests."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


_STORE_MESSAGES = {
    errors.ROOM_NOT_FOUND: "there is no such room",
    errors.ROOM_FULL: "the room is full",
    errors.ROOM_STATE: "that does not fit the room's state now",
    errors.PLAYER_NOT_FOUND: "there is no such player",
    errors.KICKED: "the host removed you from this room",
    "rule/round_closed": "that round is not open",
}


# --- Room statistics (pure) -------------------------------------------------------------------

ILLNESS = ("minor_illness", "serious_illness")
"""The kinds of event that send someone to hospital (the reveal counts them apart from
accidents at work)."""


def round_stats(lives: Mapping[str, LifeState], round_index: int) -> dict[str, Any]:
    """How the room chose and fared in a round: for the host's live bars and the debrief."""
    pension: Counter[str] = Counter()
    medical: Counter[str] = Counter()
    groups: dict[str, dict[str, float]] = {}
    injury = illness = accidents = accidents_covered = 0
    bills = covered = hit = catastrophic = 0.0
    savings: list[float] = []
    for life in lives.values():
        if len(life.history) <= round_index:
            continue
        record = life.history[round_index]
        pension[record.decisions.pension.value] += 1
        medical[record.decisions.medical.value] += 1
        injury += record.injury_covered_years > 0
        bills += record.ledger.bills
        covered += record.ledger.covered
        hit += record.ledger.bills > 0
        catastrophic += any(getattr(e, "catastrophic", False) for e in record.events)
        happenings = [e for e in record.events if isinstance(e, Happening) and e.bill > 0]
        illness += any(e.kind in ILLNESS for e in happenings)
        injured = [e for e in happenings if e.kind == "work_injury"]
        accidents += bool(injured)
        accidents_covered += any(e.covered > 0 for e in injured)
        group = groups.setdefault(
            record.decisions.medical.value,
            {"players": 0, "hit": 0, "bills": 0.0, "covered": 0.0, "out_of_pocket": 0.0},
        )
        group["players"] += 1
        group["hit"] += record.ledger.bills > 0
        group["bills"] += record.ledger.bills
        group["covered"] += record.ledger.covered
        group["out_of_pocket"] += record.ledger.bills - record.ledger.covered
        savings.append(record.savings_end)
    return {
        # What hit the room (the host's reveal): by the medical cover each player chose.
        "illness": illness,
        "accidents": accidents,
        "accidents_covered": accidents_covered,
        "covered": round(covered),
        "out_of_pocket": round(bills - covered),
        "by_medical": {k: {f: round(v) for f, v in g.items()} for k, g in groups.items()},
        "pension": dict(pension),
        "medical": dict(medical),
        "injury_covered": injury,
        "hit_by_bills": int(hit),
        "catastrophic": int(catastrophic),
        "bills": round(bills),
        "median_savings": round(statistics.median(savings)) if savings else 0,
    }


def roster_view(
    players: Mapping[str, Mapping[str, Any]],
    kicked: frozenset[str],
    pending: Mapping[str, str],
    connected: set[str] | None,
) -> list[dict[str, Any]]:
    """Each player for the host: decided (with the cover chosen, for the live bars) and, when
    ``connected`` is given, connected."""
    out: list[dict[str, Any]] = []
    for pid, p in players.items():
        row: dict[str, Any] = {
            "player_id": pid,
            "nickname": p["nick"],
            "kicked": pid in kicked,
            "decided": pid in pending,
        }
        if connected is not None:
            row["connected"] = pid in connected
        raw = pending.get(pid)
        if raw is not None:
            chosen = json.loads(raw)
            row["pension"], row["medical"] = chosen.get("pension"), chosen.get("medical")
        out.append(row)
    return out


def leaderboard(
    scenario: Scenario,
    lives: Mapping[str, LifeState],
    players: Mapping[str, Mapping[str, Any]],
    size: int,
) -> list[dict[str, Any]]:
    scored = [(summarize(scenario, life).score, pid) for pid, life in lives.items() if life.history]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [
        {"player_id": pid, "nickname": players[pid]["nick"], "score": score}
        for score, pid in scored[:size]
    ]


def round_bills(
    lives: Mapping[str, LifeState], played: Mapping[str, object], round_index: int
) -> dict[str, float]:
    """The bills each player who played the round actually met in it: the very bills their
    round result lists (the pool shares real bills, never imagined ones)."""
    bills: dict[str, float] = {}
    for pid in played:
        history = lives[pid].history
        if len(history) > round_index:
            bills[pid] = history[round_index].ledger.bills
    return bills


def pool_view(losses: Mapping[str, float]) -> dict[str, Any]:
    """The group risk pool over the members' bills of the round: everyone pays the average,
    the pool pays each bill. ``total_losses`` is the sum of ``losses`` (rounded the same way)."""
    # Rounded first, so the shown total is exactly the sum of the shown bills.
    rounded = {pid: round(loss) for pid, loss in losses.items()}
    losses = {pid: float(loss) for pid, loss in rounded.items()}
    share = statistics.fmean(losses.values()) if losses else 0.0
    result = risk_pool([PoolMember(pid, share, loss) for pid, loss in losses.items()])
    return {
        "members": len(losses),
        "contribution": round(share),
        "total_losses": round(result.total_losses),
        "paid_out": round(result.paid_out),
        "hit": sum(1 for loss in losses.values() if loss > 0),
        "worst_alone": round(result.worst_alone),
        "worst_pooled": round(result.worst_pooled),
        "losses": rounded,
    }


def game_stats(scenario: Scenario, lives: Mapping[str, LifeState]) -> dict[str, Any]:
    summaries = [summarize(scenario, life) for life in lives.values() if life.history]
    if not summaries:
        return {"players": 0}
    return {
        "players": len(summaries),
        "mean_score": round(statistics.fmean(s.score for s in summaries)),
        "with_monthly_pension": sum(
            1 for s in summaries if s.pension_outcome in ("employee_pension", "residents_pension")
        ),
        "catastrophic": sum(1 for s in summaries if s.catastrophic),
        "median_pension": round(statistics.median(s.monthly_pension for s in summaries)),
        "badges": dict(Counter(b for s in summaries for b in s.badges)),
    }


def room_seed(scenario: Scenario) -> int:
    """A new room's seed, drawn among the lives that reach the statutory retirement age (about
    nine in ten do), so that a seven-minute lesson always reaches the pension years it is about;
    how long one lives after that is the life table's draw. Early deaths are in the model and
    in the balance figures (``died_before_pension_share``), not in the game played; workshop
    and solo rooms draw alike."""
    while True:
        seed = secrets.randbits(63)
        if reaches_retirement(scenario, seed):
            return seed
