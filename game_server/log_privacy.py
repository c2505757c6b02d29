"""What the server's log may say about a request: its method, path and status — no client
address, no query string.

uvicorn writes an access line for every HTTP request and a line for every WebSocket handshake,
each starting with the client's address and ending with the path *with* its query string. The
game needs neither in a log: addresses are personal data (PIPL; ``docs/security.md`` says what is
kept), and a query string is where a careless client puts a secret (the exports take the host
token in a header only, but a request that sends ``?token=`` anyway must not get it written
down). :func:`log_config` is uvicorn's own logging configuration with the address left out of
the access format and :class:`PrivateRequests` on both of its handlers.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from uvicorn.config import LOGGING_CONFIG

ADDRESS_FIRST: Final = '%s - "'
"""How uvicorn's request lines begin (access log, WebSocket handshakes): the client's address."""

HIDDEN: Final = "-"


def without_query(text: str) -> str:
    """A request path without its query string (``/a?token=x`` -> ``/a``)."""
    return text.split("?", 1)[0]


class PrivateRequests(logging.Filter):
    """Rewrites uvicorn's request lines: the address goes, a path loses its query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            isinstance(record.msg, str)
            and record.msg.startswith(ADDRESS_FIRST)
            and isinstance(record.args, tuple)
            and record.args
        ):
            rest = tuple(
                without_query(a) if isinstance(a, str) and a.startswith("/") else a
                for a in record.args[1:]
            )
            if record.name == "uvicorn.access":
                # uvicorn's access formatter unpacks five arguments (its format, from
                # log_config, leaves the address out).
                record.args = (HIDDEN, *rest)
            else:
                record.msg = record.msg.removeprefix("%s - ")
                record.args = rest
        return True


def without_password(url: str) -> str:
    """A service URL as it may be printed: its password replaced by ``***``
    (``postgresql+psycopg://gig:pw@db/giglife`` -> ``postgresql+psycopg://gig:***@db/giglife``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, private: pass it as ``uvicorn.run(log_config=...)``."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"private": {"()": PrivateRequests}}
    for handler in config["handlers"].values():
        handler["filters"] = ["private"]
    config["formatters"]["access"]["fmt"] = '%(levelprefix)s "%(request_line)s" %(status_code)s'
    return config
