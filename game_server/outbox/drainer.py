"""The results outbox's drainer: copies each room's outbox from Redis to SQL, retrying until the
database has acknowledged, then empties it (see ``items.py`` for the keys and items).

Every instance runs :meth:`OutboxDrainer.run`. Two instances may flush the same room at once;
that is safe: the SQL upsert is idempotent and keeps the newest version of each row (its
revision), and the outbox is emptied by compare-and-delete, so whichever order their writes and
deletes interleave in, SQL ends with the newest version of every item and the outbox keeps only
items not yet written.

The index of due rooms is ``gig:outbox``, or on a Redis Cluster several keys
(``stores/indexes.py``); each run reads every key of it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from game_server.cancellation import raise_if_cancelled
from game_server.outbox.items import (
    LifeItem,
    QuizItem,
    RoomItem,
    field_of,
    outbox_key,
    parse_item,
    retry_delay_ms,
    retry_key,
)
from game_server.stores.indexes import Indexes
from game_server.stores.redis_client import RedisClient
from game_server.stores.results import (
    LifeResultCreate,
    QuizAnswerCreate,
    ResultsStore,
    RoomSummaryCreate,
)

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
_T = TypeVar("_T")
_Item = LifeItem | RoomItem | QuizItem

BATCH_ITEMS = 500
"""Items written to SQL in one transaction (and deleted from the outbox together): a room of
3000 players is a handful of transactions, each of which, once committed, stays committed."""

ROOMS_PER_RUN = 200

EMPTY_GRACE_MS = 5_000
"""An empty outbox's index entry is removed only once it is this old: the room service adds the
entry just *before* the script that fills the outbox, and a drainer that saw the outbox empty in
between must not drop the entry of the items about to arrive."""

RETRY_COUNTER_TTL_MS = 24 * 3600 * 1000


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class Flush:
    """What one flush of a room did."""

    written: int
    """Items written to SQL (and deleted from the outbox unless replaced meanwhile)."""
    remaining: int
    """Items still in the outbox: replaced or added meanwhile, or refused."""
    refused: int
    """Items that are not valid outbox items, or not in their own field: kept, never written."""


class OutboxDrainer:
    """Redis outbox -> SQL. Needs a client with ``decode_responses=True`` (the app's)."""

    def __init__(
        self,
        redis: RedisClient,
        results: ResultsStore,
        *,
        indexes: Indexes | None = None,
        batch_items: int = BATCH_ITEMS,
        rooms_per_run: int = ROOMS_PER_RUN,
        empty_grace_ms: int = EMPTY_GRACE_MS,
    ) -> None:
        # redis-py's stubs type replies as bytes | str | Any; with decode_responses they are str,
        # converted explicitly, so commands go through an Any view (as in stores/room_store.py).
        self._r: Any = redis
        self._results = results
        self._indexes = indexes or Indexes()
        self._batch_items = batch_items
        self._rooms_per_run = rooms_per_run
        self._empty_grace_ms = empty_grace_ms
        self._compare_delete = redis.register_script(_script("compare_delete.lua"))
        self._reschedule = redis.register_script(_script("reschedule.lua"))

    async def pending(self, code: str) -> int:
        """Items of the room not yet acknowledged by SQL."""
        return int(await self._r.hlen(outbox_key(code)))

    async def flush_room(self, code: str) -> int:
        """Write the room's outbox to SQL and delete what was written; returns how many items
        remain. Raises ``SQLAlchemyError`` when the database fails (the items stay)."""
        return (await self.flush(code)).remaining

    async def flush(self, code: str) -> Flush:
        """:meth:`flush_room`, with the counts."""
        return (await self.flush_rooms([code]))[code]

    async def flush_rooms(self, codes: Sequence[str]) -> dict[str, Flush]:
        """Write the outboxes of several rooms to SQL together: up to ``batch_items`` items of any
        rooms in one transaction (a transaction costs far more than a row: one per room made the
        pre-game quiz of 200 rooms the server's largest cost), then delete from each outbox what
        was written. Raises ``SQLAlchemyError`` when a write fails (what was not written stays).
        """
        async with self._r.pipeline(transaction=False) as pipe:
            for code in codes:
                pipe.hgetall(outbox_key(code))
            outboxes: list[dict[str, str]] = await pipe.execute()
        entries: list[tuple[str, str, str, _Item]] = []
        refused = dict.fromkeys(codes, 0)
        for code, outbox in zip(codes, outboxes, strict=True):
            for field in sorted(outbox):
                item = _checked(code, field, outbox[field])
                if item is None:
                    refused[code] += 1
                else:
                    entries.append((code, field, outbox[field], item))
        written = dict.fromkeys(codes, 0)
        remaining: dict[str, int] = {}
        for chunk in _chunks(entries, self._batch_items):
            lives: list[LifeResultCreate] = []
            rooms: list[RoomSummaryCreate] = []
            quiz: list[QuizAnswerCreate] = []
            settled: dict[str, list[str]] = {}
            for code, field, text, item in chunk:
                match item:
                    case LifeItem(row=row):
                        lives.append(row)
                    case RoomItem(row=row):
                        rooms.append(row)
                    case QuizItem(row=row):
                        quiz.append(row)
                settled.setdefault(code, []).extend((field, text))
            await self._results.save_batch(lives, rooms, quiz)
            # Only after the commit: what is deleted from the outbox is in SQL.
            for code, fields in settled.items():
                _, left = await self._compare_delete(keys=[outbox_key(code)], args=fields)
                written[code] += len(fields) // 2
                remaining[code] = int(left)
        missing = [code for code in codes if code not in remaining]
        if missing:
            async with self._r.pipeline(transaction=False) as pipe:
                for code in missing:
                    pipe.hlen(outbox_key(code))
                for code, left in zip(missing, await pipe.execute(), strict=True):
                    remaining[code] = int(left)
        return {code: Flush(written[code], remaining[code], refused[code]) for code in codes}

    async def run_due(self, now_ms: int) -> int:
        """Flush every room due by ``now_ms`` (up to ``rooms_per_run``, oldest first), together;
        returns how many items were written. Never raises: when the joint write fails, each
        room is tried alone, so one room's bad rows hold back only that room, whose write is
        retried later (0.5 s, doubling to 30 s); a Redis failure is retried at the next run."""
        keys = self._indexes.all_outbox()
        try:
            async with self._r.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.zrangebyscore(
                        key, "-inf", now_ms, start=0, num=self._rooms_per_run, withscores=True
                    )
                replies = await pipe.execute()
        except RedisError:
            log.warning("results outbox: cannot read %s", " ".join(keys), exc_info=True)
            return 0
        due = sorted(((c, s) for reply in replies for c, s in reply), key=lambda e: e[1])
        scores = {str(code): float(score) for code, score in due[: self._rooms_per_run]}
        if not scores:
            return 0
        try:
            flushes = await self.flush_rooms(list(scores))
        except SQLAlchemyError:
            log.info("results outbox: the joint write failed, each room is tried alone")
        except Exception:  # Redis (or else): the entries stay due, the next run tries again
            log.warning("results outbox flush failed", exc_info=True)
            return 0
        else:
            for code, flush in flushes.items():
                await self._settle(code, scores[code], now_ms, flush)
            return sum(f.written for f in flushes.values())
        written = 0
        for code, score in scores.items():
            written += await self._run_room(code, score, now_ms)
        return written

    async def run(self, every_seconds: float) -> None:
        """Flush due rooms every ``every_seconds``, for the app's lifetime."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.run_due(wall_clock_ms())
            except Exception:  # run_due does not raise; never let the loop die anyway
                log.warning("results outbox run failed", exc_info=True)
            raise_if_cancelled()

    async def _run_room(self, code: str, score: float, now_ms: int) -> int:
        try:
            flush = await self.flush(code)
        except SQLAlchemyError as error:
            delay = await self._retry_later(code, score, now_ms)
            log.warning(
                "room %s: results not written to SQL, retry in %s ms: %s", code, delay, error
            )
            return 0
        except Exception:  # Redis (or else): the entry stays due, the next run tries again
            log.warning("room %s: results outbox flush failed", code, exc_info=True)
            return 0
        await self._settle(code, score, now_ms, flush)
        return flush.written

    async def _settle(self, code: str, score: float, now_ms: int, flush: Flush) -> None:
        """After a flush: forget the room's failures, retry what was refused later, and take an
        emptied outbox off the index."""
        try:
            if flush.written:
                await self._r.delete(retry_key(code))
            if flush.refused:
                await self._retry_later(code, score, now_ms)
            elif flush.remaining == 0 and now_ms - score >= self._empty_grace_ms:
                await self._reschedule(
                    keys=[self._indexes.outbox(code)], args=[code, repr(score), ""]
                )
            # Else items arrived or were replaced meanwhile: the entry stays due, for the next run.
        except RedisError:
            log.warning("room %s: results outbox index not updated", code, exc_info=True)

    async def _retry_later(self, code: str, score: float, now_ms: int) -> int | None:
        """Postpone the room by the backoff for its failures in a row; the delay, or ``None``
        if Redis failed too (the entry then stays due)."""
        try:
            async with self._r.pipeline(transaction=False) as pipe:
                pipe.incr(retry_key(code))
                pipe.pexpire(retry_key(code), RETRY_COUNTER_TTL_MS)
                failures, _ = await pipe.execute()
            delay = retry_delay_ms(int(failures))
            await self._reschedule(
                keys=[self._indexes.outbox(code)], args=[code, repr(score), now_ms + delay]
            )
        except RedisError:
            log.warning("room %s: results outbox retry not scheduled", code, exc_info=True)
            return None
        return delay


def _checked(code: str, field: str, text: str) -> _Item | None:
    """The item in ``field`` of the room's outbox, or ``None`` (logged) when it is none."""
    try:
        item = parse_item(text)
    except ValidationError as error:
        log.error("room %s: outbox field %s is no outbox item: %s", code, field, error)
        return None
    if field_of(item) != field or item.row.room_code != code:
        log.error("room %s: outbox field %s holds an item of another field", code, field)
        return None
    return item


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _script(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


__all__ = ["BATCH_ITEMS", "EMPTY_GRACE_MS", "ROOMS_PER_RUN", "Flush", "OutboxDrainer"]
