"""A load-test user that Locust kills while it closes its session stops (the benchmark's
Locust processes overran their run time when websocket-client's ``close()`` swallowed the kill
in a bare ``except:`` and the user played on). In a process of its own: Locust patches the
standard library for gevent on import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_user_killed_while_closing_its_session_stops() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.load_generator.stop_while_closing"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "stopped", done.stdout + done.stderr[-2000:]
