"""A background loop that stops when it is cancelled, even when a library swallowed the cancel.

redis-py's asyncio client loses a task's cancellation when it arrives while a command is in
flight: measured with redis-py 8.1.0 on this project's machine, a task looping over
``ZRANGEBYSCORE`` went on running after ``cancel()`` in 52 of 100 tries (redis/redis-py#2028 and
#2551 describe the same family of bugs). The task is still marked as being cancelled
(``Task.cancelling()``), so each loop asks at the end of every turn and stops then; without it,
the app's shutdown waited for such a loop for ever (a hang seen in CI).
"""

from __future__ import annotations

import asyncio


def raise_if_cancelled() -> None:
    """Raise ``CancelledError`` if the current task was asked to stop (and something swallowed
    the request)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()
