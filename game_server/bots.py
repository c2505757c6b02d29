"""Bot players: ``python -m game_server bots --url URL --room CODE --players N``.

For trainers to rehearse a workshop, for the live demo, and for tests. Each bot joins with a
nickname, answers the three questions before the game, decides every round with its strategy
after a short think, and answers the questions again at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from dataclasses import dataclass, field
from typing import Any

import websockets

from game_server.protocol.messages import PROTOCOL_VERSION

STRATEGIES = ("random", "insured", "nothing", "default")


def choose(strategy: str, status: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Decisions for the open round from the server's defaults and the strategy."""
    decisions = dict(status["defaults"])
    working = status["stage"]["phase"] == "working"
    kind = rng.choice(("insured", "nothing", "default")) if strategy == "random" else strategy
    if kind == "insured":
        decisions.update(pension="employee", pension_base_pct=60, medical="employee")
        decisions["accident_insurance"] = working
        decisions["residents_tier"] = 0
    elif kind == "nothing":
        decisions.update(pension="none", medical="none", accident_insurance=False, residents_tier=0)
    if decisions["pension"] == "none":
        decisions["personal_pension"] = 0
    return decisions


@dataclass
class Bot:
    url: str
    code: str
    nickname: str
    strategy: str
    think: float
    rng: random.Random
    player_id: str = ""
    rounds_played: int = 0
    score: int | None = None
    errors: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def msg_id(self) -> str:
        return f"{self.nickname}-{next(self._ids)}"

    async def play(self) -> Bot:
        async with websockets.connect(self.url, max_size=2**22) as ws:
            await ws.send(json.dumps({"type": "hello", "protocol": PROTOCOL_VERSION}))
            await ws.send(
                json.dumps(
                    {
                        "type": "join",
                        "client_msg_id": self.msg_id(),
                        "code": self.code,
                        "nickname": self.nickname,
                    }
                )
            )
            status: dict[str, Any] | None = None
            open_round: int | None = None
            decided: set[int] = set()
            async for raw in ws:
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind == "error":
                    self.errors.append(str(msg.get("code")))
                    if msg.get("code") in ("room/not_found", "room/kicked", "room/full"):
                        return self
                elif kind == "joined":
                    self.player_id = msg["player_id"]
                elif kind == "snapshot":
                    status = msg.get("status")
                    await self._quiz(ws, "pre", msg.get("quiz_ids", []))
                    if msg.get("round_state") == "open" and msg.get("room_status") == "playing":
                        open_round = int(msg["round"])
                elif kind == "round_result":
                    status = msg["status"]
                    self.rounds_played += 1
                elif kind == "event":
                    event = msg["event"]
                    if event.get("kind") == "round_opened":
                        open_round = int(event["round"])
                elif kind == "life_over":
                    self.score = int(msg["life_over"]["summary"]["score"])
                    await self._quiz(ws, "post", self._quiz_ids)
                    return self
                if (
                    status is not None
                    and open_round is not None
                    and open_round not in decided
                    and status.get("round") == open_round
                    and "defaults" in status
                ):
                    decided.add(open_round)
                    await asyncio.sleep(self.rng.uniform(0, self.think))
                    await ws.send(
                        json.dumps(
                            {
                                "type": "decide",
                                "client_msg_id": self.msg_id(),
                                "round": open_round,
                                "decisions": choose(self.strategy, status, self.rng),
                            }
                        )
                    )
        return self

    _quiz_ids: list[str] = field(default_factory=list)

    async def _quiz(self, ws: Any, phase: str, ids: list[str]) -> None:
        if phase == "pre":
            if self._quiz_ids:
                return
            self._quiz_ids = list(ids)
        for qid in ids:
            await ws.send(
                json.dumps(
                    {
                        "type": "quiz_answer",
                        "client_msg_id": self.msg_id(),
                        "phase": phase,
                        "question_id": qid,
                        "answer": self.rng.randrange(2),
                    }
                )
            )


async def run_bots(
    url: str,
    code: str,
    players: int,
    strategy: str = "random",
    think: float = 1.0,
    seed: int | None = None,
) -> int:
    rng = random.Random(seed)
    bots = [
        Bot(url, code, f"机器人{i + 1}", strategy, think, random.Random(rng.random()))
        for i in range(players)
    ]
    done = await asyncio.gather(*(b.play() for b in bots), return_exceptions=True)
    failed = 0
    for bot in done:
        if isinstance(bot, BaseException):
            failed += 1
            print(f"a bot failed: {bot!r}")
        elif not bot.player_id:
            failed += 1
            print(f"{bot.nickname} could not join: {', '.join(bot.errors) or 'no answer'}")
        else:
            print(f"{bot.nickname}: {bot.rounds_played} rounds, score {bot.score}")
    return 1 if failed else 0
