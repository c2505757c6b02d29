"""End-to-end fixtures: real server processes on a real Redis and a real database.

Each test module gets its own Redis server (an embedded one in a temporary directory, or
``TEST_REDIS_URL``, moved to database 15 and flushed) and its own results database (a SQLite file,
or ``TEST_DATABASE_URL`` for PostgreSQL), and starts game servers with ``start_server``; they are
stopped (SIGTERM) at the end of the module. When a test fails, the end of every server log of
the module is added to its report.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from e2e.e2e_support import ServerProcess
from redis_support import scratch_redis

EXTERNAL_TEST_DB = 15

_MODULE_SERVERS: dict[str, list[ServerProcess]] = {}
"""Every server a module started (running or not), for the logs in failure reports."""


@pytest.fixture(scope="module")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="module")
def e2e_redis_url(e2e_dir: Path) -> Iterator[str]:
    """A Redis server for this module's game servers."""
    with scratch_redis(e2e_dir / "redis") as url:
        yield url


@pytest.fixture(scope="module")
def e2e_database_url(e2e_dir: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{e2e_dir / 'results.db'}"


@pytest.fixture(scope="module")
def start_server(
    request: pytest.FixtureRequest, e2e_dir: Path, e2e_redis_url: str, e2e_database_url: str
) -> Iterator[Callable[..., ServerProcess]]:
    """``start_server(instance_id, extra_env=None)``: a running game server on this module's
    Redis and database (stopped at the end of the module); ``extra_env``: its own settings."""
    started = _MODULE_SERVERS.setdefault(request.module.__name__, [])

    def start(instance_id: str, extra_env: dict[str, str] | None = None) -> ServerProcess:
        server = ServerProcess(e2e_dir, e2e_redis_url, e2e_database_url, instance_id, extra_env)
        started.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in started:
            server.stop()
        _MODULE_SERVERS.pop(request.module.__name__, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        module = getattr(item, "module", None)
        name = module.__name__ if module is not None else ""
        for server in _MODULE_SERVERS.get(name, []):
            report.sections.append(
                (f"server {server.instance_id} log ({server.log_path})", server.log_tail())
            )
    return report
