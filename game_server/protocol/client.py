"""A protocol client's state, without I/O: what the bots, the load test and the tests share.

A transport (``client_ws.py`` on asyncio, ``loadtests/sync_client.py`` on websocket-client) reads
frames, feeds each decoded server message to :meth:`ClientState.receive` and sends what it
returns; it calls :meth:`ClientState.connect` on every (re)connect and sends that first. The
state knows from the messages alone (``docs/protocol.md``):

- who the connection is (role, room code, player id and token) and the last ``seq`` seen, so a
  reconnect resumes the seat (``hello`` with the token and ``last_seq``);
- the room's status, round and round state, from the snapshot and the room events;
- the outbox: actions sent and not answered yet, by ``client_msg_id``. After a reconnect the
  in-room ones are sent again with the same id: the server answers a repeated id again and
  never applies it twice. ``create_room`` and ``join`` are not re-sent: each makes a new room or
  seat, so a drop before their answer means starting over;
- when to decide: once per round, when the round is open, the room is playing and the player's
  status is that round's (its ``defaults`` are always a valid choice). The decisions come from a
  pluggable :data:`ChoicePolicy`; the quiz answers (before the game, after the life) from a
  :data:`QuizPolicy`. Without policies the state only tracks (the end-to-end tests drive it).

It stops (``stopped``) on an error that ends the seat (the room is gone, the player kicked, a bad
token...), and is ``done`` then or when the player's life is over (a host: the game is over).
Unknown message types, event kinds and extra fields are ignored. Time is passed in (``now``)
where the caller wants it kept: when the round opened, for a think time measured from then.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from game_server.protocol import errors
from game_server.protocol.messages import (
    PROTOCOL_VERSION,
    CreateRoom,
    Decide,
    DecisionsIn,
    Hello,
    HostAction,
    JoinRoom,
    Message,
    QuizAnswer,
)

Json = dict[str, Any]
"""A decoded JSON object: a server message as received (only the fields read are relied on)."""

ChoicePolicy = Callable[[Json], Json]
"""The player's status (``round``, ``stage``, ``defaults``, ``options``...) -> its decisions for
the open round."""
QuizPolicy = Callable[[str, str], int]
"""(question id, phase ``pre``/``post``) -> the answer's index."""

STOP_CODES = frozenset(
    {
        errors.ROOM_NOT_FOUND,
        "room/gone",  # the room vanished from Redis: nothing left to play, as after game over
        errors.KICKED,
        errors.ROOM_FULL,
        errors.BAD_TOKEN,
    }
)
"""Errors after which the seat cannot go on."""
REPLAYED = frozenset({"decide", "quiz_answer", "host"})
"""Actions the server answers once per ``client_msg_id`` (keyed by seat): safe to send again."""
MAX_DECIDE_TRIES = 3
"""Sends of one round's decision at most (the first, a retry with the defaults after a rule
refusal of the first, one more after a refusal while paused)."""


def defaults_policy(status: Json) -> Json:
    """The server's defaults for the round: always a valid choice."""
    return dict(status["defaults"])


def hello_message(token: str | None = None, last_seq: int | None = None) -> Json:
    """The first message on a connection; with the token (and ``last_seq``) to resume."""
    return _dump(Hello(type="hello", protocol=PROTOCOL_VERSION, token=token, last_seq=last_seq))


