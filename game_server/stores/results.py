"""Results in SQL (SQLModel): finished lives, room summaries and quiz answers.

Live rooms are in Redis and expire; what a room came to is kept here, in SQLite by default (a
file under ``var/``) or PostgreSQL in production. Three tables, each with its model family
(``…Base`` shared fields, ``…Create`` input, the table model, ``…Public`` output):

- ``life_result``: one finished life per player and room;
- ``room_summary``: one row per room, group statistics as JSON text, replaced on every save;
- ``quiz_answer``: one answer per player, question and phase (before or after the game).

Every write is idempotent. The single saves keep the row that is there (a result or an answer
saved again is ignored); :meth:`ResultsStore.save_batch`, which the results outbox uses, keeps the
newest version instead: each row carries a ``revision`` (its timestamp in microseconds) and an
upsert replaces a row only with one at least as new, so a batch retried after a crash, or two
instances flushing the same room at once with different versions, end with the newest row.
Inserts use ``ON CONFLICT``, so there is no read-then-write race between instances.

SQLAlchemy is blocking: each public method is async and runs its ``_…_sync`` twin in a worker
thread (``asyncio.to_thread``) so the event loop never waits on the database.

The schema is created by Alembic (``migrations/``), never by ``create_all``: :meth:`migrate`
runs ``upgrade head`` and is safe to call at every start.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from alembic import command
from alembic.config import Config
from pydantic import AwareDatetime, BaseModel, ConfigDict, JsonValue, TypeAdapter, field_validator
from sqlalchemy import BigInteger, CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel, case, col, create_engine, delete, func, select

from game_server.engine.counterfactual import Counterfactual
from game_server.engine.scoring import BADGE_TEXT, LifeSummary

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")

SEED_MAX = 2**63 - 1
"""Seeds are stored as BIGINT, which is signed: 0 ≤ seed < 2**63."""

NICKNAME_MAX = 40

MIGRATION_LOCK_KEY = 0x6769675F6C696665  # "gig_life"
"""PostgreSQL advisory lock held while migrating, so instances starting together take turns."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Mode = Literal["solo", "workshop"]
QuizPhase = Literal["pre", "post"]


class JSONText(TypeDecorator[Any]):
    """A value kept as JSON text (TEXT on every database), checked against ``schema`` both ways.

    Text rather than PostgreSQL's JSON type: the rows are only ever read whole, and one column
    type on SQLite and PostgreSQL keeps the migrations and the exports identical.
    """

    impl = Text
    cache_ok = True

    def __init__(self, schema: Any) -> None:
        super().__init__()
        self.schema = schema  # part of the statement cache key, so it must be hashable
        self._adapter: TypeAdapter[Any] = TypeAdapter(schema)

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self._adapter.dump_json(self._adapter.validate_python(value)).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self._adapter.validate_json(value)


# --- the summary of a life, as kept in life_result.summary ---------------------------------


class ScorePartsRecord(BaseModel):
    """The score's parts. Rows stored before the outcome-based score (finances, retirement
    income, continuity) still load: their old parts are ignored and the new ones read 0."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    old_age: int = 0
    hardship: int = 0
    health: int
    working_life: int = 0
    scaled: bool = False


class OutcomeRecord(BaseModel):
    """The same life under other cover (the counterfactual): what it would have come to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    score: int
    pension_outcome: str
    monthly_pension: float


