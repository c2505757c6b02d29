"""Results of rooms written to SQL through the results store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from game_server.service.rooms import FinishedLife, ResultsSink, RoomContext
from game_server.stores.results import (
    LifeResultCreate,
    QuizAnswerCreate,
    ResultsStore,
    RoomSummaryCreate,
)


class SqlResultsSink(ResultsSink):
    def __init__(self, store: ResultsStore) -> None:
        self.store = store

    async def save_lives(self, ctx: RoomContext, lives: list[FinishedLife]) -> None:
        now = datetime.now(UTC)
        for life in lives:
            await self.store.save_life(
                LifeResultCreate.from_counterfactual(
                    life.counterfactual,
                    room_code=ctx.code,
                    scenario_version=ctx.scenario.version,
                    mode=ctx.mode,
                    player_id=life.player_id,
                    nickname=life.nickname,
                    finished_at=now,
                )
            )

    async def save_quiz(self, ctx: RoomContext, rows: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC)
        await self.store.save_quiz_answers(
            [QuizAnswerCreate(room_code=ctx.code, answered_at=now, **row) for row in rows]
        )

    async def save_room(self, ctx: RoomContext, players: int, stats: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        await self.store.save_room_summary(
            RoomSummaryCreate(
                room_code=ctx.code,
                scenario_id=ctx.scenario.id,
                mode=ctx.mode,
                players=players,
                created_at=now,
                finished_at=now,
                stats=stats,
            )
        )
