"""The player's reducer (``web_client/js/state.js``) tested on its own in Node: every check a real
transition (round 1's draft starts empty and later ones from the last choices, an ack moves
"waiting to send" to "sent", life_over goes to the end view, …) on frozen states, so a reducer
that changed its input would fail."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().parent / "js" / "state_test.mjs"
STATE = ROOT / "web_client" / "js" / "state.js"


def test_reducer_transitions() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for the reducer test")
    done = subprocess.run(
        [node, str(RUNNER), str(STATE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"^(\d+) passed$", done.stdout, re.M)
    assert found, done.stdout
    assert int(found.group(1)) >= 10, done.stdout


def test_reducer_is_pure() -> None:
    """No DOM, socket, clock, storage or import in the reducer's module."""
    text = STATE.read_text(encoding="utf-8")
    for word in ("document", "window", "WebSocket", "localStorage", "Date.now", "setTimeout"):
        assert word not in text, word
    assert not re.search(r"^\s*import\b", text, re.M)
