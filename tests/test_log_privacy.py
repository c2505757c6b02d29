"""The server's log configuration: request lines without client addresses or query strings."""

from __future__ import annotations

import io
import logging
import logging.config

from game_server.log_privacy import PrivateRequests, log_config, without_password, without_query

SECRET = "482913.host.Zk9sbG9yZW0taXBzdW0"


def record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def test_request_lines_lose_the_address_and_the_query() -> None:
    access = record(
        "uvicorn.access",
        '%s - "%s %s HTTP/%s" %d',
        "203.0.113.9:50123",
        "GET",
        f"/api/rooms/482913/export.csv?token={SECRET}",
        "1.1",
        200,
    )
    handshake = record(
        "uvicorn.error", '%s - "WebSocket %s" [accepted]', "203.0.113.9:50124", f"/ws?t={SECRET}"
    )
    other = record("uvicorn.error", "Started server process [%d]", 42)
    for r in (access, handshake, other):
        assert PrivateRequests().filter(r)
    assert access.getMessage() == '- - "GET /api/rooms/482913/export.csv HTTP/1.1" 200'
    assert handshake.getMessage() == '"WebSocket /ws" [accepted]'
    assert other.getMessage() == "Started server process [42]"
    assert without_query("/a?b=c?d") == "/a"


def test_uvicorns_loggers_write_no_address_and_no_query() -> None:
    """uvicorn's own configuration, as ``serve`` passes it, through its real formatters."""
    config = log_config()
    stream = io.StringIO()
    for handler in config["handlers"].values():
        handler["stream"] = stream
    for formatter in config["formatters"].values():
        formatter["use_colors"] = False
    logging.config.dictConfig(config)
    try:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "203.0.113.9:1", "GET", f"/x?token={SECRET}", "1.1", 401
        )
        logging.getLogger("uvicorn.error").info(
            '%s - "WebSocket %s" [accepted]', "203.0.113.9:2", f"/ws?token={SECRET}"
        )
    finally:
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            for handler in logging.getLogger(name).handlers[:]:
                logging.getLogger(name).removeHandler(handler)
    written = stream.getvalue()
    assert '"GET /x HTTP/1.1" 401' in written
    assert 'INFO:     "WebSocket /ws" [accepted]' in written
    assert "203.0.113.9" not in written
    assert SECRET not in written


def test_service_urls_are_printed_without_their_password() -> None:
    assert (
        without_password("postgresql+psycopg://gig:pa%40ss@postgres:5432/giglife")
        == "postgresql+psycopg://gig:***@postgres:5432/giglife"
    )
    assert without_password("redis://:secret@redis:6379/0") == "redis://:***@redis:6379/0"
    assert without_password("sqlite:////app/var/gig-life.db") == "sqlite:////app/var/gig-life.db"
    assert without_password("redis://redis:6379/0") == "redis://redis:6379/0"
