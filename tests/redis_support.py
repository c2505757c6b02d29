"""A Redis server for tests: ``TEST_REDIS_URL`` (moved to a scratch database) or an embedded one.

Shared by the unit, end-to-end and browser tests (``tests/`` is on ``sys.path`` through its
conftest).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis

from game_server.stores.embedded_redis import EmbeddedRedis

EXTERNAL_TEST_DB = 15
"""On an external server the tests use this database, not 0, because tests flush it and
database 0 is where a developer's or CI's other data usually lives."""


def external_test_url(url: str) -> str:
    """``url`` with its database number set to ``EXTERNAL_TEST_DB`` unless it names one other
    than 0 already (then the caller chose a scratch database on purpose)."""
    parts = urlsplit(url)
    if parts.path.strip("/") not in ("", "0"):
        return url
    return urlunsplit(parts._replace(path=f"/{EXTERNAL_TEST_DB}"))


@contextmanager
def scratch_redis(data_dir: Path) -> Iterator[str]:
    """The URL of an empty Redis database the tests may flush, for as long as the block runs."""
    external = os.environ.get("TEST_REDIS_URL")
    if external:
        url = external_test_url(external)
        with redis.Redis.from_url(url) as client:
            client.flushdb()
        yield url
        return
    server = EmbeddedRedis(data_dir)
    try:
        yield server.start()
    finally:
        server.stop()
