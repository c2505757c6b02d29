"""The engine compiled with mypyc plays exactly the lives the plain Python engine plays.

One source of the rules runs two ways (game_server/native.py): each way is run in its own
process over the same seeds, strategies and scenarios, and every life — its final state, its
summary and its counterfactual twin — must print the same, to the last digit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from game_server import native

ROOT = Path(__file__).resolve().parents[2]

# Prints, for every life, a hash of its full repr (floats print round-trip, so equal reprs are
# equal values), and whether the compiled engine was the one imported.
PLAY = """
import hashlib, json
from game_server import native
from game_server.balance import STRATEGIES, life_seed
from game_server.content.loader import load_all
from game_server.engine import counterfactual, play_through, summarize
lives = {}
for sc in load_all().values():
    for name in ("nothing", "saver", "residents", "flexible_60", "flexible_100"):
        for i in range(12):
            seed = life_seed(3, i)
            state = play_through(sc, seed, lambda st: STRATEGIES[name](sc, st))
            text = repr((state, summarize(sc, state), counterfactual(sc, state)))
            lives[f"{sc.id}/{name}/{i}"] = hashlib.sha256(text.encode()).hexdigest()
print(json.dumps({"native": native.active(), "lives": lives}))
"""


def _play(engine: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "GIG_ENGINE"}
    if engine is not None:
        env["GIG_ENGINE"] = engine
    done = subprocess.run(
        [sys.executable, "-c", PLAY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_compiled_and_plain_engines_play_identical_lives() -> None:
    if shutil.which(os.environ.get("CC", "cc")) is None:
        pytest.fail("no C compiler: the compiled engine cannot be built to be compared")
    assert native.build() is not None, "the mypyc build failed (its output is above)"
    compiled = _play(None)
    plain = _play("python")
    assert compiled["native"] is True
    assert plain["native"] is False
    lives, plain_lives = compiled["lives"], plain["lives"]
    assert isinstance(lives, dict)
    assert isinstance(plain_lives, dict)
    assert len(lives) == 4 * 5 * 12
    differing = sorted(k for k, v in lives.items() if plain_lives[k] != v)
    assert differing == []


def test_a_stale_build_is_never_loaded(tmp_path: Path) -> None:
    # The build folder is named by a hash of the sources: one changed byte, another folder.
    sources = native.engine_sources()
    copies = []
    for path in sources:
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    assert native.build_key(copies) == native.build_key(sources)
    copies[0].write_bytes(copies[0].read_bytes() + b"\n")
    assert native.build_key(copies) != native.build_key(sources)
