"""When Redis refuses a write or does not answer: the typed error a client gets, and the count.

Redis with ``maxmemory`` and the ``noeviction`` policy refuses every command that may grow its
memory (``OOM command not allowed when used memory > 'maxmemory'``, redis-py's
``OutOfMemoryError``); a room script is refused at its first such command, before it has written
anything (Redis 7 lets a script that has written once finish, so a script is never cut in half),
and a ``MULTI`` with a refused command is discarded whole. So "full" means "nothing of this action
was stored": ``server/busy``, and the same action may be sent again later. Redis that cannot
persist (``MISCONF``: the disk under its snapshot or append-only file failed) refuses writes the
same way, with the same answer.

Redis not answering (refused or dropped connection, a timeout, a pool with no free connection,
``LOADING`` after a restart, ``READONLY`` on a replica after a failover, a cluster without a
primary) is different: a timed-out script may have run. ``server/unavailable`` says so; a
decision or quiz answer sent again with its ``client_msg_id`` is answered once (the room's
``acks``), so resending is safe.

Anything else is a bug and stays ``server/internal``.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from prometheus_client import Counter
from redis.exceptions import (
    ClusterDownError,
    ConnectionError,
    OutOfMemoryError,
    ReadOnlyError,
    ResponseError,
    SlotNotCoveredError,
    TimeoutError,
    TryAgainError,
)

from game_server.protocol import errors
from game_server.protocol.errors import ProtocolError

Reason = Literal["memory", "persistence", "unreachable"]

REFUSALS = Counter(
    "gig_redis_refusals_total",
    "Actions and background steps that Redis refused (memory, persistence) or did not answer",
    ["reason", "during"],
)
"""``during``: ``action`` (a client's message, answered with a typed error) or the background
loop that met it (``deadlines``, ``presence``, ``idle``)."""

_MISCONF = re.compile(r"\bMISCONF\b")

MESSAGES: Final[dict[Reason, str]] = {
    "memory": "the server's storage is full, so this was not saved (nothing changed); "
    "try again in a minute",
    "persistence": "the server cannot save anything right now, so this was not saved "
    "(nothing changed); try again in a minute",
    "unreachable": "the server cannot reach its game store right now; try again in a moment",
}

HOST_WARNINGS: Final[dict[Reason, str]] = {
    "memory": "players' actions in this room are being refused: the server's storage (Redis) "
    "is full; free memory or raise maxmemory, and the game goes on",
    "persistence": "players' actions in this room are being refused: the server's storage "
    "(Redis) cannot write to its disk",
    "unreachable": "players' actions in this room are failing: the server cannot reach its "
    "storage (Redis)",
}


def reason_of(exc: BaseException) -> Reason | None:
    """Why Redis failed this command, or ``None`` when the exception is not Redis failing."""
    if isinstance(exc, OutOfMemoryError):
        return "memory"
    if isinstance(exc, ResponseError) and _MISCONF.search(str(exc)):
        # Not mapped to a class by redis-py; a pipeline prefixes the message with the command.
        return "persistence"
    if isinstance(
        exc,
        ConnectionError
        | TimeoutError
        | ReadOnlyError
        | ClusterDownError
        | TryAgainError
        | SlotNotCoveredError,
    ):
        # The last three: a Redis Cluster in a failover (no primary for a slot yet).
        return "unreachable"
    return None


def code_for(reason: Reason) -> str:
    return errors.UNAVAILABLE if reason == "unreachable" else errors.BUSY


def refusal(exc: BaseException, client_msg_id: str | None = None) -> ProtocolError | None:
    """The typed error for a client whose action met ``exc``; ``None``: not a Redis failure.
    Counted."""
    reason = reason_of(exc)
    if reason is None:
        return None
    REFUSALS.labels(reason, "action").inc()
    return ProtocolError(code_for(reason), MESSAGES[reason], client_msg_id)


def host_warning(reason: Reason) -> ProtocolError:
    """What the room's hosts are told when their players' actions are refused (no
    ``client_msg_id``: it answers none of the host's own actions)."""
    return ProtocolError(code_for(reason), HOST_WARNINGS[reason])


def count_background(exc: BaseException, during: str) -> Reason | None:
    """Count a background loop's failure when it is Redis refusing or failing."""
    reason = reason_of(exc)
    if reason is not None:
        REFUSALS.labels(reason, during).inc()
    return reason


class Throttle:
    """At most one "yes" per key every ``every`` seconds (a warning per room, a log line per
    reason): a full Redis under a thousand phones must not flood the hosts or the log. The
    caller passes the clock."""

    def __init__(self, every: float, max_keys: int = 10_000) -> None:
        self.every = every
        self.max_keys = max_keys
        self._last: dict[str, float] = {}

    def due(self, key: str, now: float) -> bool:
        last = self._last.get(key)
        if last is not None and now - last < self.every:
            return False
        if len(self._last) >= self.max_keys:
            self._last.clear()
        self._last[key] = now
        return True
