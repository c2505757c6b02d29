"""A solo life as a player lives it on the phone, every screen measured (``ReadingLoad``): a
tap-through life or a careful one. Shared by the reading-load and the language tests."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from web.reading_load import ReadingLoad
from web.web_support import UNANSWERED, WAIT_MS, settle, walk_cards

SCENARIOS = [
    "hangzhou-rider",
    "shenzhen-driver",
    "beijing-domestic-worker",
    "chengdu-guangdong-migrant",
]

HEADLINE_CHARS = 40
END_BUTTON = re.compile("看看我的一生|See my whole life")

WITH_READ_BUTTONS = """() => {
  const buttons = [...document.querySelectorAll('#decision-form .read-btn')];
  const hidden = buttons.filter((b) => b.hidden);
  hidden.forEach((b) => { b.hidden = false; });
  const fits = document.documentElement.scrollHeight <= window.innerHeight + 1;
  hidden.forEach((b) => { b.hidden = true; });
  return fits;
}"""

CAREFUL = {
    1: {"pension": "employee", "medical": "employee", "injury": "yes", "saving": "20"},
    3: {"medical": "residents"},
    5: {"pension": "residents", "saving": "30"},
}
"""The careful life's changes, by round."""


def start_solo(phone: Page, scenario: str, load: ReadingLoad) -> None:
    phone.goto("/play.html?solo=1")
    phone.locator(f"#scenario-{scenario}").check()
    load.see(phone, "start")
    phone.locator("#solo-btn").click()
    expect(phone.locator("#start-life-btn")).to_be_visible()
    load.see(phone, "intro")
    phone.locator("#start-life-btn").click()


def decide_on_cards(phone: Page, load: ReadingLoad, r: int, picks: dict[str, str]) -> None:
    """On the round screen: (the keep card, then) the decision cards, each measured and each
    fitting the screen; in round 1 no card lets the player on before a tap."""
    form = phone.locator("#decision-form")
    expect(form).to_be_visible(timeout=WAIT_MS)
    if form.get_attribute("data-step") == "keep":
        screen = load.see(phone, f"round {r} keep")
        assert not screen.scrolls, f"round {r}: the keep card scrolls ({screen.heights:.2f})"
        phone.locator("#edit-btn").click()

    def measure(step: str) -> None:
        screen = load.see(phone, f"round {r} {step}")
        assert not screen.scrolls, f"round {r}, card {step} scrolls ({screen.heights:.2f})"
        # Where the phone has a voice the card shows its "read aloud" button: still no scroll.
        assert phone.evaluate(WITH_READ_BUTTONS), f"round {r}, card {step} scrolls when read aloud"
        if r == 1 and step in UNANSWERED:
            expect(form.locator("input[type=radio]:checked")).to_have_count(0)
            expect(phone.locator("#next-step")).to_be_disabled()

    walk_cards(phone, picks, measure)
    phone.locator("#decide-btn").click()


def live_a_life(phone: Page, scenario: str, picks: dict[int, dict[str, str]]) -> ReadingLoad:
    """A solo life: round 1 on its cards, then from each result "as before" (one tap) or, for
    the rounds in ``picks``, "change" and the cards."""
    load = ReadingLoad(scenario)
    start_solo(phone, scenario, load)
    r = 1
    decide_on_cards(phone, load, r, picks.get(r, {}))
    while True:
        expect(phone.locator("#screen-result")).to_be_visible(timeout=WAIT_MS)
        expect(phone.locator("#next-btn")).to_be_enabled()
        settle(phone)
        load.see(phone, f"result {r}")
        # Short event cards: a headline of at most about 40 characters, one news card at most.
        titles = phone.locator("#event-list .card-title").all_inner_texts()
        assert all(len(t.strip()) <= HEADLINE_CHARS for t in titles), titles
        assert phone.locator("#event-list [data-testid=event-news]").count() <= 1
        if END_BUTTON.search(phone.locator("#next-btn").inner_text()):
            phone.locator("#next-btn").click()
            break
        r += 1
        if r in picks:
            phone.locator("#next-btn").click()
            decide_on_cards(phone, load, r, picks[r])
        else:
            phone.locator("#keep-next").click()
        expect(phone.locator("#result-title")).to_contain_text(
            re.compile("岁|Age|age"), timeout=WAIT_MS
        )
    expect(phone.locator("#screen-end")).to_be_visible()
    load.see(phone, "end")
    print("\n" + load.report())
    return load
