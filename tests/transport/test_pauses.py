"""The instance's own measures of a late event loop: the loop-lag timer and the collector's
passes (``game_server/transport/pauses.py``, on ``/metrics``)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time

from prometheus_client import REGISTRY

from game_server.transport.pauses import YOUNG_THRESHOLD, time_gc, tune_gc, watch_loop_lag


def _sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def test_a_blocked_loop_shows_as_lag() -> None:
    late_before = _sample("gig_loop_lag_seconds_count") - _sample(
        "gig_loop_lag_seconds_bucket", {"le": "0.1"}
    )
    watcher = asyncio.create_task(watch_loop_lag(every=0.05))
    await asyncio.sleep(0.07)
    time.sleep(0.3)  # one piece of work that holds the loop for 300 ms
    await asyncio.sleep(0.12)
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    late = _sample("gig_loop_lag_seconds_count") - _sample(
        "gig_loop_lag_seconds_bucket", {"le": "0.1"}
    )
    assert late - late_before >= 1  # the timer due during the sleep fired > 100 ms late


def test_every_pass_of_the_collector_is_timed_once() -> None:
    time_gc()
    time_gc()  # installed once, however often it is called
    before = _sample("gig_gc_pause_seconds_count", {"generation": "2"})
    gc.collect()
    assert _sample("gig_gc_pause_seconds_count", {"generation": "2"}) == before + 1


def test_a_server_process_freezes_its_start_and_collects_the_young_less_often() -> None:
    threshold = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, threshold[1], threshold[2])
        assert gc.get_freeze_count() > 0  # what existed is out of every later pass
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
