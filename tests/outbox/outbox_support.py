"""Outbox items for the tests, built with the encoders the room service uses."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from game_server.content.loader import load_all
from game_server.engine import counterfactual, default_decisions, play_through
from game_server.engine.counterfactual import Counterfactual
from game_server.outbox.items import life_entry, quiz_entry, room_entry

SCENARIO = "hangzhou-rider"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@cache
def a_life(seed: int = 7) -> Counterfactual:
    scenario = load_all()[SCENARIO]
    state = play_through(scenario, seed, lambda st: default_decisions(scenario, st))
    return counterfactual(scenario, state)


def life(
    code: str, player: str, *, at: datetime = T0, nickname: str = "小王", seed: int = 7
) -> tuple[str, str]:
    return life_entry(code, 1, "workshop", player, nickname, a_life(seed), at)


def quiz(
    code: str, player: str, question: str = "q1", *, answer: int = 1, at: datetime = T0
) -> tuple[str, str]:
    return quiz_entry(code, player, question, "pre", answer, answer == 1, at)


def room(code: str, players: int = 2, *, at: datetime = T0) -> tuple[str, str]:
    return room_entry(
        code, SCENARIO, "workshop", players, at - timedelta(hours=1), at, {"mean_score": 512.5}
    )


LOCK_WAIT_MS = 200
"""How long a write waits for a lock before the database refuses it (the tests' "SQL down")."""


@dataclass
class Database:
    url: str
    impatient_url: str
    """The same database, for a store whose writes give up after ``LOCK_WAIT_MS`` when it is
    locked (the default waits seconds, right for stores that share it with another writer)."""
    backend: str

    @contextmanager
    def locked(self) -> Iterator[None]:
        """While the block runs, another connection holds an exclusive lock on the results
        tables, so every write of the store fails (after ``LOCK_WAIT_MS``) with a real
        database error, as when the database is unavailable; afterwards it is back."""
        if self.backend == "sqlite":
            database = make_url(self.url).database
            assert database is not None
            holder = sqlite3.connect(database, isolation_level=None)
            try:
                holder.execute("BEGIN EXCLUSIVE")
                yield
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            return
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as connection, connection.begin() as transaction:
                connection.execute(
                    text(
                        "LOCK TABLE life_result, room_summary, quiz_answer IN ACCESS EXCLUSIVE MODE"
                    )
                )
                yield
                transaction.rollback()
        finally:
            engine.dispose()
