"""Shared fixtures: the scenarios in ``scenarios/``, loaded once per test session."""

from __future__ import annotations

import pytest

from game_server.content.loader import DEFAULT_SCENARIO_DIR, SCENARIO_SUFFIXES, load_all
from game_server.content.schema import Scenario

SCENARIO_IDS = sorted(
    p.stem for p in DEFAULT_SCENARIO_DIR.iterdir() if p.suffix in SCENARIO_SUFFIXES
)
"""Scenario ids from the file names (known at collection time, for parametrizing)."""


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    """Every scenario by id (``load_all`` raises if any file is broken)."""
    return load_all()


@pytest.fixture(params=SCENARIO_IDS)
def scenario(request: pytest.FixtureRequest, scenarios: dict[str, Scenario]) -> Scenario:
    """Each scenario in turn."""
    return scenarios[request.param]
