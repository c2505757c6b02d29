"""Fixtures of the results outbox tests: a Redis client as the app has it (replies decoded),
and a results database — a SQLite file always, PostgreSQL too when ``TEST_DATABASE_URL`` is set
(a schema of its own, dropped afterwards) — with a way to lock it against writes."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from outbox.outbox_support import LOCK_WAIT_MS, Database
from redis.asyncio import Redis
from sqlalchemy import create_engine, make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateSchema, DropSchema

from game_server.stores.results import ResultsStore

_BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


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
