"""The reading load of a life on a 360×640 phone in Chinese, measured: a tap-through life (an
explicit "none" on each insurance card of round 1, then "as before" from each result) and a
careful life (choices changed) in every scenario. Prints, per life, the screens shown, the
scroll height in screen-heights and the characters of text; every decision card fits the
screen."""

from __future__ import annotations

import pytest
from web.player_life import CAREFUL, SCENARIOS, live_a_life
from web.web_support import Pages

TAP_THROUGH_HEIGHTS = 40
"""The issue's target for a tap-through Chinese life: at most 40 screen-heights …"""
TAP_THROUGH_CHARS_TARGET = 3000
"""… and at most 3,000 characters of text (about 10 minutes at 300 characters a minute)."""


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_tap_through_life(pages: Pages, scenario: str) -> None:
    load = live_a_life(pages.phone(), scenario, {})
    assert load.heights <= TAP_THROUGH_HEIGHTS, load.report()
    assert load.chars <= TAP_THROUGH_CHARS_TARGET, load.report()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_careful_life(pages: Pages, scenario: str) -> None:
    load = live_a_life(pages.phone(), scenario, CAREFUL)
    assert any(s.name.startswith("round 3 ") and s.name != "round 3 keep" for s in load.screens)
