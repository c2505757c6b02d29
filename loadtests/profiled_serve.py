"""``python -m loadtests.profiled_serve``: ``python -m game_server serve`` under cProfile.

For ``loadtests.bench --profile`` (or ``BENCH_PROFILE=1``), where py-spy cannot attach (on this
machine py-spy 0.3 and 0.4 both fail with "Failed to find python version from target process"
on the pyenv build of Python). The server runs unchanged, in this process, with ``cProfile`` on;
``SIGUSR2`` writes the statistics so far to ``$BENCH_PROFILE_OUT`` (default ``server.prof`` in
the working directory) and a text summary beside it (``.txt``: the top functions by own time and
by cumulative time). The benchmark sends it before stopping the server, since uvicorn ends the
process by re-raising SIGTERM and nothing after ``uvicorn.run`` would run. cProfile slows a busy
server by about a third to a half: read the shares, not the absolute times.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import signal
import sys
from types import FrameType

PROFILE = cProfile.Profile()


def dump(*_: object) -> None:
    out = os.environ.get("BENCH_PROFILE_OUT", "server.prof")
    PROFILE.disable()
    try:
        PROFILE.dump_stats(out)
        text = io.StringIO()
        stats = pstats.Stats(PROFILE, stream=text)
        stats.sort_stats("tottime").print_stats(45)
        stats.sort_stats("cumulative").print_stats(60)
        with open(out + ".txt", "w", encoding="utf-8") as f:
            f.write(text.getvalue())
    finally:
        PROFILE.enable()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    dump()


def main() -> int:
    signal.signal(signal.SIGUSR2, _on_signal)
    from game_server.__main__ import main as game_main

    PROFILE.enable()
    try:
        return game_main(["serve"])
    finally:
        PROFILE.disable()


if __name__ == "__main__":
    sys.exit(main())
