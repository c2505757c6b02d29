"""The language: Chinese for a Chinese browser, English for an English one; the language button
switches the visible text and the choice is remembered after a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from web.player_life import CAREFUL, SCENARIOS, live_a_life
from web.web_support import WAIT_MS, Pages

CHINESE = re.compile(r"[\u4e00-\u9fff]")

# (page, a heading, its Chinese text, its English text)
HEADINGS = [
    ("/", "#home h1", "零工人生", "Gig Life"),
    ("/play.html", "#screen-start h1", "开始游戏", "Start a game"),
    ("/host.html", "#host h1", "主持工作坊", "Host a workshop"),
]


def lang_of(page: Page) -> str:
    return str(page.evaluate("() => document.documentElement.lang"))


def stored_lang(page: Page) -> str | None:
    value = page.evaluate("() => localStorage.getItem('gl.lang')")
    return None if value is None else str(value)


@pytest.mark.parametrize(("path", "heading", "zh", "en"), HEADINGS, ids=["home", "play", "host"])
def test_chinese_by_default_and_switch(
    pages: Pages, path: str, heading: str, zh: str, en: str
) -> None:
    page = pages.phone(locale="zh-CN")
    page.goto(path)
    head = page.locator(heading)
    toggle = page.locator("#lang-toggle")
    expect(head).to_have_text(zh)
    expect(toggle).to_have_text("English")
    assert lang_of(page) == "zh-CN"
    assert stored_lang(page) is None

    toggle.click()
    expect(head).to_have_text(en)
    expect(toggle).to_have_text("中文")
    assert lang_of(page) == "en"
    assert stored_lang(page) == "en"
    assert not CHINESE.search(page.locator("main").inner_text()), "Chinese left after switching"

    page.reload()
    expect(head).to_have_text(en)
    expect(toggle).to_have_text("中文")
    assert lang_of(page) == "en"

    toggle.click()
    expect(head).to_have_text(zh)
    assert lang_of(page) == "zh-CN"
    assert stored_lang(page) == "zh-CN"
    page.reload()
    expect(head).to_have_text(zh)


def test_english_browser_gets_english(pages: Pages) -> None:
    page = pages.phone(locale="en-US")
    page.goto("/")
    expect(page.locator("#home h1")).to_have_text("Gig Life")
    expect(page.locator("#lang-toggle")).to_have_text("中文")
    assert lang_of(page) == "en"
    assert stored_lang(page) is None
    expect(page).to_have_title(re.compile("Gig Life"))
    # The choice made on one page holds on the others.
    page.locator("#lang-toggle").click()
    expect(page.locator("#home h1")).to_have_text("零工人生")
    page.goto("/play.html")
    expect(page.locator("#screen-start h1")).to_have_text("开始游戏")
    page.goto("/guide.html")
    expect(page.locator("#lang-toggle")).to_have_text("English")
    assert lang_of(page) == "zh-CN"


LATIN_WORD = re.compile(r"[A-Za-z]+")
LATIN_ALLOWED = {"English", "EN", "App"}
"""Latin words a Chinese screen may show: the language button's own name (its short form "EN"
during a life), and "App" in the
names of official apps (掌上12333 App). Numbers such as 12333 are not words."""


def answer_post_quiz(page: Page) -> None:
    """On the end screen: answer the quiz again, question by question, so that each answer's
    explanation and source are on show."""
    quiz = page.locator("#post-quiz")
    for i in range(3):
        button = page.locator(f"#post-q{i}-submit")
        if not button.count():
            break
        page.locator(f"#post-q{i}-0").check()
        button.click()
        expect(quiz.locator(".source")).to_have_count(i + 1, timeout=WAIT_MS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_english_on_chinese_player_screens(pages: Pages, scenario: str) -> None:
    """Every screen of a careful life (which shows the most kinds of card) in zh-CN, each with
    its detail panels open (the events' stories and sources, the ledger, the badges, the steps
    to do it for real), and the quiz answered at the end (its sources): no Latin words outside
    the allowlist."""
    phone = pages.phone(locale="zh-CN")
    load = live_a_life(phone, scenario, CAREFUL)
    answer_post_quiz(phone)
    end = load.see(phone, "end, quiz answered")
    assert end.opened.count("来源：") >= load.screens[-2].opened.count("来源：") + 3, end.opened
    found = {}
    for screen in load.screens:
        assert len(screen.opened) >= len(screen.text), screen.name
        words = set(LATIN_WORD.findall(screen.opened)) - LATIN_ALLOWED
        if words:
            found[screen.name] = sorted(words)
    assert not found, found
    # The panels were opened: the sources of what happened are among the texts checked.
    results = [s for s in load.screens if s.name.startswith("result ")]
    assert any("来源：" in s.opened for s in results), load.label


RAW_KEY = re.compile(
    r"\b(?:pc|plan|g|payer|dec|sum|led|cf|end|rw|hap|why|kind|part|pension|medical)\.[a-z_.]+"
)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_no_raw_catalogue_key_on_player_screens(pages: Pages, locale: str) -> None:
    load = live_a_life(pages.phone(locale=locale), "shenzhen-driver", CAREFUL)
    found = {s.name: RAW_KEY.findall(s.text) for s in load.screens if RAW_KEY.search(s.text)}
    assert not found, found
