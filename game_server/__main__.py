"""Command line: ``python -m game_server COMMAND``.

- ``serve``: the game server (the embedded Redis and SQLite unless REDIS_URL / DATABASE_URL);
- ``play``: a solo life in the terminal;
- ``validate [PATH]``: check scenario files (exit 1 with file and field on an error);
- ``balance --scenario ID --lives N --seed S [--json]``: the balance table of fixed strategies.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from game_server.content.loader import DEFAULT_SCENARIO_DIR, ScenarioError, load_all


def _validate(args: argparse.Namespace) -> int:
    try:
        scenarios = load_all(Path(args.path))
    except ScenarioError as exc:
        print(f"invalid scenario:\n{exc}", file=sys.stderr)
        return 1
    for scenario in scenarios.values():
        print(f"ok  {scenario.id} v{scenario.version}: {scenario.title.en}")
    return 0


def _balance(args: argparse.Namespace) -> int:
    from game_server.balance import format_json, format_table, run_balance

    scenarios = load_all(Path(args.scenarios))
    if args.scenario not in scenarios:
        print(f"no scenario {args.scenario!r}; there are: {', '.join(scenarios)}", file=sys.stderr)
        return 2
    scenario = scenarios[args.scenario]
    rows = run_balance(scenario, args.lives, args.seed)
    if args.json:
        print(format_json(rows))
    else:
        print(format_table(scenario, args.lives, args.seed, rows))
    return 0


def _play(args: argparse.Namespace) -> int:
    from game_server.terminal import run_terminal_game

    return run_terminal_game(
        load_all(Path(args.scenarios)), lang=args.lang, scenario_id=args.scenario, seed=args.seed
    )


def _serve(args: argparse.Namespace) -> int:
    from game_server.serve import serve

    serve()
    return 0


def _bots(args: argparse.Namespace) -> int:
    import asyncio

    from game_server.bots import run_bots

    return asyncio.run(
        run_bots(args.url, args.room, args.players, args.strategy, args.think, args.seed)
    )


def _build_engine(args: argparse.Namespace) -> int:
    from game_server import native

    target = native.build()
    print(f"engine: compiled with mypyc in {target}" if target else "engine: plain Python")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m game_server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check scenario files")
    v.add_argument("path", nargs="?", default=str(DEFAULT_SCENARIO_DIR))
    v.set_defaults(func=_validate)

    b = sub.add_parser("balance", help="simulate fixed strategies and print a table")
    b.add_argument("--scenario", required=True)
    b.add_argument("--lives", type=int, default=2000)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--scenarios", default=str(DEFAULT_SCENARIO_DIR))
    b.add_argument("--json", action="store_true", help="one JSON object per strategy")
    b.set_defaults(func=_balance)

    p = sub.add_parser("play", help="play a solo life in the terminal")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--scenario", default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--scenarios", default=str(DEFAULT_SCENARIO_DIR))
    p.set_defaults(func=_play)

    sv = sub.add_parser("serve", help="start the game server")
    sv.set_defaults(func=_serve)

    bt = sub.add_parser("bots", help="join bot players to a room")
    bt.add_argument("--url", default="ws://localhost:8000/ws")
    bt.add_argument("--room", required=True)
    bt.add_argument("--players", type=int, default=5)
    bt.add_argument(
        "--strategy", choices=("random", "insured", "nothing", "default"), default="random"
    )
    bt.add_argument("--think", type=float, default=1.0, help="seconds a bot thinks, at most")
    bt.add_argument("--seed", type=int, default=None)
    bt.set_defaults(func=_bots)

    be = sub.add_parser("build-engine", help="compile the engine with mypyc")
    be.set_defaults(func=_build_engine)

    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
