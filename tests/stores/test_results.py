"""The SQL results store, against SQLite always and PostgreSQL when ``TEST_DATABASE_URL`` is set.

On PostgreSQL each test gets a schema of its own (created and dropped here, through the
connection's ``search_path``), so nothing else in the database is touched.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateSchema, DropSchema
from sqlmodel import SQLModel

from game_server.content.schema import Scenario
from game_server.engine import counterfactual, default_decisions, play_through
from game_server.engine.scoring import LifeSummary
from game_server.stores.results import (
    CSV_COLUMNS,
    SEED_MAX,
    LifeResultCreate,
    LifeSummaryRecord,
    OutcomeRecord,
    QuizAnswerCreate,
    ResultsStore,
    RoomSummaryCreate,
    ScorePartsRecord,
    revision_of,
)

TABLES = {"life_result", "room_summary", "quiz_answer"}
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

_BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(params=_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file in a folder that does not exist yet, or a new
    PostgreSQL schema (dropped afterwards) reached through ``search_path``."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'results.db'}"
        return
    base = make_url(os.environ["TEST_DATABASE_URL"])
    schema = f"test_results_{secrets.token_hex(6)}"
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(CreateSchema(schema))
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(DropSchema(schema, cascade=True))
        admin.dispose()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[ResultsStore]:
    results = ResultsStore(database_url)
    await results.migrate()
    yield results
    await results.dispose()


def _summary(
    pension_outcome: str = "employee_pension", monthly: float = 2100.5
) -> LifeSummaryRecord:
    return LifeSummaryRecord(
        parts=ScorePartsRecord(old_age=200, hardship=150, health=100, working_life=100),
        retirement_age=63,
        pension_outcome=pension_outcome,
        employee_years=18.0,
        residents_years=0,
        minimum_years=15.0,
        monthly_pension=monthly,
        retired_living_monthly=2400.0,
        savings_end=50_000.0,
        health_end=70.0,
        paid_in=120_000.0,
        received=310_000.0,
        bills=40_000.0,
        out_of_pocket=9_000.0,
        catastrophic_years=0,
        working_years=40,
        years_with_pension=18,
        years_with_medical=40,
        total_years=62,
        insured=OutcomeRecord(score=720, pension_outcome="employee_pension", monthly_pension=2600),
        uninsured=OutcomeRecord(score=310, pension_outcome="none", monthly_pension=0),
    )


def _life(
    player: str,
    score: int,
    *,
    room: str = "ROOM1",
    scenario: str = "hangzhou-rider",
    nickname: str | None = None,
    finished_at: datetime = T0,
    badges: tuple[str, ...] = ("fifteen_years", "monthly_pension"),
    seed: int = 42,
) -> LifeResultCreate:
    return LifeResultCreate(
        room_code=room,
        scenario_id=scenario,
        scenario_version=1,
        mode="workshop",
        player_id=player,
        nickname=nickname if nickname is not None else f"player {player}",
        seed=seed,
        score=score,
        badges=list(badges),
        summary=_summary(),
        finished_at=finished_at,
    )


def _answer(
    player: str, question: str, phase: str, correct: bool, *, room: str = "ROOM1", at: datetime = T0
) -> QuizAnswerCreate:
    return QuizAnswerCreate.model_validate(
        {
            "room_code": room,
            "player_id": player,
            "question_id": question,
            "phase": phase,
            "answer": 1 if correct else 2,
            "correct": correct,
            "answered_at": at,
        }
    )


def _room(room: str = "ROOM1", *, finished_at: datetime | None = T0) -> RoomSummaryCreate:
    return RoomSummaryCreate(
        room_code=room,
        scenario_id="hangzhou-rider",
        mode="workshop",
        players=3,
        created_at=T0 - timedelta(hours=1),
        finished_at=finished_at,
        stats={"mean_score": 512.5, "share_insured": [0.25, 0.5, 0.75], "pool": {"paid": 3}},
    )


# --- schema ---------------------------------------------------------------------------------


async def test_migrate_twice_and_the_schema_matches_the_models(
    store: ResultsStore, database_url: str
) -> None:
    await store.migrate()  # the fixture migrated once already

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert TABLES | {"alembic_version"} <= set(inspect(connection).get_table_names())
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    # SQLModel.metadata is shared: other modules' tables are not ours to check.
                    "include_name": lambda name, kind, _: kind != "table" or name in TABLES,
                },
            )
            diffs = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert diffs == []


def test_unsupported_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        ResultsStore("mysql+pymysql://u@localhost/x")
    with pytest.raises(ValueError, match="in-memory"):
        ResultsStore("sqlite://")


# --- life results ---------------------------------------------------------------------------


async def test_a_life_round_trips_and_a_second_save_keeps_the_first(store: ResultsStore) -> None:
    beijing = timezone(timedelta(hours=8))
    first = _life("p1", 640, nickname="小王🚚", seed=SEED_MAX)
    first = first.model_copy(update={"finished_at": datetime(2026, 3, 1, 20, 0, tzinfo=beijing)})

    saved = await store.save_life(first)
    assert saved.id > 0
    assert saved.nickname == "小王🚚"
    assert saved.seed == SEED_MAX
    assert saved.finished_at == T0
    assert saved.finished_at.utcoffset() == timedelta(0)
    assert saved.summary == first.summary
    assert saved.badges == ["fifteen_years", "monthly_pension"]

    again = await store.save_life(_life("p1", 999, nickname="someone else"))
    assert again == saved
    assert await store.room_leaderboard("ROOM1") == [saved]


async def test_concurrent_saves_of_one_result_store_one_row(store: ResultsStore) -> None:
    saved = await asyncio.gather(*(store.save_life(_life("p1", 500)) for _ in range(8)))
    assert len({s.id for s in saved}) == 1
    assert len(await store.room_leaderboard("ROOM1")) == 1


async def test_markup_in_a_nickname_is_stored_verbatim(store: ResultsStore) -> None:
    nickname = "<script>alert('x')</script>"
    await store.save_life(_life("p1", 500, nickname=nickname))
    [stored] = await store.room_leaderboard("ROOM1")
    assert stored.nickname == nickname


async def test_leaderboard_order_limit_and_scenario(store: ResultsStore) -> None:
    later = T0 + timedelta(minutes=5)
    for player, score, room, scenario, at in [
        ("a", 700, "R1", "hangzhou-rider", later),
        ("b", 700, "R2", "hangzhou-rider", T0),  # same score, earlier: ranks first
        ("c", 900, "R1", "shenzhen-driver", T0),
        ("d", 300, "R2", "hangzhou-rider", T0),
        ("e", 800, "R3", "hangzhou-rider", later),
    ]:
        await store.save_life(_life(player, score, room=room, scenario=scenario, finished_at=at))

    everyone = await store.leaderboard(None)
    assert [r.player_id for r in everyone] == ["c", "e", "b", "a", "d"]
    rider = await store.leaderboard("hangzhou-rider", limit=3)
    assert [r.player_id for r in rider] == ["e", "b", "a"]
    assert await store.leaderboard("no-such-scenario") == []
    with pytest.raises(ValueError, match="limit"):
        await store.leaderboard(None, limit=0)

    assert [r.player_id for r in await store.room_leaderboard("R1")] == ["c", "a"]
    assert [r.player_id for r in await store.room_leaderboard("R2")] == ["b", "d"]
    assert await store.room_leaderboard("EMPTY") == []


# --- quiz and reports -----------------------------------------------------------------------


async def test_quiz_answers_are_idempotent(store: ResultsStore) -> None:
    answers = [_answer("p1", "q1", "pre", False), _answer("p1", "q1", "post", True)]
    assert await store.save_quiz_answers(answers) == 2
    assert await store.save_quiz_answers(answers) == 0
    assert await store.save_quiz_answers([*answers, _answer("p2", "q1", "pre", True)]) == 1
    assert await store.save_quiz_answers([]) == 0
    export = await store.export_room("ROOM1")
    assert len(export["quiz_answers"]) == 3


async def test_learning_report_shares(store: ResultsStore) -> None:
    # q1 before: 1 of 4 right; after: 3 of 4. q2 before: 2 of 2; nobody answered it after.
    answers = [
        _answer("p1", "q1", "pre", True),
        _answer("p2", "q1", "pre", False),
        _answer("p3", "q1", "pre", False),
        _answer("p4", "q1", "pre", False),
        _answer("p1", "q1", "post", True),
        _answer("p2", "q1", "post", True),
        _answer("p3", "q1", "post", True),
        _answer("p4", "q1", "post", False),
        _answer("p1", "q2", "pre", True),
        _answer("p2", "q2", "pre", True),
        _answer("p9", "q1", "pre", True, room="OTHER"),
    ]
    await store.save_quiz_answers(answers)

    q1, q2 = await store.learning_report("ROOM1")
    assert (q1.question_id, q1.pre_count, q1.pre_share_correct) == ("q1", 4, 0.25)
    assert (q1.post_count, q1.post_share_correct) == (4, 0.75)
    assert (q2.question_id, q2.pre_count, q2.pre_share_correct) == ("q2", 2, 1.0)
    assert (q2.post_count, q2.post_share_correct) == (0, None)
    assert await store.learning_report("EMPTY") == []


async def test_room_summary_is_upserted(store: ResultsStore) -> None:
    await store.save_room_summary(_room(finished_at=None))
    final = _room().model_copy(update={"players": 4, "stats": {"mean_score": 600}})
    await store.save_room_summary(final)

    room = (await store.export_room("ROOM1"))["room"]
    assert room["players"] == 4
    assert room["stats"] == {"mean_score": 600}
    assert room["finished_at"] is not None


async def test_export_room_is_json(store: ResultsStore) -> None:
    await store.save_room_summary(_room())
    await store.save_life(_life("p1", 640, nickname="阿芳"))
    await store.save_life(_life("p2", 480))
    await store.save_life(_life("p3", 999, room="OTHER"))
    await store.save_quiz_answers([_answer("p1", "q1", "pre", True)])

    export = await store.export_room("ROOM1")
    assert json.loads(json.dumps(export, ensure_ascii=False)) == export
    assert export["room"]["stats"]["share_insured"] == [0.25, 0.5, 0.75]
    assert [r["nickname"] for r in export["results"]] == ["阿芳", "player p2"]
    assert export["results"][0]["summary"]["insured"]["score"] == 720
    assert export["quiz_answers"][0]["question_id"] == "q1"

    empty = await store.export_room("NOPE")
    assert empty == {"room_code": "NOPE", "room": None, "results": [], "quiz_answers": []}


async def test_export_room_csv(store: ResultsStore) -> None:
    await store.save_life(_life("p1", 640, nickname='=HYPERLINK("http://evil","x")'))
    await store.save_life(_life("p2", 480, nickname="小李", badges=()))
    await store.save_life(_life("p3", 300, nickname="-2+3"))
    await store.save_life(_life("p4", 200, nickname="@SUM(A1)"))
    await store.save_life(_life("x", 999, room="OTHER"))
    await store.save_quiz_answers(
        [
            _answer("p1", "q1", "pre", False),
            _answer("p1", "q2", "pre", True),
            _answer("p1", "q1", "post", True),
            _answer("p1", "q2", "post", True),
            _answer("p2", "q1", "post", True),
        ]
    )

    text = await store.export_room_csv("ROOM1")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + 4
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first["nickname"] == '\'=HYPERLINK("http://evil","x")'
    assert first["score"] == "640"
    assert first["badges"] == "fifteen_years;monthly_pension"
    assert first["pension_outcome"] == "employee_pension"
    assert first["monthly_pension"] == "2100.50"
    assert (first["pre_quiz_correct"], first["post_quiz_correct"]) == ("1", "2")
    second = dict(zip(CSV_COLUMNS, rows[2], strict=True))
    assert (second["nickname"], second["badges"]) == ("小李", "")
    assert (second["pre_quiz_correct"], second["post_quiz_correct"]) == ("0", "1")
    assert [r[0] for r in rows[3:]] == ["'-2+3", "'@SUM(A1)"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# --- retention ------------------------------------------------------------------------------


async def test_purge_deletes_only_old_rows(store: ResultsStore) -> None:
    now = T0 + timedelta(days=400)
    old, recent = T0, now - timedelta(days=10)
    await store.save_life(_life("old", 500, room="OLD", finished_at=old))
    await store.save_life(_life("new", 500, room="NEW", finished_at=recent))
    await store.save_quiz_answers(
        [
            _answer("old", "q1", "pre", True, room="OLD", at=old),
            _answer("old", "q2", "pre", True, room="OLD", at=old),
            _answer("new", "q1", "pre", True, room="NEW", at=recent),
        ]
    )
    await store.save_room_summary(_room("OLD", finished_at=old))
    await store.save_room_summary(_room("NEW", finished_at=recent))
    unfinished = _room("STALE", finished_at=None)  # counts from its creation
    await store.save_room_summary(unfinished)

    assert await store.purge_older_than(365, now) == 1 + 2 + 2
    assert await store.purge_older_than(365, now) == 0

    assert (await store.export_room("OLD")) == {
        "room_code": "OLD",
        "room": None,
        "results": [],
        "quiz_answers": [],
    }
    assert (await store.export_room("STALE"))["room"] is None
    kept = await store.export_room("NEW")
    assert kept["room"] is not None
    assert len(kept["results"]) == 1
    assert len(kept["quiz_answers"]) == 1

    with pytest.raises(ValueError, match="aware"):
        await store.purge_older_than(365, now.replace(tzinfo=None))


# --- validation (no database) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("finished_at", datetime(2026, 1, 1)),  # naive: which zone?
        ("badges", ["not_a_badge"]),
        ("seed", SEED_MAX + 1),
        ("seed", -1),
        ("nickname", "长" * 41),
        ("mode", "party"),
    ],
)
def test_invalid_results_are_refused(field: str, value: Any) -> None:
    data = _life("p1", 500).model_dump()
    data[field] = value
    with pytest.raises(ValidationError):
        LifeResultCreate.model_validate(data)


def test_rows_stored_before_the_outcome_score_still_load() -> None:
    # The score parts were renamed (issue 8): an older row's parts load with the new parts at 0.
    old = ScorePartsRecord.model_validate(
        {"finances": 100, "retirement_income": 200, "health": 100, "continuity": 150}
    )
    assert (old.old_age, old.hardship, old.health, old.working_life) == (0, 0, 100, 0)


def test_a_result_from_the_engine(scenarios: dict[str, Scenario]) -> None:
    scenario = scenarios["hangzhou-rider"]
    state = play_through(scenario, 7, lambda st: default_decisions(scenario, st))
    cf = counterfactual(scenario, state)

    result = LifeResultCreate.from_counterfactual(
        cf,
        room_code="ROOM1",
        scenario_version=scenario.version,
        mode="solo",
        player_id="p1",
        nickname="小王",
        finished_at=T0,
    )
    assert (result.scenario_id, result.seed, result.score) == (scenario.id, 7, cf.actual.score)
    assert result.badges == list(cf.actual.badges)
    assert result.summary.uninsured.score == cf.uninsured.score
    assert result.summary.insured.monthly_pension == cf.insured.monthly_pension
    # Every LifeSummary field is kept: as a column or in the summary.
    summary_fields = set(LifeSummary.__dataclass_fields__)
    record_fields = set(LifeSummaryRecord.model_fields) - {"insured", "uninsured"}
    assert record_fields | LifeSummaryRecord.COLUMNS == summary_fields
    assert not record_fields & LifeSummaryRecord.COLUMNS


# --- batches (the results outbox) -----------------------------------------------------------


async def test_a_batch_upserts_keeping_the_newest_version_of_each_row(
    store: ResultsStore,
) -> None:
    first_saved = await store.save_life(_life("p0", 100))  # a single save: revision 0
    old, new = T0, T0 + timedelta(minutes=5)
    life_old, life_new = _life("p1", 300, finished_at=old), _life("p1", 500, finished_at=new)
    answer_old = _answer("p1", "q1", "pre", False, at=old)
    answer_new = _answer("p1", "q1", "pre", True, at=new)
    room_old = _room(finished_at=old)
    room_new = _room(finished_at=new).model_copy(update={"players": 9})

    await store.save_batch([life_new, _life("p0", 200)], [room_new], [answer_new])
    await store.save_batch([life_old], [room_old], [answer_old])  # older: changes nothing
    await store.save_batch([life_new, life_old], [], [answer_old, answer_new])  # one key twice

    exported = await store.export_room("ROOM1")
    scores = {r["player_id"]: (r["score"], r["id"]) for r in exported["results"]}
    assert scores["p1"][0] == 500
    assert scores["p0"] == (200, first_saved.id)  # the single save's row, replaced in place
    assert [a["correct"] for a in exported["quiz_answers"]] == [True]
    assert exported["room"]["players"] == 9


def test_a_revision_needs_an_aware_time() -> None:
    assert revision_of(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == 1_000_005
    beijing = datetime(1970, 1, 1, 8, 0, 1, tzinfo=timezone(timedelta(hours=8)))
    assert revision_of(beijing) == 1_000_000
    with pytest.raises(ValueError, match="timezone-aware"):
        revision_of(datetime(2026, 1, 1))


HASH_A, HASH_B = "a" * 64, "b" * 64


async def test_the_host_token_hash_is_kept_with_the_summary_and_never_exported(
    store: ResultsStore,
) -> None:
    """The summary keeps the host token's hash (the export checks it once the room left
    Redis): through the outbox's batch and the single save alike. A later version written
    without it (``None``) keeps the stored one; a newer hash replaces it. The export never
    shows it, and a room without a summary, or stored without a hash, has none."""
    assert await store.host_token_hash("ROOM1") is None
    playing = _room(finished_at=None).model_copy(update={"host_token_hash": HASH_A})
    await store.save_batch([], [playing], [])
    assert await store.host_token_hash("ROOM1") == HASH_A

    await store.save_batch([], [_room()], [])  # the final version, written without the hash
    assert await store.host_token_hash("ROOM1") == HASH_A
    exported = await store.export_room("ROOM1")
    assert exported["room"]["finished_at"] is not None
    assert "host_token_hash" not in exported["room"]
    assert HASH_A not in json.dumps(exported)
    assert HASH_A not in await store.export_room_csv("ROOM1")

    await store.save_room_summary(_room().model_copy(update={"host_token_hash": HASH_B}))
    assert await store.host_token_hash("ROOM1") == HASH_B
    await store.save_room_summary(_room("ROOM2"))
    assert await store.host_token_hash("ROOM2") is None


@pytest.mark.parametrize("value", ["A" * 64, "a" * 63, "g" * 64, "a" * 65, ""])
def test_a_host_token_hash_must_be_a_sha256(value: str) -> None:
    with pytest.raises(ValidationError):
        RoomSummaryCreate.model_validate({**_room().model_dump(), "host_token_hash": value})
