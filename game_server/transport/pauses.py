"""How late this instance's event loop runs, and the garbage collector's part in it.

One event loop serves every connection of an instance, so while it runs one piece of work (a
round close, a burst of decisions, a pass of the garbage collector) every other frame waits,
unseen by the per-action timing (``gig_action_seconds`` starts once a frame is read). A timer
that should fire every 100 ms and fires late measures that wait (``gig_loop_lag_seconds``); the
collector's passes are timed by generation (``gig_gc_pause_seconds``). Both are on ``/metrics``,
and the benchmark reads them beside the clients' own latencies.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from prometheus_client import Histogram

from game_server.cancellation import raise_if_cancelled

LAG_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
LOOP_LAG = Histogram(
    "gig_loop_lag_seconds", "How late the event loop ran a 100 ms timer", buckets=LAG_BUCKETS
)
GC_PAUSE = Histogram(
    "gig_gc_pause_seconds",
    "Passes of the garbage collector, by generation",
    ["generation"],
    buckets=LAG_BUCKETS,
)
EVERY_SECONDS = 0.1


async def watch_loop_lag(every: float = EVERY_SECONDS) -> None:
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + every
        await asyncio.sleep(every)
        LOOP_LAG.observe(max(0.0, loop.time() - due))
        raise_if_cancelled()


class _GcTimer:
    def __init__(self) -> None:
        self.started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            GC_PAUSE.labels(str(info["generation"])).observe(time.perf_counter() - self.started)


YOUNG_THRESHOLD = 20_000
"""Allocations between two passes over the youngest objects (CPython's default is 700). A server
makes many short-lived containers per frame (messages, views, tasks); with the default most
were still alive at a pass, moved up, and the full passes this made came every few seconds and
held the loop for 0.25–1 s each with 2,400 connections (`make bench`, 2026-12-02). With 20,000
they are mostly gone before a pass looks at them."""


def tune_gc() -> None:
    """Set up the collector for a long-running server: what exists once the app has started
    (modules, the scenarios, the schemas) is frozen out of every later pass (``gc.freeze``),
    and the youngest generation is collected less often."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def time_gc() -> None:
    """Time every pass of the garbage collector from now on (once per process)."""
    if not any(isinstance(c, _GcTimer) for c in gc.callbacks):
        gc.callbacks.append(_GcTimer())
