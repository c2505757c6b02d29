"""The reading load of a life on a 360×640 phone in Chinese, measured: a tap-through life (an
explicit "none" on each insurance card of round 1, then "keep everything") and a careful life
(choices changed) in every scenario. Prints, per life, the screens shown, the scroll height in
screen-heights and the characters of text; every decision card fits the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from reading_load import ReadingLoad
from web_support import WAIT_MS, Pages, settle, walk_cards

SCENARIOS = [
    "hangzhou-rider",
    "shenzhen-driver",
    "beijing-domestic-worker",
    "chengdu-guangdong-migrant",
]
TAP_THROUGH_HEIGHTS = 40
TAP_THROUGH_CHARS = 3000


def start_solo(phone: Page, scenario: str, load: ReadingLoad) -> None:
    phone.goto("/play.html?solo=1")
    phone.locator(f"#scenario-{scenario}").check()
    load.see(phone, "start")
    phone.locator("#solo-btn").click()
    expect(phone.locator("#start-life-btn")).to_be_visible()
    load.see(phone, "intro")
    phone.locator("#start-life-btn").click()


def results_to_end(phone: Page, load: ReadingLoad, r: int) -> bool:
    """On a result screen: measure it, go on; True at the end of the life."""
    expect(phone.locator("#screen-result")).to_be_visible(timeout=WAIT_MS)
    settle(phone)
    load.see(phone, f"result {r}")
    button = phone.locator("#next-btn")
    expect(button).to_be_enabled()
    done = "看看我的一生" in button.inner_text()
    button.click()
    return done


def live_a_life(phone: Page, scenario: str, picks: dict[int, dict[str, str]]) -> ReadingLoad:
    load = ReadingLoad(scenario)
    start_solo(phone, scenario, load)
    r = 0
    while True:
        form = phone.locator("#decision-form")
        expect(form).to_be_visible(timeout=WAIT_MS)
        r += 1
        chosen = picks.get(r)
        if form.get_attribute("data-step") == "keep" and chosen is None:
            screen = load.see(phone, f"round {r} keep")
            assert not screen.scrolls, f"round {r}: the keep card scrolls ({screen.heights:.2f})"
        else:
            if form.get_attribute("data-step") == "keep":
                load.see(phone, f"round {r} keep")
                phone.locator("#edit-btn").click()

            def measure(step: str, r: int = r) -> None:
                screen = load.see(phone, f"round {r} {step}")
                assert not screen.scrolls, f"round {r}, card {step} scrolls ({screen.heights:.2f})"

            walk_cards(phone, chosen or {}, measure)
        phone.locator("#decide-btn").click()
        if results_to_end(phone, load, r):
            break
    expect(phone.locator("#screen-end")).to_be_visible()
    load.see(phone, "end")
    print("\n" + load.report())
    return load


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_tap_through_life(pages: Pages, scenario: str) -> None:
    load = live_a_life(pages.phone(), scenario, {})
    assert load.screens


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_careful_life(pages: Pages, scenario: str) -> None:
    picks = {
        1: {"pension": "employee", "medical": "employee", "injury": "yes", "saving": "20"},
        3: {"medical": "residents"},
        5: {"pension": "residents", "saving": "30"},
    }
    load = live_a_life(pages.phone(), scenario, picks)
    assert any(s.name.startswith("round 3 ") and s.name != "round 3 keep" for s in load.screens)