class LifeSummaryRecord(BaseModel):
    """:class:`LifeSummary` without the fields that are columns of ``life_result`` (scenario id,
    seed, score, badges: nothing is stored twice), plus the counterfactual's outcomes.

    Stored rows are validated against this model when read, for as long as they are kept: give
    a field added later a default, or older rows will no longer load. (Fields dropped later are
    ignored.)
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    parts: ScorePartsRecord
    retirement_age: int
    pension_outcome: str
    employee_years: float
    residents_years: float
    minimum_years: float
    monthly_pension: float
    retired_living_monthly: float
    savings_end: float
    health_end: float
    paid_in: float
    received: float
    bills: float
    out_of_pocket: float
    catastrophic_years: int = 0
    working_years: int
    years_with_pension: float
    years_with_medical: int
    total_years: int
    # Added with the outcome-based score (issue 8): defaults keep older rows loading.
    retirement_months: int = 0
    death_age: int = 0
    old_age_income_monthly: float = 0.0
    inherited_account: float = 0.0
    died_before_pension: bool = False
    old_age_poor_years: int = 0
    lowest_savings: float = 0.0
    retired_years: int = 0
    left_for_living_working: float = 0.0
    insured: OutcomeRecord
    uninsured: OutcomeRecord

    COLUMNS: ClassVar[frozenset[str]] = frozenset({"scenario_id", "seed", "score", "badges"})
    """The :class:`LifeSummary` fields kept as columns instead."""

    @classmethod
    def from_counterfactual(cls, cf: Counterfactual) -> LifeSummaryRecord:
        fields = {k: v for k, v in asdict(cf.actual).items() if k not in cls.COLUMNS}
        return cls.model_validate(
            {**fields, "insured": _outcome(cf.insured), "uninsured": _outcome(cf.uninsured)}
        )


def _outcome(summary: LifeSummary) -> OutcomeRecord:
    return OutcomeRecord(
        score=summary.score,
        pension_outcome=summary.pension_outcome,
        monthly_pension=summary.monthly_pension,
    )


def revision_of(moment: datetime) -> int:
    """A row's revision: its timestamp in microseconds since 1970 (an integer, so the
    comparison in SQL is exact on every database; SQLite keeps datetimes as text)."""
    if moment.utcoffset() is None:
        raise ValueError("a revision needs a timezone-aware time")
    return (moment - EPOCH) // timedelta(microseconds=1)


_REVISION_COLUMN: dict[str, Any] = {"server_default": "0"}
"""Rows written by the single saves (and before migration 0002) have revision 0: any version
from the outbox replaces them."""


# --- life_result ----------------------------------------------------------------------------


class LifeResultBase(SQLModel):
    room_code: str = Field(index=True, min_length=1)
    scenario_id: str = Field(index=True, min_length=1)
    scenario_version: int = Field(ge=1)
    mode: Mode = Field(sa_type=String(16))
    player_id: str = Field(min_length=1)
    nickname: str = Field(max_length=NICKNAME_MAX)
    """As the player typed it (sanitised upstream); stored and returned verbatim, never
    interpreted: escaping for HTML or CSV is done where it is written out."""
    seed: int = Field(ge=0, le=SEED_MAX, sa_type=BigInteger)
    score: int = Field(index=True)
    badges: list[str] = Field(default_factory=list, sa_type=JSONText(list[str]))
    summary: LifeSummaryRecord = Field(sa_type=JSONText(LifeSummaryRecord))
    finished_at: AwareDatetime = Field(index=True)

    @field_validator("badges")
    @classmethod
    def _known_badges(cls, badges: list[str]) -> list[str]:
        unknown = [b for b in badges if b not in BADGE_TEXT]
        if unknown:
            raise ValueError(f"unknown badge ids: {unknown}")
        return badges


class LifeResult(LifeResultBase, table=True):
    __tablename__ = "life_result"
    __table_args__ = (
        UniqueConstraint("room_code", "player_id", name="uq_life_result_room_player"),
        CheckConstraint("mode IN ('solo', 'workshop')", name="ck_life_result_mode"),
    )

    id: int | None = Field(default=None, primary_key=True)
    revision: int = Field(
        default=0, sa_type=BigInteger, nullable=False, sa_column_kwargs=_REVISION_COLUMN
    )


class LifeResultCreate(LifeResultBase):
    @classmethod
    def from_counterfactual(
        cls,
        cf: Counterfactual,
        *,
        room_code: str,
        scenario_version: int,
        mode: Mode,
        player_id: str,
        nickname: str,
        finished_at: datetime,
    ) -> LifeResultCreate:
        """The result of a finished life, from the engine's counterfactual of it."""
        actual = cf.actual
        return cls.model_validate(
            {
                "room_code": room_code,
                "scenario_id": actual.scenario_id,
                "scenario_version": scenario_version,
                "mode": mode,
                "player_id": player_id,
                "nickname": nickname,
                "seed": actual.seed,
                "score": actual.score,
                "badges": list(actual.badges),
                "summary": LifeSummaryRecord.from_counterfactual(cf),
                "finished_at": finished_at,
            }
        )


