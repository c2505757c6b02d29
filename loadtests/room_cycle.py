"""``python -m loadtests.room_cycle [--rooms N]``: the room service's own cost, in process.

Workshop rooms of 10 players on a Redis server of its own (the project's ``EmbeddedRedis``),
played through by calling ``RoomService`` directly (no sockets, no JSON frames): the pre-game
quiz, then every round — the host opens it, the players decide, the round closes and one
instance forwards each player's result (``personal_results``) — to the end. It reports the
service's CPU time (``time.process_time``, this process only: Redis is another process) per
decision (the nine that do not complete a round), per quiz answer and per player-round of the
whole cycle; and per decision the Redis round trips (sends on a connection: a pipeline is one)
and the Redis commands (``INFO commandstats``, commands inside scripts included).

It speaks only the service's public methods that the room core before its redesign had too, so
``PYTHONPATH=/path/to/another/checkout python -m loadtests.room_cycle --redis-py`` measures that
one. By default decisions and quiz answers go through the pipelined client, as in the app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis.asyncio.connection
from redis.asyncio import Redis

from game_server.config import Settings
from game_server.content.loader import load_all
from game_server.protocol.messages import CreateRoom, Decide, DecisionsIn, HostAction, QuizAnswer
from game_server.service.rooms import Identity, RoomService
from game_server.stores.embedded_redis import EmbeddedRedis
from game_server.stores.room_store import RoomStore

if TYPE_CHECKING:
    from game_server.stores.pipelined import PipelinedRedis

PLAYERS = 10

SENDS = 0
_send = redis.asyncio.connection.AbstractConnection.send_packed_command


async def _counting_send(self: Any, command: Any, check_health: bool = True) -> None:
    global SENDS
    SENDS += 1
    await _send(self, command, check_health)


redis.asyncio.connection.AbstractConnection.send_packed_command = _counting_send  # type: ignore[method-assign]


HOT: PipelinedRedis | None = None
"""The hot path's pipelined client, when the run uses one (its writes are round trips too)."""


def sends() -> int:
    return SENDS + (HOT.writes if HOT is not None else 0)


async def commands(client: Redis) -> int:
    stats: dict[str, Any] = await client.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if not k.endswith("info"))


class Meter:
    """CPU seconds, round trips and Redis commands of what runs between ``start`` and ``stop``."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self.cpu = 0.0
        self.sends = 0
        self.commands = 0
        self.count = 0

    async def start(self) -> None:
        self._commands = await commands(self.client)
        self._sends = sends()
        self._cpu = time.process_time()

    async def stop(self, count: int = 1) -> None:
        self.cpu += time.process_time() - self._cpu
        self.sends += sends() - self._sends
        self.commands += await commands(self.client) - self._commands - 1  # the INFO itself
        self.count += count

    def per(self) -> tuple[float, float, float]:
        n = max(1, self.count)
        return self.cpu / n * 1000, self.sends / n, self.commands / n


async def play(rooms: int, pipelined: bool) -> dict[str, tuple[float, float, float]]:
    scenario = load_all()["hangzhou-rider"]
    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedRedis(Path(tmp))
        url = embedded.start()
        client = Redis.from_url(url, decode_responses=True)
        try:
            settings = Settings(redis_url=url, instance_id="bench")
            hot = None
            if pipelined:  # imported here: a checkout before the pipelined client runs --redis-py
                from game_server.stores.pipelined import PipelinedRedis

                hot = PipelinedRedis(url)
            store = RoomStore(client, 2000, 3600, hot=hot)
            service = RoomService(store, {scenario.id: scenario}, settings)
            global HOT
            HOT = hot
            decision, quiz, cycle = Meter(client), Meter(client), Meter(client)
            for _ in range(rooms):
                await one_room(service, client, decision, quiz, cycle)
            await service.drain()
            return {
                "decision": decision.per(),
                "quiz answer": quiz.per(),
                "player-round": cycle.per(),
            }
        finally:
            await client.aclose()
            if hot is not None:
                await hot.aclose()
            embedded.stop()


async def one_room(
    service: RoomService, client: Redis, decision: Meter, quiz: Meter, cycle: Meter
) -> None:
    created = await service.create_room(
        CreateRoom(
            type="create_room",
            client_msg_id="c",
            scenario_id="hangzhou-rider",
            mode="workshop",
            round_seconds=600,
        )
    )
    code = created["code"]
    host = await service.authenticate(created["host_token"])
    players: list[Identity] = []
    for i in range(PLAYERS):
        ident, _ = await service.join(code, f"p{i}")
        players.append(ident)
    await service.mark_presence(code, {p.player_id: 600 for p in players if p.player_id})
    questions = service.scenarios["hangzhou-rider"].quiz[:3]
    await quiz.start()
    for p in players:
        for q in questions:
            answer = QuizAnswer(
                type="quiz_answer",
                client_msg_id=f"q-{q.id}",
                phase="pre",
                question_id=q.id,
                answer=0,
            )
            await service.answer_quiz(p, answer)
    await quiz.stop(len(players) * len(questions))
    rounds = int(created["rounds"])
    defaults = {p.player_id: (await service.snapshot(p))["status"]["defaults"] for p in players}
    await cycle.start()
    for r in range(rounds):
        action = "start" if r == 0 else "open_round"
        await service.host_action(
            host, HostAction(type="host", client_msg_id=f"h{r}", action=action)
        )
        for i, p in enumerate(players):
            msg = Decide(
                type="decide",
                client_msg_id=f"d{r}",
                round=r,
                decisions=DecisionsIn.model_validate(defaults[p.player_id]),
            )
            if i < len(players) - 1:
                await decision.start()
                await service.decide(p, msg)
                await decision.stop()
            else:
                await service.decide(p, msg)
        await service.drain()  # the close the last decision started
        ids = [p.player_id for p in players if p.player_id]
        results: Any = await service.personal_results(code, ids, r + 1 >= rounds)
        for pid in ids:
            found = results[pid]
            status = found["status"] if isinstance(found, dict) else _status(found)
            if "defaults" in status:
                defaults[pid] = status["defaults"]
    await cycle.stop(len(players) * rounds)


def _status(text: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(text)["status"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument(
        "--redis-py", action="store_true", help="decisions and quiz answers through redis-py"
    )
    args = parser.parse_args()
    figures = asyncio.run(play(args.rooms, not args.redis_py))
    print(f"{args.rooms} rooms of {PLAYERS}: service CPU ms / Redis round trips / commands")
    for name, (ms, sends, cmds) in figures.items():
        print(f"  per {name:<13} {ms:6.3f} ms  {sends:5.1f} round trips  {cmds:5.1f} commands")


if __name__ == "__main__":
    main()
