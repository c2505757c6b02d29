"""Bot players: ``python -m game_server bots --url URL --room CODE --players N``.

For trainers to rehearse a workshop, for the live demo, and for tests. Each bot joins with a
nickname, answers the three questions before the game, decides every round with its strategy
after a short think, and answers the questions again at the end. The protocol is the shared
client's (``protocol/client.py``, on ``protocol/client_ws.py``): a dropped bot resumes its seat.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

from game_server.protocol.client import ClientState
from game_server.protocol.client_ws import play

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
    state: ClientState = field(init=False)

    def __post_init__(self) -> None:
        self.state = ClientState(
            choose=lambda status: choose(self.strategy, status, self.rng),
            answer=lambda question_id, phase: self.rng.randrange(2),
            prefix=self.nickname[:40],
        )

    @property
    def player_id(self) -> str:
        return self.state.player_id or ""

    @property
    def score(self) -> int | None:
        summary = (self.state.life_over or {}).get("summary") or {}
        score = summary.get("score")
        return int(score) if score is not None else None

    def _pause(self, message: dict[str, Any]) -> float:
        """A short think before each decision."""
        return self.rng.uniform(0, self.think) if message.get("type") == "decide" else 0.0

    async def play(self) -> Bot:
        await play(
            self.url,
            self.state,
            enter=lambda state: [state.join(self.code, self.nickname)],
            pause=self._pause,
        )
        return self


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
            print(f"{bot.nickname} could not join: {', '.join(bot.state.errors) or 'no answer'}")
        else:
            print(f"{bot.nickname}: {bot.state.results} rounds, score {bot.score}")
    return 1 if failed else 0
