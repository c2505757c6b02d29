"""The outbox drainer against a real Redis and a real database (a SQLite file; PostgreSQL too
when ``TEST_DATABASE_URL`` is set): flushing, idempotence, two drainers at once, items replaced
mid-flush, the database failing and coming back, refused items, the index, the loop."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from outbox.outbox_support import T0, Database, life, quiz, room
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy.exc import OperationalError

from game_server.outbox.drainer import EMPTY_GRACE_MS, OutboxDrainer
from game_server.outbox.items import OUTBOX_INDEX, outbox_key, retry_key
from game_server.stores.results import (
    LifeResultCreate,
    QuizAnswerCreate,
    ResultsStore,
    RoomSummaryCreate,
)

CODE = "123456"
OTHER = "654321"
NOW = 1_800_000_000_000


async def fill(redis: Redis, code: str, *entries: tuple[str, str], due: int = NOW) -> None:
    """As the room service does: the index entry first, then the items."""
    await redis.zadd(OUTBOX_INDEX, {code: due})
    await redis.hset(outbox_key(code), mapping=dict(entries))


def a_room(code: str, players: int = 2) -> list[tuple[str, str]]:
    """A finished room: two lives, the summary, three quiz answers."""
    return [
        life(code, "p1", seed=7),
        life(code, "p2", seed=8, nickname="阿强"),
        room(code, players),
        quiz(code, "p1", "q1"),
        quiz(code, "p1", "q2", answer=2),
        quiz(code, "p2", "q1"),
    ]


async def stored(results: ResultsStore, code: str) -> dict[str, Any]:
    return await results.export_room(code)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class GatedStore(ResultsStore):
    """The real store, whose batch writes wait at a gate: a test can change the outbox
    between a drainer's read and its write."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.reached = asyncio.Event()
        self.gate = asyncio.Event()

    async def save_batch(
        self,
        lives: Sequence[LifeResultCreate] = (),
        rooms: Sequence[RoomSummaryCreate] = (),
        quiz: Sequence[QuizAnswerCreate] = (),
    ) -> None:
        self.reached.set()
        await self.gate.wait()
        await super().save_batch(lives, rooms, quiz)


# --- flushing ---------------------------------------------------------------------------------


async def test_a_flush_writes_every_row_and_empties_the_outbox(
    redis: Redis, results: ResultsStore
) -> None:
    await fill(redis, CODE, *a_room(CODE))
    drainer = OutboxDrainer(redis, results)
    assert await drainer.pending(CODE) == 6

    assert await drainer.flush_room(CODE) == 0

    assert await drainer.pending(CODE) == 0
    exported = await stored(results, CODE)
    assert {r["player_id"]: r["nickname"] for r in exported["results"]} == {
        "p1": "小王",
        "p2": "阿强",
    }
    assert exported["room"]["players"] == 2
    assert sorted(
        (a["player_id"], a["question_id"], a["answer"]) for a in exported["quiz_answers"]
    ) == [
        ("p1", "q1", 1),
        ("p1", "q2", 2),
        ("p2", "q1", 1),
    ]


async def test_batches_are_written_one_transaction_each(
    redis: Redis, results: ResultsStore
) -> None:
    entries = [life(CODE, f"p{i:02}", nickname=f"n{i}") for i in range(7)]
    await fill(redis, CODE, *entries)
    flush = await OutboxDrainer(redis, results, batch_items=3).flush(CODE)
    assert (flush.written, flush.remaining, flush.refused) == (7, 0, 0)
    assert len((await stored(results, CODE))["results"]) == 7


async def test_flushing_twice_leaves_one_row_each_with_the_newest_content(
    redis: Redis, results: ResultsStore
) -> None:
    drainer = OutboxDrainer(redis, results)
    await fill(redis, CODE, *a_room(CODE))
    assert await drainer.flush_room(CODE) == 0
    # The same items again (a flush whose delete was lost), and a newer version of p1's life.
    await fill(redis, CODE, *a_room(CODE))
    assert await drainer.flush_room(CODE) == 0
    await fill(
        redis, CODE, life(CODE, "p1", at=T0 + timedelta(minutes=2), nickname="小王2", seed=9)
    )
    assert await drainer.flush_room(CODE) == 0

    exported = await stored(results, CODE)
    assert len(exported["results"]) == 2
    assert len(exported["quiz_answers"]) == 3
    newest = next(r for r in exported["results"] if r["player_id"] == "p1")
    assert newest["nickname"] == "小王2"
    assert newest["seed"] == 9


