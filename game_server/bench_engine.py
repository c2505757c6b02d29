"""Engine benchmark: simulated lives per second of CPU time on one core (``make bench-engine``).

CPU time, not wall-clock: the machine is shared, so only the time this process ran counts.

Each life is played from start to end through the engine's public command, ``apply``, with the
fully insured strategy and with no cover, over every scenario. It prints the figures; it asserts
nothing (speed is measured here, never in a timed unit test). It measures the engine that is
imported: compiled with mypyc where ``make engine`` built it, the plain sources with
``GIG_ENGINE=python``.
"""

from __future__ import annotations

import argparse
import platform
import time

from game_server import native
from game_server.balance import STRATEGIES, simulate
from game_server.content.loader import load_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lives", type=int, default=2000, help="lives per scenario and strategy")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    scenarios = load_all()
    engine = "compiled with mypyc" if native.active() else "plain Python"
    print(f"python {platform.python_version()} on {platform.machine()}, one core, CPU time")
    print(f"engine: {engine}")
    print(f"{'scenario':<28}{'strategy':<14}{'lives/s':>10}{'µs/life':>10}{'rounds/life':>12}")
    total_lives = 0
    total_time = 0.0
    for scenario in scenarios.values():
        for name in ("nothing", "flexible_60"):
            best = float("inf")
            rounds = 0
            for _ in range(args.repeat):
                start = time.process_time()
                states = simulate(scenario, STRATEGIES[name], args.lives, seed=7)
                best = min(best, time.process_time() - start)
                rounds = len(states[0].stages)
                # Dropped before the next run: the garbage collector's full passes would
                # otherwise walk this run's lives too, and time the heap's size, not the engine.
                del states
            total_lives += args.lives
            total_time += best
            rate = args.lives / best
            print(f"{scenario.id:<28}{name:<14}{rate:>10.0f}{1e6 / rate:>10.1f}{rounds:>12}")
    print(f"overall: {total_lives / total_time:.0f} lives per second")


if __name__ == "__main__":
    main()
