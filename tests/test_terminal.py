"""The terminal game: a scripted player can play a whole life, and a tap-through works."""

from __future__ import annotations

import subprocess
import sys

from game_server.content.loader import load_all
from game_server.terminal import run_terminal_game

SCENARIOS = load_all()


def test_tap_through_to_the_end_in_chinese() -> None:
    out: list[str] = []

    def read(prompt: str) -> str:
        raise EOFError

    code = run_terminal_game(SCENARIOS, "zh", "hangzhou-rider", 5, read, out.append)
    assert code == 0
    text = "\n".join(out)
    assert "安全感得分" in text
    assert "同样的人生" in text
    assert "12333" in text or "社保" in text


def test_scripted_choices_reach_the_engine() -> None:
    scenario = SCENARIOS["shenzhen-driver"]
    out: list[str] = []
    # Round 1: change (c), first job, full time (2), employees' pension (3) at 100%, employees'
    # medical (3), no accident insurance, save 20% (3), no personal pension; then tap through.
    script = iter(["c", "1", "2", "3", "100", "3", "n", "3", "0"])

    def read(prompt: str) -> str:
        return next(script, "")

    # seed 12: a life that reaches retirement (seed 11 dies at 50)
    run_terminal_game(SCENARIOS, "en", scenario.id, 12, read, out.append)
    text = "\n".join(out)
    assert "Life over: security score" in text
    assert "employees' pension" in text
    assert "Your employees' pension starts" in text


def test_play_command_plays_without_input() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "game_server", "play", "--lang", "en", "--seed", "1"],
        input="",
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Life over: security score" in result.stdout
