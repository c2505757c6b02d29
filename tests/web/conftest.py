"""Browser fixtures: one real game server (its own Redis and SQLite) and one Chromium for all
the browser tests of the session, and per test a ``Pages`` factory of browser contexts.

Every context records the requests and WebSockets it opens, uncaught page errors and console
errors. After each test the contexts are closed and the test fails if a page threw, broke the
Content-Security-Policy, or asked anything of a host other than the local server. When a test
fails, the end of the server log and the pages' console errors are added to its report.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e.e2e_support import ServerProcess
from redis_support import scratch_redis
from web.web_support import (
    CHROMIUM_ARGS,
    WAIT_MS,
    Pages,
    Record,
    StartServer,
    chromium_executable,
    lines,
)

_SERVERS: list[ServerProcess] = []
_RECORDS: dict[str, Record] = {}


@pytest.fixture(scope="session")
def web_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="session")
def web_redis_url(web_dir: Path) -> Iterator[str]:
    with scratch_redis(web_dir / "redis") as url:
        yield url


@pytest.fixture(scope="session")
def start_server(web_dir: Path, web_redis_url: str) -> Iterator[StartServer]:
    """``start_server(instance_id, extra_env)``: a running game server serving the web client
    (on the session's Redis and database), stopped at the end of the session."""
    database = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{web_dir / 'results.db'}"
    started: list[ServerProcess] = []

    def start(instance_id: str, extra_env: dict[str, str] | None = None) -> ServerProcess:
        process = ServerProcess(web_dir, web_redis_url, database, instance_id, extra_env)
        started.append(process)
        _SERVERS.append(process)
        return process.start()

    try:
        yield start
    finally:
        for process in started:
            process.stop()


@pytest.fixture(scope="session")
def server(start_server: StartServer) -> ServerProcess:
    """The game server for every browser test."""
    return start_server("web")


class Chromium:
    """The one Chromium of the browser tests: started by the first of them, stopped after the
    last of them in a row (see ``pytest_runtest_teardown``).

    While Playwright's sync API is alive it marks its event loop as running in this thread
    (between calls too), so an asyncio test that came after it would not start: the browser
    must not outlive the browser tests, even when other tests run after them."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def get(self) -> Browser:
        if self._browser is None:
            expect.set_options(timeout=WAIT_MS)
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=chromium_executable(), args=CHROMIUM_ARGS
            )
        return self._browser

    def stop(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        try:
            if browser is not None:
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()


CHROMIUM = Chromium()
WEB_TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def browser() -> Browser:
    """The Chromium (the system's, ``$CHROMIUM``, or Playwright's own)."""
    return CHROMIUM.get()


@pytest.fixture(scope="session", autouse=True)
def _stop_chromium() -> Iterator[None]:
    try:
        yield
    finally:
        CHROMIUM.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the last browser test in a row (its fixtures finalized), stop the browser."""
    try:
        return (yield)
    finally:
        if nextitem is None or WEB_TESTS not in Path(nextitem.path).parents:
            CHROMIUM.stop()


@pytest.fixture
def pages(
    request: pytest.FixtureRequest, browser: Browser, server: ServerProcess
) -> Iterator[Pages]:
    """Browser contexts for one test; checked for page errors and foreign requests after."""
    record = Record()
    _RECORDS[request.node.nodeid] = record
    made = Pages(browser, server.http_url, record)
    try:
        yield made
    finally:
        made.close()
    problems = []
    if record.page_errors:
        problems.append("uncaught errors in the pages:\n  " + lines(record.page_errors))
    if record.csp_violations():
        problems.append("Content-Security-Policy violations:\n  " + lines(record.csp_violations()))
    if record.foreign():
        problems.append("requests that left localhost:\n  " + lines(record.foreign()))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for process in _SERVERS:
            report.sections.append((f"server log ({process.log_path})", process.log_tail(40)))
        record = _RECORDS.get(item.nodeid)
        if record is not None and record.console_errors:
            report.sections.append(("browser console errors", lines(record.console_errors[-30:])))
    return report
