"""Fixtures of the results outbox tests: a Redis client as the app has it (replies decoded),
and a results database — a SQLite file always, PostgreSQL too when ``TEST_DATABASE_URL`` is set
(a schema of its own, dropped afterwards) — with a way to lock it against writes."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateSchema, DropSchema

from game_server.stores.results import ResultsStore

_BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])

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


@pytest.fixture(params=_BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        file_url = f"sqlite:///{tmp_path / 'results.db'}"
        yield Database(file_url, f"{file_url}?timeout={LOCK_WAIT_MS / 1000}", "sqlite")
        return
    base = make_url(os.environ["TEST_DATABASE_URL"])
    schema = f"test_outbox_{secrets.token_hex(6)}"
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(CreateSchema(schema))
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        impatient = base.update_query_dict(
            {"options": f"-csearch_path={schema} -clock_timeout={LOCK_WAIT_MS}"}
        )
        yield Database(
            url.render_as_string(hide_password=False),
            impatient.render_as_string(hide_password=False),
            "postgresql",
        )
    finally:
        with admin.begin() as connection:
            connection.execute(DropSchema(schema, cascade=True))
        admin.dispose()


@pytest.fixture
async def results(database: Database) -> AsyncIterator[ResultsStore]:
    """The results store, on a migrated database."""
    store = ResultsStore(database.url)
    await store.migrate()
    yield store
    await store.dispose()


@pytest.fixture
async def impatient_results(
    database: Database, results: ResultsStore
) -> AsyncIterator[ResultsStore]:
    """A second store on the same database whose writes fail fast while it is locked."""
    store = ResultsStore(database.impatient_url)
    yield store
    await store.dispose()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client on an empty database, decoding replies as the app's does."""
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        await client.flushdb()
        yield client
    finally:
        await client.aclose()
