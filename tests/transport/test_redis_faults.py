"""Which Redis failures a client is told about, and how: the errors redis-py really raises
(a real Redis refusing for memory, redis-py's own reply parser for the rest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis._parsers.base import BaseParser
from redis.exceptions import ConnectionError, ResponseError, TimeoutError

from game_server.protocol import errors
from game_server.stores.embedded_redis import EmbeddedRedis
from game_server.transport import redis_faults
from game_server.transport.redis_faults import Throttle, reason_of, refusal


@pytest.fixture(scope="module")
def full_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis.Redis]:
    """A Redis of its own at its ``maxmemory`` (``noeviction``)."""
    with EmbeddedRedis(Path(tmp_path_factory.mktemp("full-redis")), appendonly=False) as server:
        r = redis.Redis.from_url(server.url, decode_responses=True)
        r.config_set("maxmemory-policy", "noeviction")
        r.config_set("maxmemory", str(int(r.info("memory")["used_memory"]) + 200_000))
        i = 0
        try:
            while i < 1000:
                r.set(f"filler:{i}", "x" * 10_000)
                i += 1
        except redis.exceptions.OutOfMemoryError:
            pass
        assert 0 < i < 1000, "Redis never refused a write: maxmemory is not in force"
        # Full stays full: buffers shrinking after the last write must not make room again.
        r.config_set("maxmemory", str(int(r.info("memory")["used_memory"]) - 256_000))
        yield r
        r.close()


def parsed(reply: str) -> Exception:
    """The exception redis-py builds from an error reply (what a command would raise)."""
    exc: Exception = BaseParser.parse_error(reply)  # type: ignore[no-untyped-call]
    return exc


def test_a_write_refused_for_memory_is_busy_with_the_action_id(full_redis: redis.Redis) -> None:
    with pytest.raises(redis.exceptions.OutOfMemoryError) as refused:
        full_redis.hset("h", "k", "v")
    answer = refusal(refused.value, "d7")
    assert answer is not None
    assert (answer.code, answer.client_msg_id) == (errors.BUSY, "d7")
    assert answer.wire().model_dump(exclude_unset=True) == {
        "type": "error",
        "code": "server/busy",
        "message": redis_faults.MESSAGES["memory"],
        "client_msg_id": "d7",
    }


def test_a_script_refused_for_memory_is_busy(full_redis: redis.Redis) -> None:
    """Inside a script (no flags) the refusal comes from the script's first write: still the
    OOM error, and nothing was written."""
    script = "redis.call('GET', KEYS[1]); redis.call('HSET', KEYS[1], 'a', 1); return 1"
    with pytest.raises(ResponseError) as refused:
        full_redis.eval(script, 1, "scripted")
    assert reason_of(refused.value) == "memory"
    assert full_redis.exists("scripted") == 0


def test_reads_still_work_when_full(full_redis: redis.Redis) -> None:
    assert full_redis.get("filler:0") == "x" * 10_000


@pytest.mark.parametrize(
    ("exc", "reason", "code"),
    [
        (parsed("OOM command not allowed when used memory > 'maxmemory'."), "memory", errors.BUSY),
        (
            parsed("MISCONF Errors writing to the AOF file: No space left on device"),
            "persistence",
            errors.BUSY,
        ),
        (
            ResponseError(
                "Command # 2 (EVALSHA abc 1 k) of pipeline caused error: MISCONF Redis is "
                "configured to save RDB snapshots, but it's currently unable to persist to disk"
            ),
            "persistence",
            errors.BUSY,
        ),
        (
            ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
            "unreachable",
            errors.UNAVAILABLE,
        ),
        (TimeoutError("Timeout reading from socket"), "unreachable", errors.UNAVAILABLE),
        (
            parsed("LOADING Redis is loading the dataset in memory"),
            "unreachable",
            errors.UNAVAILABLE,
        ),
        (
            parsed("READONLY You can't write against a read only replica."),
            "unreachable",
            errors.UNAVAILABLE,
        ),
        (parsed("CLUSTERDOWN The cluster is down"), "unreachable", errors.UNAVAILABLE),
    ],
)
def test_redis_failures_map_to_typed_codes(exc: Exception, reason: str, code: str) -> None:
    assert reason_of(exc) == reason
    answer = refusal(exc, "x1")
    assert answer is not None
    assert answer.code == code
    assert answer.client_msg_id == "x1"
    assert answer.message == redis_faults.MESSAGES[reason_of(exc) or "memory"]


@pytest.mark.parametrize(
    "exc",
    [
        parsed("ERR wrong number of arguments for 'hset' command"),
        parsed("WRONGTYPE Operation against a key holding the wrong kind of value"),
        KeyError("status"),
        ValueError("bad"),
        OSError("disk"),
    ],
)
def test_anything_else_stays_internal(exc: Exception) -> None:
    """A bug (a wrong command, a wrong type, our own exceptions) is not Redis being full or
    down: no typed refusal, the caller answers ``server/internal``."""
    assert reason_of(exc) is None
    assert refusal(exc, "x") is None


def test_every_code_is_a_protocol_code() -> None:
    assert errors.BUSY in errors.CODES
    assert errors.UNAVAILABLE in errors.CODES
    reasons: tuple[redis_faults.Reason, ...] = ("memory", "persistence", "unreachable")
    for reason in reasons:
        warning = redis_faults.host_warning(reason)
        assert warning.code in errors.CODES
        assert warning.client_msg_id is None


def test_throttle_says_yes_once_per_key_and_period() -> None:
    throttle = Throttle(every=5.0)
    assert throttle.due("123456", 100.0)
    assert not throttle.due("123456", 104.9)
    assert throttle.due("654321", 104.9)
    assert throttle.due("123456", 105.0)


def test_throttle_stays_bounded() -> None:
    throttle = Throttle(every=5.0, max_keys=3)
    for key in "abcd":
        assert throttle.due(key, 0.0)
    assert len(throttle._last) <= 3
