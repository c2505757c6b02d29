"""The house rules on every tree, in `make test` (and so in CI): ruff's checks and formatting,
and mypy strict (configured in pyproject.toml) on the server, the tests and the load tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREES = ["game_server", "tests", "loadtests"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", *TREES),
        ("ruff", "format", "--check", *TREES),
        ("mypy",),  # pyproject.toml's `files` are the three trees
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_the_code_passes_the_linters(command: tuple[str, ...]) -> None:
    done = run(*command)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}{done.stderr}"