async def test_two_drainers_flushing_the_same_room_at_once_store_each_row_once(
    redis: Redis, results: ResultsStore, database: Database
) -> None:
    entries = [life(CODE, f"p{i:02}", nickname=f"n{i}") for i in range(40)] + [room(CODE, 40)]
    await fill(redis, CODE, *entries)
    other_instance = ResultsStore(database.url)
    try:
        first = OutboxDrainer(redis, results, batch_items=10)
        second = OutboxDrainer(redis, other_instance, batch_items=10)
        flushes = await asyncio.gather(first.flush(CODE), second.flush(CODE))
        # Each wrote what it read (both usually read everything); nothing is left.
        assert sum(f.written for f in flushes) >= 41
        assert all(f.written <= 41 and f.refused == 0 for f in flushes)
        assert await first.pending(CODE) == 0

        await fill(redis, CODE, *entries)
        written = await asyncio.gather(first.run_due(NOW), second.run_due(NOW))
        assert sum(written) >= 41
    finally:
        await other_instance.dispose()
    exported = await stored(results, CODE)
    assert sorted(r["player_id"] for r in exported["results"]) == [f"p{i:02}" for i in range(40)]
    assert exported["room"]["players"] == 40
    assert await redis.hlen(outbox_key(CODE)) == 0


async def test_an_item_replaced_between_read_and_delete_survives(
    redis: Redis, results: ResultsStore, database: Database
) -> None:
    await fill(redis, CODE, life(CODE, "p1"), room(CODE))
    gated = GatedStore(database.url)
    try:
        drainer = OutboxDrainer(redis, gated)
        flushing = asyncio.create_task(drainer.flush_room(CODE))
        await gated.reached.wait()  # the outbox is read; nothing is written yet
        newer = life(CODE, "p1", at=T0 + timedelta(minutes=1), nickname="更新", seed=11)
        await redis.hset(outbox_key(CODE), *newer)
        gated.gate.set()
        assert await flushing == 1
    finally:
        await gated.dispose()

    # The version read is in SQL, the newer one still in the outbox, and the next flush takes it.
    assert await redis.hgetall(outbox_key(CODE)) == {newer[0]: newer[1]}
    assert (await stored(results, CODE))["results"][0]["nickname"] == "小王"
    assert await OutboxDrainer(redis, results).flush_room(CODE) == 0
    exported = await stored(results, CODE)
    assert [(r["nickname"], r["seed"]) for r in exported["results"]] == [("更新", 11)]


async def test_an_older_version_written_after_a_newer_one_does_not_replace_it(
    redis: Redis, results: ResultsStore, database: Database
) -> None:
    # Drainer A reads version 1; the room writes version 2; drainer B flushes version 2 (and
    # deletes it); then A writes version 1. SQL must keep version 2.
    await fill(redis, CODE, life(CODE, "p1"), quiz(CODE, "p1", answer=1), room(CODE, 1))
    gated = GatedStore(database.url)
    try:
        slow = OutboxDrainer(redis, gated)
        flushing = asyncio.create_task(slow.flush_room(CODE))
        await gated.reached.wait()
        later = T0 + timedelta(minutes=3)
        await redis.hset(
            outbox_key(CODE),
            mapping=dict(
                [
                    life(CODE, "p1", at=later, nickname="后来", seed=12),
                    quiz(CODE, "p1", answer=3, at=later),
                    room(CODE, 5, at=later),
                ]
            ),
        )
        assert await OutboxDrainer(redis, results).flush_room(CODE) == 0
        gated.gate.set()
        assert await flushing == 0
    finally:
        await gated.dispose()

    exported = await stored(results, CODE)
    assert [(r["nickname"], r["seed"]) for r in exported["results"]] == [("后来", 12)]
    assert [a["answer"] for a in exported["quiz_answers"]] == [3]
    assert exported["room"]["players"] == 5


# --- the database failing ---------------------------------------------------------------------