def _dump(message: Message) -> Json:
    return message.model_dump(mode="json", exclude_none=True)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class ClientState:
    """One seat's view of the protocol (see the module's docstring)."""

    choose: ChoicePolicy | None = None
    """Decide each open round with this; None: never decide by itself."""
    answer: QuizPolicy | None = None
    """Answer the quiz with this; None: never answer by itself."""
    prefix: str = "c"
    """Prefix of this client's ``client_msg_id`` (ids must not repeat within a seat)."""

    role: Literal["host", "player"] | None = None
    code: str | None = None
    mode: str | None = None
    player_id: str | None = None
    token: str | None = None
    last_seq: int = 0
    room_status: str | None = None
    """``lobby``, ``playing``, ``paused``, ``finished``."""
    round: int | None = None
    round_state: str | None = None
    """``none``, ``open``, ``closing``, ``closed``."""
    rounds: int | None = None
    opened_at: float | None = None
    """``now`` given with the message that opened the current round."""
    status: Json | None = None
    """The player's latest life status (snapshot or round result)."""
    quiz_ids: tuple[str, ...] = ()
    life_over: Json | None = None
    stopped: str | None = None
    """Why this seat stopped: an error code, or ``room/kicked`` after a kick event."""
    outbox: dict[str, Json] = field(default_factory=dict)
    """Actions sent and not answered, by ``client_msg_id``, in the order sent."""
    decided: dict[int, int] = field(default_factory=dict)
    """Round -> decisions sent for it."""
    quizzed: set[str] = field(default_factory=set)
    """Quiz phases answered."""
    results: int = 0
    """Round results received (rounds this life played)."""
    errors: list[str] = field(default_factory=list)
    """Codes of every error received, in order."""
    again: set[int] = field(default_factory=set)
    """Rounds whose decision was refused while paused: decided again once the room plays."""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    # --- what to send ----------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Nothing more to play: stopped, the life over, or (a host) the game over."""
        if self.stopped is not None or self.life_over is not None:
            return True
        return self.role == "host" and self.room_status == "finished"

    def hello(self) -> Json:
        """Hello resuming this seat when it has one."""
        if self.token is None:
            return hello_message()
        return hello_message(self.token, self.last_seq)

    def connect(self) -> list[Json]:
        """What to send on a new connection: the hello, then the in-room actions not answered
        (the same ids again). Room entries not answered are forgotten: start over."""
        for cid in [c for c, m in self.outbox.items() if m.get("type") not in REPLAYED]:
            del self.outbox[cid]
        if self.token is None:
            self.outbox.clear()
            return [self.hello()]
        return [self.hello(), *self.outbox.values()]

    def msg_id(self) -> str:
        return f"{self.prefix}-{next(self._ids)}"

    def request(self, message: Json) -> Json:
        """``message`` with a fresh ``client_msg_id`` (unless it has one), kept in the outbox
        until answered. Not validated: the tests send what they like through it."""
        if "client_msg_id" not in message:
            message = {**message, "client_msg_id": self.msg_id()}
        self.outbox[str(message["client_msg_id"])] = message
        return message

    def create_room(
        self, scenario_id: str, mode: Literal["solo", "workshop"], **extra: Any
    ) -> Json:
        return self.request(
            _dump(
                CreateRoom(
                    type="create_room",
                    client_msg_id=self.msg_id(),
                    scenario_id=scenario_id,
                    mode=mode,
                    **extra,
                )
            )
        )

    def join(self, code: str, nickname: str | None = None) -> Json:
        return self.request(
            _dump(JoinRoom(type="join", client_msg_id=self.msg_id(), code=code, nickname=nickname))
        )

    def host(self, action: str, **extra: Any) -> Json:
        return self.request(
            _dump(
                HostAction.model_validate(
                    {"type": "host", "action": action, **extra, "client_msg_id": self.msg_id()}
                )
            )
        )

    def decide(self, round_index: int, decisions: Json) -> Json:
        """A decision for ``round_index`` (counted as one of that round's sends)."""
        self.decided[round_index] = self.decided.get(round_index, 0) + 1
        return self.request(
            _dump(
                Decide(
                    type="decide",
                    client_msg_id=self.msg_id(),
                    round=round_index,
                    decisions=DecisionsIn.model_validate(decisions),
                )
            )
        )

    def quiz(self, phase: Literal["pre", "post"]) -> list[Json]:
        """The answers to the room's questions for ``phase`` (once per phase)."""
        if self.answer is None or phase in self.quizzed or not self.quiz_ids:
            return []
        self.quizzed.add(phase)
        return [
            self.request(
                _dump(
                    QuizAnswer(
                        type="quiz_answer",
                        client_msg_id=self.msg_id(),
                        phase=phase,
                        question_id=qid,
                        answer=self.answer(qid, phase),
                    )
                )
            )
            for qid in self.quiz_ids
        ]

    # --- what arrives ----------------------------------------------------------------------------

    def receive(self, msg: Json, now: float = 0.0) -> list[Json]:
        """Take one server message in; returns what to send next (possibly nothing)."""
        kind = msg.get("type")
        cid = _str(msg.get("client_msg_id"))
        request = self.outbox.pop(cid, None) if cid is not None else None
        seq = _int(msg.get("seq"))
        if seq is not None and kind in ("event", "snapshot", "round_result", "life_over"):
            # Not `resumed` (its seq may be the room's latest, ahead of the replay that follows)
            # nor `ack` (a host's ack names the seq of the event it caused, still to come).
            self.last_seq = max(self.last_seq, seq)
        out: list[Json] = []
        if kind == "room_created":
            self._entered(msg, _str(msg.get("player_token")) or _str(msg.get("host_token")))
            self.role = "host" if "host_token" in msg else "player"
        elif kind == "joined":
            self._entered(msg, _str(msg.get("player_token")))
            self.role = "player"
        elif kind == "snapshot":
            out += self._snapshot(msg, now)
        elif kind == "round_result":
            self.results += 1
            if isinstance(msg.get("status"), dict):
                self.status = msg["status"]
        elif kind == "life_over":
            self.life_over = msg.get("life_over") if isinstance(msg.get("life_over"), dict) else {}
            out += self.quiz("post")
        elif kind == "event" and isinstance(msg.get("event"), dict):
            self._event(msg["event"], now)
        elif kind == "error":
            out += self._error(msg, request)
        if not self.done:
            out += self._maybe_decide()
        return out

    def _entered(self, msg: Json, token: str | None) -> None:
        self.code = _str(msg.get("code")) or self.code
        self.mode = _str(msg.get("mode")) or self.mode
        self.rounds = _int(msg.get("rounds")) or self.rounds
        self.player_id = _str(msg.get("player_id")) or self.player_id
        self.token = token or self.token

    def _snapshot(self, msg: Json, now: float) -> list[Json]:
        role = msg.get("role")
        if role in ("host", "player"):
            self.role = role
        self.code = _str(msg.get("code")) or self.code
        self.mode = _str(msg.get("mode")) or self.mode
        self.rounds = _int(msg.get("rounds")) or self.rounds
        self.player_id = _str(msg.get("player_id")) or self.player_id
        self.room_status = _str(msg.get("room_status"))
        r = _int(msg.get("round"))
        state = _str(msg.get("round_state"))
        if state == "open" and (r != self.round or self.round_state != "open"):
            self.opened_at = now
        self.round, self.round_state = r, state
        if isinstance(msg.get("status"), dict):
            self.status = msg["status"]
        if msg.get("pending") and r is not None:
            self.decided.setdefault(r, 1)  # the server holds a decision for the open round
        ids = msg.get("quiz_ids")
        if isinstance(ids, list):
            self.quiz_ids = tuple(str(q) for q in ids)
        if isinstance(msg.get("life_over"), dict):
            self.life_over = msg["life_over"]
            return self.quiz("post")
        return self.quiz("pre") if self.role == "player" else []

    def _event(self, event: Json, now: float) -> None:
        kind = event.get("kind")
        r = _int(event.get("round"))
        if kind == "game_started":
            self.room_status = "playing"
            self.rounds = _int(event.get("rounds")) or self.rounds
        elif kind == "round_opened":
            self.room_status, self.round, self.round_state = "playing", r, "open"
            self.rounds = _int(event.get("rounds")) or self.rounds
            self.opened_at = now
        elif kind == "paused":
            self.room_status = "paused"
        elif kind == "resumed":
            self.room_status = "playing"
        elif kind == "round_closed":
            self.round, self.round_state = r if r is not None else self.round, "closed"
        elif kind == "game_over":
            self.room_status = "finished"
        elif (
            kind == "player_kicked"
            and self.player_id is not None
            and event.get("player_id") == self.player_id
        ):
            self.stopped = errors.KICKED

    def _error(self, msg: Json, request: Json | None) -> list[Json]:
        code = str(msg.get("code"))
        self.errors.append(code)
        if code in STOP_CODES:
            self.stopped = code
            return []
        if request is None or request.get("type") != "decide":
            return []
        r = _int(request.get("round"))
        if r is None or self.decided.get(r, 0) >= MAX_DECIDE_TRIES:
            return []
        status = self.status
        if (
            self.decided.get(r) == 1
            and code.startswith("rule/")
            and code != "rule/round_closed"
            and status is not None
            and status.get("round") == r
            and "defaults" in status
        ):
            # The server's own defaults are always allowed.
            return [self.decide(r, defaults_policy(status))]
        if code == errors.ROOM_STATE:
            # Refused while paused: decide again once the room plays (see _maybe_decide).
            self.again.add(r)
        return []

    def _maybe_decide(self) -> list[Json]:
        r, status = self.round, self.status
        if (
            self.choose is None
            or self.role != "player"
            or self.room_status != "playing"
            or self.round_state != "open"
            or r is None
            or status is None
            or status.get("round") != r
            or "defaults" not in status
        ):
            return []
        if r in self.decided and r not in self.again:
            return []
        self.again.discard(r)
        return [self.decide(r, self.choose(status))]
