"""Shared fixtures: the scenarios in ``scenarios/``, loaded once per test session, and a real
Redis server for the tests about Redis (never a fake).

``TEST_REDIS_URL`` points the tests at an existing server; otherwise one embedded server is
started for the whole session in a temporary directory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio
from redis_support import scratch_redis

from game_server.content.loader import DEFAULT_SCENARIO_DIR, SCENARIO_SUFFIXES, load_all
from game_server.content.schema import Scenario

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


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a Redis server the tests may flush (see ``redis_support``)."""
    with scratch_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """An asyncio client on an empty database (FLUSHDB before each test), closed after."""
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        await client.flushdb()
        yield client
    finally:
        await client.aclose()