async def test_sql_down_keeps_every_item_and_retries_with_backoff_until_it_is_back(
    redis: Redis,
    impatient_results: ResultsStore,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await fill(redis, CODE, *a_room(CODE))
    await fill(redis, OTHER, *a_room(OTHER))
    drainer = OutboxDrainer(redis, impatient_results)

    with database.locked(), caplog.at_level(logging.WARNING):
        assert await drainer.run_due(NOW) == 0
        # Both rooms were tried (one failing does not stop the other), both kept, both later.
        for code in (CODE, OTHER):
            assert await drainer.pending(code) == 6
            assert await redis.zscore(OUTBOX_INDEX, code) == NOW + 500
            assert await redis.get(retry_key(code)) == "1"
        assert "results not written to SQL" in caplog.text

        assert await drainer.run_due(NOW + 499) == 0  # not due yet: not tried
        assert await redis.get(retry_key(CODE)) == "1"
        assert await drainer.run_due(NOW + 500) == 0
        assert await redis.zscore(OUTBOX_INDEX, CODE) == NOW + 500 + 1000
        assert await redis.get(retry_key(CODE)) == "2"

    assert await drainer.run_due(NOW + 1500) == 12
    for code in (CODE, OTHER):
        assert await drainer.pending(code) == 0
        assert await redis.get(retry_key(code)) is None
        exported = await stored(impatient_results, code)
        assert (len(exported["results"]), len(exported["quiz_answers"])) == (2, 3)
        assert exported["room"] is not None


async def test_an_unreachable_database_keeps_every_item_for_an_instance_that_reaches_it(
    redis: Redis, results: ResultsStore
) -> None:
    await fill(redis, CODE, *a_room(CODE))
    unreachable = ResultsStore(f"postgresql+psycopg://gig@127.0.0.1:{closed_port()}/giglife")
    try:
        assert await OutboxDrainer(redis, unreachable).run_due(NOW) == 0
    finally:
        await unreachable.dispose()
    assert await redis.hlen(outbox_key(CODE)) == 6
    assert await redis.zscore(OUTBOX_INDEX, CODE) == NOW + 500

    # Another instance, whose database answers, takes the room when it is due.
    drainer = OutboxDrainer(redis, results)
    assert await drainer.run_due(NOW + 499) == 0
    assert await drainer.run_due(NOW + 500) == 6
    assert await drainer.pending(CODE) == 0
    assert len((await stored(results, CODE))["results"]) == 2


async def test_redis_down_is_logged_not_raised(
    results: ResultsStore, caplog: pytest.LogCaptureFixture
) -> None:
    down = Redis(port=closed_port(), decode_responses=True, retry=Retry(NoBackoff(), 0))
    try:
        with caplog.at_level(logging.WARNING):
            assert await OutboxDrainer(down, results).run_due(NOW) == 0
    finally:
        await down.aclose()
    assert "cannot read gig:outbox" in caplog.text


async def test_a_refused_item_is_kept_the_rest_written_and_the_room_retried_later(
    redis: Redis, results: ResultsStore, caplog: pytest.LogCaptureFixture
) -> None:
    good = life(CODE, "p1")
    misplaced = ("life:p9", life(CODE, "p2")[1])  # p2's life in p9's field
    foreign = ("life:p3", life(OTHER, "p3")[1])  # another room's item
    await fill(redis, CODE, good, ("quiz:p1:pre:q1", "{not json"), misplaced, foreign)
    await fill(redis, OTHER, life(OTHER, "p1"))
    drainer = OutboxDrainer(redis, results)

    with caplog.at_level(logging.ERROR):
        assert await drainer.run_due(NOW) == 2

    assert sorted(await redis.hkeys(outbox_key(CODE))) == ["life:p3", "life:p9", "quiz:p1:pre:q1"]
    assert [r["player_id"] for r in (await stored(results, CODE))["results"]] == ["p1"]
    assert await redis.zscore(OUTBOX_INDEX, CODE) == NOW + 500
    assert await drainer.pending(OTHER) == 0
    assert caplog.text.count(f"room {CODE}: outbox field") == 3


# --- the index --------------------------------------------------------------------------------


async def test_an_emptied_room_leaves_the_index_once_its_entry_is_old(
    redis: Redis, results: ResultsStore
) -> None:
    await fill(redis, CODE, *a_room(CODE))
    await redis.zadd(OUTBOX_INDEX, {OTHER: NOW - EMPTY_GRACE_MS})  # stale: nothing behind it
    drainer = OutboxDrainer(redis, results)

    assert await drainer.run_due(NOW) == 6
    # Just added: its items may still be on their way (the entry comes first), so it stays.
    assert await redis.zrange(OUTBOX_INDEX, 0, -1) == [CODE]
    assert await drainer.run_due(NOW + EMPTY_GRACE_MS - 1) == 0
    assert await redis.zscore(OUTBOX_INDEX, CODE) == NOW
    # Items that arrive meanwhile are flushed as usual.
    await redis.hset(outbox_key(CODE), *quiz(CODE, "p3"))
    assert await drainer.run_due(NOW + 1) == 1
    assert await drainer.run_due(NOW + EMPTY_GRACE_MS) == 0
    assert await redis.zcard(OUTBOX_INDEX) == 0


async def test_the_loop_flushes_due_rooms(redis: Redis, results: ResultsStore) -> None:
    drainer = OutboxDrainer(redis, results)
    loop = asyncio.create_task(drainer.run(0.02))
    try:
        await fill(redis, CODE, *a_room(CODE), due=0)
        for _ in range(250):
            if await drainer.pending(CODE) == 0:
                break
            await asyncio.sleep(0.02)
        assert await drainer.pending(CODE) == 0
        assert not loop.done()
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop
    assert len((await stored(results, CODE))["results"]) == 2


class CountingStore(ResultsStore):
    """The real store, counting its transactions; a write holding a row of ``refuse_room``
    fails as a database would (to test that one room's bad rows hold back only that room)."""

    def __init__(self, url: str, refuse_room: str | None = None) -> None:
        super().__init__(url)
        self.transactions: list[set[str]] = []
        self.refuse_room = refuse_room

    async def save_batch(
        self,
        lives: Sequence[LifeResultCreate] = (),
        rooms: Sequence[RoomSummaryCreate] = (),
        quiz: Sequence[QuizAnswerCreate] = (),
    ) -> None:
        codes = {r.room_code for r in lives} | {r.room_code for r in rooms}
        codes |= {r.room_code for r in quiz}
        self.transactions.append(codes)
        if self.refuse_room in codes:
            raise OperationalError("INSERT", {}, Exception("a row this database refuses"))
        await super().save_batch(lives, rooms, quiz)


@pytest.fixture
async def counting(database: Database) -> AsyncIterator[CountingStore]:
    store = CountingStore(database.url)
    await store.migrate()
    yield store
    await store.dispose()


async def test_the_due_rooms_are_written_together_in_one_transaction(
    redis: Redis, counting: CountingStore
) -> None:
    codes = [f"{100000 + i}" for i in range(30)]
    for code in codes:
        await fill(redis, code, *a_room(code), due=NOW - EMPTY_GRACE_MS)
    drainer = OutboxDrainer(redis, counting)

    assert await drainer.run_due(NOW) == 30 * 6

    assert counting.transactions == [set(codes)]
    for code in codes:
        assert await drainer.pending(code) == 0
        assert len((await stored(counting, code))["results"]) == 2
    # every emptied outbox left the index, as a room flushed alone does
    assert await redis.zcard(OUTBOX_INDEX) == 0


async def test_a_joint_write_is_cut_into_batches_across_rooms(
    redis: Redis, counting: CountingStore
) -> None:
    codes = [f"{200000 + i}" for i in range(5)]
    for code in codes:
        await fill(redis, code, *a_room(code))
    flushes = await OutboxDrainer(redis, counting, batch_items=4).flush_rooms(codes)
    # 30 items in batches of 4: 8 transactions, a room's items split over two when they must
    assert len(counting.transactions) == 8
    assert {c: (f.written, f.remaining, f.refused) for c, f in flushes.items()} == dict.fromkeys(
        codes, (6, 0, 0)
    )


async def test_a_room_whose_rows_fail_holds_back_only_itself(
    redis: Redis, database: Database
) -> None:
    store = CountingStore(database.url, refuse_room=OTHER)
    await store.migrate()
    try:
        await fill(redis, CODE, *a_room(CODE))
        await fill(redis, OTHER, *a_room(OTHER))
        drainer = OutboxDrainer(redis, store)

        assert await drainer.run_due(NOW) == 6

        # the joint write, then each room alone
        assert store.transactions == [{CODE, OTHER}, {CODE}, {OTHER}]
        assert await drainer.pending(CODE) == 0
        assert len((await stored(store, CODE))["results"]) == 2
        assert await drainer.pending(OTHER) == 6
        assert await redis.get(retry_key(OTHER)) == "1"
        # the failing room is put off by its backoff; the written one is not
        assert float(await redis.zscore(OUTBOX_INDEX, OTHER) or 0) > NOW
    finally:
        await store.dispose()