class LifeResultPublic(LifeResultBase):
    id: int


_BEST_FIRST = (
    col(LifeResult.score).desc(),
    col(LifeResult.finished_at).asc(),  # a tie goes to whoever finished first
    col(LifeResult.id).asc(),
)


# --- room_summary ---------------------------------------------------------------------------


class RoomSummaryBase(SQLModel):
    room_code: str = Field(primary_key=True, min_length=1)
    scenario_id: str = Field(min_length=1)
    mode: Mode = Field(sa_type=String(16))
    players: int = Field(ge=0)
    created_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    """``None`` while the room is still playing."""
    stats: dict[str, JsonValue] = Field(
        default_factory=dict, sa_type=JSONText(dict[str, JsonValue])
    )
    """Group statistics (mean score, share insured per round, risk-pool results...)."""


HOST_TOKEN_HASH_LENGTH = 64
"""A SHA-256 in hex."""
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class RoomSummary(RoomSummaryBase, table=True):
    __tablename__ = "room_summary"
    __table_args__ = (CheckConstraint("mode IN ('solo', 'workshop')", name="ck_room_summary_mode"),)

    revision: int = Field(
        default=0, sa_type=BigInteger, nullable=False, sa_column_kwargs=_REVISION_COLUMN
    )
    host_token_hash: str | None = Field(default=None, max_length=HOST_TOKEN_HASH_LENGTH)
    """The SHA-256 of the room's host token (migration 0003): the export checks it once the
    room is gone from Redis. Never exported (``RoomSummaryPublic`` has no such field)."""


class RoomSummaryCreate(RoomSummaryBase):
    host_token_hash: str | None = None
    """SHA-256 (hex) of the host token; ``None``: keep the one stored (a version written
    without it never erases it)."""

    @field_validator("host_token_hash")
    @classmethod
    def _a_sha256(cls, value: str | None) -> str | None:
        if value is not None and not _SHA256_HEX.fullmatch(value):
            raise ValueError("host_token_hash must be a SHA-256 in lower-case hex")
        return value


class RoomSummaryPublic(RoomSummaryBase):
    pass


# --- quiz_answer ----------------------------------------------------------------------------


class QuizAnswerBase(SQLModel):
    room_code: str = Field(index=True, min_length=1)
    player_id: str = Field(min_length=1)
    question_id: str = Field(min_length=1)
    phase: QuizPhase = Field(sa_type=String(8))
    answer: int = Field(ge=0)
    correct: bool
    answered_at: AwareDatetime


class QuizAnswer(QuizAnswerBase, table=True):
    __tablename__ = "quiz_answer"
    __table_args__ = (
        UniqueConstraint(
            "room_code", "player_id", "question_id", "phase", name="uq_quiz_answer_one_per_phase"
        ),
        CheckConstraint("phase IN ('pre', 'post')", name="ck_quiz_answer_phase"),
    )

    id: int | None = Field(default=None, primary_key=True)
    revision: int = Field(
        default=0, sa_type=BigInteger, nullable=False, sa_column_kwargs=_REVISION_COLUMN
    )


class QuizAnswerCreate(QuizAnswerBase):
    pass


class QuizAnswerPublic(QuizAnswerBase):
    id: int


class QuestionReport(BaseModel):
    """How a room answered one question before and after playing."""

    question_id: str
    pre_count: int
    pre_share_correct: float | None
    """``None`` when nobody answered."""
    post_count: int
    post_share_correct: float | None


