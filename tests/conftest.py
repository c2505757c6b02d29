"""Shared fixtures: the scenarios in ``scenarios/``, loaded once per test session, and a real
Redis server for the tests about Redis (never a fake).

``TEST_REDIS_URL`` points the tests at an existing server; otherwise one embedded server is
started for the whole session in a temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis.asyncio

from game_server.content.loader import DEFAULT_SCENARIO_DIR, SCENARIO_SUFFIXES, load_all
from game_server.content.schema import Scenario
from game_server.stores.embedded_redis import EmbeddedRedis

SCENARIO_IDS = sorted(
    p.stem for p in DEFAULT_SCENARIO_DIR.iterdir() if p.suffix in SCENARIO_SUFFIXES
)
"""Scenario ids from the file names (known at collection time, for parametrizing)."""


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    """Every scenario by id (``load_all`` raises if any file is broken)."""
    return load_all()


@pytest.fixture(params=SCENARIO_IDS)
def scenario(request: pytest.FixtureRequest, scenarios: dict[str, Scenario]) -> Scenario:
    """Each scenario in turn."""
    return scenarios[request.param]


EXTERNAL_TEST_DB = 15
"""On an external server the tests use this database, not 0, because every test starts with
FLUSHDB and database 0 is where a developer's or CI's other data usually lives."""


def _external_url(url: str) -> str:
    """``url`` with its database number set to ``EXTERNAL_TEST_DB`` unless it names one other
    than 0 already (then the caller chose a scratch database on purpose)."""
    parts = urlsplit(url)
    if parts.path.strip("/") not in ("", "0"):
        return url
    return urlunsplit(parts._replace(path=f"/{EXTERNAL_TEST_DB}"))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a Redis server the tests may flush: ``TEST_REDIS_URL`` (moved to database
    15) or an embedded server running for the session."""
    external = os.environ.get("TEST_REDIS_URL")
    if external:
        yield _external_url(external)
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """An asyncio client on an empty database (FLUSHDB before each test), closed after."""
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        await client.flushdb()
        yield client
    finally:
        await client.aclose()