CSV_COLUMNS = (
    "nickname",
    "score",
    "badges",
    "pension_outcome",
    "monthly_pension",
    "pre_quiz_correct",
    "post_quiz_correct",
)

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(text: str) -> str:
    # CSV injection: Excel, WPS and LibreOffice run a cell that starts with = + - @ as a formula
    # (OWASP adds tab and carriage return to the list): =HYPERLINK(...) in a nickname could
    # lure the trainer to a link or leak other cells. The leading quote makes the spreadsheet
    # show the text as text; the quote is visible and nothing of the nickname is lost.
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic configuration for the results migrations, built in code (no ``alembic.ini``
    needed, whatever the working directory)."""
    config = Config()
    # ConfigParser interpolates '%': a URL-encoded password must have it doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


class ResultsStore:
    """Results of finished games in SQL. Build one per process; :meth:`dispose` at shutdown."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self._url = url
        backend = url.get_backend_name()
        if backend == "sqlite":
            if url.database in (None, "", ":memory:"):
                # Each pooled connection would get its own empty database.
                raise ValueError("an in-memory SQLite database cannot be shared: use a file")
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            # Calls run in worker threads (asyncio.to_thread), never two on one connection.
            self._engine = create_engine(url, connect_args={"check_same_thread": False})
        elif backend == "postgresql":
            self._engine = create_engine(url, pool_pre_ping=True)
        else:
            raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
        self._dialect = backend
        self._upserts: dict[tuple[type[SQLModel], tuple[str, ...], tuple[str, ...]], Any] = {}
        """Each upsert statement, built once per table and set of columns (building one was a
        third of a results write's time: ``excluded`` copies every column of the table)."""

    # --- async API --------------------------------------------------------------------------

    async def migrate(self) -> None:
        """Bring the schema to the newest migration (Alembic ``upgrade head``); idempotent."""
        await asyncio.to_thread(self._migrate_sync)

    async def save_life(self, result: LifeResultCreate) -> LifeResultPublic:
        """Store a finished life; if the player's result for the room is already stored, keep
        it and return it (the first save wins)."""
        return await asyncio.to_thread(self._save_life_sync, result)

    async def save_room_summary(self, summary: RoomSummaryCreate) -> RoomSummaryPublic:
        """Insert or replace the room's summary."""
        return await asyncio.to_thread(self._save_room_summary_sync, summary)

    async def save_quiz_answers(self, answers: Sequence[QuizAnswerCreate]) -> int:
        """Store answers, ignoring any already stored; returns how many were new."""
        return await asyncio.to_thread(self._save_quiz_answers_sync, answers)

    async def save_batch(
        self,
        lives: Sequence[LifeResultCreate] = (),
        rooms: Sequence[RoomSummaryCreate] = (),
        quiz: Sequence[QuizAnswerCreate] = (),
    ) -> None:
        """Upsert lives, room summaries and quiz answers in one transaction: all are stored or
        none. A row replaces the stored one of the same key (room and player; room; room,
        player, question and phase) only if it is at least as new (``finished_at``, else
        ``created_at`` for a room; ``answered_at``), so writing a batch twice, or an older
        version after a newer one, leaves one row per key with the newest content."""
        await asyncio.to_thread(self._save_batch_sync, lives, rooms, quiz)

    async def leaderboard(
        self, scenario_id: str | None = None, limit: int = 20
    ) -> list[LifeResultPublic]:
        """The best results (of one scenario, or of all): score descending, earliest first."""
        return await asyncio.to_thread(self._leaderboard_sync, scenario_id, limit)

    async def room_leaderboard(self, room_code: str) -> list[LifeResultPublic]:
        """Every result of the room, best first."""
        return await asyncio.to_thread(self._room_leaderboard_sync, room_code)

    async def learning_report(self, room_code: str) -> list[QuestionReport]:
        """For each question answered in the room: answers and share correct before and after."""
        return await asyncio.to_thread(self._learning_report_sync, room_code)

    async def host_token_hash(self, room_code: str) -> str | None:
        """The SHA-256 of the room's host token kept with its summary (``None``: no summary,
        or one stored without it)."""
        return await asyncio.to_thread(self._host_token_hash_sync, room_code)

    async def export_room(self, room_code: str) -> dict[str, Any]:
        """Everything stored about the room, JSON-ready (``json.dumps`` takes it as it is)."""
        return await asyncio.to_thread(self._export_room_sync, room_code)

    async def export_room_csv(self, room_code: str) -> str:
        """One line per player, for a spreadsheet. Serve it encoded as ``utf-8-sig``: Excel
        needs the byte-order mark to read Chinese nicknames as UTF-8."""
        return await asyncio.to_thread(self._export_room_csv_sync, room_code)

    async def purge_older_than(self, days: int, now: datetime) -> int:
        """Delete results, quiz answers and room summaries older than ``days`` before ``now``
        (a room not finished counts from its creation); returns how many rows went."""
        return await asyncio.to_thread(self._purge_older_than_sync, days, now)

    async def dispose(self) -> None:
        """Close the connection pool."""
        await asyncio.to_thread(self._engine.dispose)

    # --- sync core --------------------------------------------------------------------------

    def _insert(self, model: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
        # Both dialects speak INSERT ... ON CONFLICT, with the same API in SQLAlchemy.
        return postgresql.insert(model) if self._dialect == "postgresql" else sqlite.insert(model)

    def _migrate_sync(self) -> None:
        config = alembic_config(self._url.render_as_string(hide_password=False))
        with self._engine.begin() as connection:
            if self._dialect == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def _save_life_sync(self, result: LifeResultCreate) -> LifeResultPublic:
        row = LifeResult.model_validate(result)
        values = {name: getattr(row, name) for name in LifeResultBase.model_fields}
        insert = self._insert(LifeResult).values(values)
        with Session(self._engine) as session:
            session.exec(insert.on_conflict_do_nothing(index_elements=["room_code", "player_id"]))
            stored = session.exec(
                select(LifeResult).where(
                    LifeResult.room_code == result.room_code,
                    LifeResult.player_id == result.player_id,
                )
            ).one()
            public = LifeResultPublic.model_validate(stored)
            session.commit()
        return public

    def _save_room_summary_sync(self, summary: RoomSummaryCreate) -> RoomSummaryPublic:
        row = RoomSummary.model_validate(summary)
        values = {name: getattr(row, name) for name in _ROOM_FIELDS}
        insert = self._insert(RoomSummary).values(values)
        changed = {name: insert.excluded[name] for name in values if name != "room_code"}
        changed["host_token_hash"] = _kept_host_hash(insert)
        with Session(self._engine) as session:
            session.exec(insert.on_conflict_do_update(index_elements=["room_code"], set_=changed))
            session.commit()
        return RoomSummaryPublic.model_validate(row)

    def _save_quiz_answers_sync(self, answers: Sequence[QuizAnswerCreate]) -> int:
        if not answers:
            return 0
        rows = [
            {
                name: getattr(QuizAnswer.model_validate(a), name)
                for name in QuizAnswerBase.model_fields
            }
            for a in answers
        ]
        insert = (
            self._insert(QuizAnswer)
            .on_conflict_do_nothing(
                index_elements=["room_code", "player_id", "question_id", "phase"]
            )
            .returning(col(QuizAnswer.id))
        )
        with Session(self._engine) as session:
            # executemany: SQLAlchemy batches the rows; RETURNING gives only the inserted ones.
            added = len(session.exec(insert, params=rows).all())
            session.commit()
        return added

    def _upsert(
        self, model: type[LifeResult | RoomSummary | QuizAnswer], keys: list[str], rows: list[Any]
    ) -> Any:
        columns = tuple(rows[0])
        built = (model, tuple(keys), columns)
        statement = self._upserts.get(built)
        if statement is not None:
            return statement
        insert = self._insert(model)
        changed = {name: insert.excluded[name] for name in columns if name not in keys}
        if model is RoomSummary:
            changed["host_token_hash"] = _kept_host_hash(insert)
        statement = self._upserts[built] = insert.on_conflict_do_update(
            index_elements=keys,
            set_=changed,
            where=col(model.revision) <= insert.excluded.revision,
        )
        return statement

    def _save_batch_sync(
        self,
        lives: Sequence[LifeResultCreate],
        rooms: Sequence[RoomSummaryCreate],
        quiz: Sequence[QuizAnswerCreate],
    ) -> None:
        batches: list[tuple[type[LifeResult | RoomSummary | QuizAnswer], list[str], list[Any]]] = [
            (LifeResult, _LIFE_KEY, [_life_row(x) for x in lives]),
            (RoomSummary, _ROOM_KEY, [_room_row(x) for x in rooms]),
            (QuizAnswer, _QUIZ_KEY, [_quiz_row(x) for x in quiz]),
        ]
        # A Core connection, not an ORM session: the ORM's bulk path cost more than the rows.
        with self._engine.begin() as connection:
            for model, keys, rows in batches:
                newest = _newest_per_key(rows, keys)
                if newest:
                    # executemany; PostgreSQL refuses to upsert one key twice in one statement,
                    # hence one row per key.
                    connection.execute(self._upsert(model, keys, newest), newest)

    def _host_token_hash_sync(self, room_code: str) -> str | None:
        with Session(self._engine) as session:
            return session.exec(
                select(RoomSummary.host_token_hash).where(RoomSummary.room_code == room_code)
            ).first()

    def _leaderboard_sync(self, scenario_id: str | None, limit: int) -> list[LifeResultPublic]:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = select(LifeResult)
        if scenario_id is not None:
            query = query.where(LifeResult.scenario_id == scenario_id)
        query = query.order_by(*_BEST_FIRST).limit(limit)
        with Session(self._engine) as session:
            return [LifeResultPublic.model_validate(r) for r in session.exec(query)]

    def _room_leaderboard_sync(self, room_code: str) -> list[LifeResultPublic]:
        with Session(self._engine) as session:
            return _room_results(session, room_code)

    def _learning_report_sync(self, room_code: str) -> list[QuestionReport]:
        query = (
            select(
                col(QuizAnswer.question_id),
                col(QuizAnswer.phase),
                func.count(),
                func.sum(case((col(QuizAnswer.correct), 1), else_=0)),
            )
            .where(QuizAnswer.room_code == room_code)
            .group_by(col(QuizAnswer.question_id), col(QuizAnswer.phase))
        )
        counts: dict[str, dict[str, tuple[int, int]]] = {}
        with Session(self._engine) as session:
            for question_id, phase, answered, correct in session.exec(query):
                counts.setdefault(question_id, {})[phase] = (int(answered), int(correct))
        reports = []
        for question_id in sorted(counts):
            pre_count, pre_correct = counts[question_id].get("pre", (0, 0))
            post_count, post_correct = counts[question_id].get("post", (0, 0))
            reports.append(
                QuestionReport(
                    question_id=question_id,
                    pre_count=pre_count,
                    pre_share_correct=pre_correct / pre_count if pre_count else None,
                    post_count=post_count,
                    post_share_correct=post_correct / post_count if post_count else None,
                )
            )
        return reports

    def _export_room_sync(self, room_code: str) -> dict[str, Any]:
        with Session(self._engine) as session:
            room = session.get(RoomSummary, room_code)
            answers = session.exec(
                select(QuizAnswer)
                .where(QuizAnswer.room_code == room_code)
                .order_by(
                    col(QuizAnswer.player_id),
                    col(QuizAnswer.phase).desc(),  # 'pre' before 'post'
                    col(QuizAnswer.question_id),
                )
            ).all()
            return {
                "room_code": room_code,
                "room": (
                    RoomSummaryPublic.model_validate(room).model_dump(mode="json")
                    if room is not None
                    else None
                ),
                "results": [r.model_dump(mode="json") for r in _room_results(session, room_code)],
                "quiz_answers": [
                    QuizAnswerPublic.model_validate(a).model_dump(mode="json") for a in answers
                ],
            }

    def _export_room_csv_sync(self, room_code: str) -> str:
        query = (
            select(
                col(QuizAnswer.player_id),
                col(QuizAnswer.phase),
                func.sum(case((col(QuizAnswer.correct), 1), else_=0)),
            )
            .where(QuizAnswer.room_code == room_code)
            .group_by(col(QuizAnswer.player_id), col(QuizAnswer.phase))
        )
        with Session(self._engine) as session:
            results = _room_results(session, room_code)
            correct = {(p, phase): int(n) for p, phase, n in session.exec(query)}
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for r in results:
            writer.writerow(
                [
                    _csv_cell(r.nickname),
                    r.score,
                    _csv_cell(";".join(r.badges)),
                    _csv_cell(r.summary.pension_outcome),
                    f"{r.summary.monthly_pension:.2f}",
                    correct.get((r.player_id, "pre"), 0),
                    correct.get((r.player_id, "post"), 0),
                ]
            )
        return out.getvalue()

    def _purge_older_than_sync(self, days: int, now: datetime) -> int:
        if days < 0:
            raise ValueError("days must not be negative")
        if now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        cutoff = now - timedelta(days=days)
        room_ended = func.coalesce(col(RoomSummary.finished_at), col(RoomSummary.created_at))
        deletes = (
            delete(LifeResult).where(col(LifeResult.finished_at) < cutoff),
            delete(QuizAnswer).where(col(QuizAnswer.answered_at) < cutoff),
            delete(RoomSummary).where(room_ended < cutoff),
        )
        with Session(self._engine) as session:
            deleted = sum(session.exec(d).rowcount for d in deletes)
            session.commit()
        return deleted


_LIFE_KEY = ["room_code", "player_id"]
_ROOM_KEY = ["room_code"]
_QUIZ_KEY = ["room_code", "player_id", "question_id", "phase"]


# The rows are taken from the Create models as they are: those were validated when built, and
# validating them again as table models was three quarters of a batch's time.


def _life_row(result: LifeResultCreate) -> dict[str, Any]:
    values = {name: getattr(result, name) for name in LifeResultBase.model_fields}
    return {**values, "revision": revision_of(result.finished_at)}


_ROOM_FIELDS = (*RoomSummaryBase.model_fields, "host_token_hash")


def _kept_host_hash(insert: postgresql.Insert | sqlite.Insert) -> Any:
    """On a conflict, the new row's host token hash, or else the stored one."""
    return func.coalesce(insert.excluded.host_token_hash, col(RoomSummary.host_token_hash))


def _room_row(summary: RoomSummaryCreate) -> dict[str, Any]:
    values = {name: getattr(summary, name) for name in _ROOM_FIELDS}
    return {**values, "revision": revision_of(summary.finished_at or summary.created_at)}


def _quiz_row(answer: QuizAnswerCreate) -> dict[str, Any]:
    values = {name: getattr(answer, name) for name in QuizAnswerBase.model_fields}
    return {**values, "revision": revision_of(answer.answered_at)}


def _newest_per_key(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    newest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        if key not in newest or newest[key]["revision"] <= row["revision"]:
            newest[key] = row
    return list(newest.values())


def _room_results(session: Session, room_code: str) -> list[LifeResultPublic]:
    query = select(LifeResult).where(LifeResult.room_code == room_code).order_by(*_BEST_FIRST)
    return [LifeResultPublic.model_validate(r) for r in session.exec(query)]


__all__ = [
    "CSV_COLUMNS",
    "MIGRATIONS_DIR",
    "NICKNAME_MAX",
    "SEED_MAX",
    "JSONText",
    "LifeResult",
    "LifeResultCreate",
    "LifeResultPublic",
    "LifeSummaryRecord",
    "Mode",
    "OutcomeRecord",
    "QuestionReport",
    "QuizAnswer",
    "QuizAnswerCreate",
    "QuizAnswerPublic",
    "QuizPhase",
    "ResultsStore",
    "RoomSummary",
    "RoomSummaryCreate",
    "RoomSummaryPublic",
    "ScorePartsRecord",
    "alembic_config",
    "revision_of",
]
