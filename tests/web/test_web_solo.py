"""A solo life in a real phone-sized browser, from the start screen to the end: the score, the
counterfactual (insured and uninsured lives beside one's own) and the "do it for real" cards,
and the share picture."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from web.qr_decode import qr_codes
from web.web_support import (
    WAIT_MS,
    Pages,
    check_end_screen,
    decide,
    next_round,
    round_title,
    to_end,
    wait_result,
    walk_cards,
)


def test_solo_life_end_to_end(pages: Pages) -> None:
    phone = pages.phone()
    phone.goto("/")
    phone.locator("#home-solo").click()
    expect(phone).to_have_url(re.compile(r"/play\.html\?solo=1$"))

    scenario = phone.locator("#scenario-shenzhen-driver")
    scenario.check()
    phone.locator("#solo-nickname").fill("阿华")
    phone.locator("#solo-btn").click()

    # The intro: the persona and the lobby quiz, then the life starts.
    expect(phone.locator("#screen-lobby")).to_be_visible()
    expect(phone.locator("#persona-card")).to_be_visible()
    expect(phone.locator("#player-count")).to_have_count(0)
    expect(phone).to_have_url(re.compile(r"/play\.html\?room=\d{6}$"))
    phone.locator("#start-life-btn").click()

    round_no, total = 1, 0
    while True:
        expect(phone.locator("#screen-round")).to_be_visible(timeout=WAIT_MS)
        n, total = round_title(phone)
        assert n == round_no
        expect(phone.locator("#countdown")).to_be_hidden()  # no clock when alone
        expect(phone.locator("#statusbar")).to_be_visible()
        if round_no == 1:
            # No answer is chosen for the player: the pension card waits for a tap.
            expect(phone.locator("#decision-form")).to_have_attribute("data-step", "pension")
            expect(phone.locator("#card-pension input:checked")).to_have_count(0)
            expect(phone.locator("#next-step")).to_be_disabled()
            phone.locator("#pension-none").check()
            expect(phone.locator("#next-step")).to_be_enabled()
            # Joins the residents' medical insurance and buys the accident cover.
            walk_cards(phone, {"medical": "residents", "injury": "yes"})
            expect(phone.locator("#month-summary")).to_be_visible()
            expect(phone.locator("#decide-btn")).to_have_text("就这么选")
            phone.locator("#decide-btn").click()
        else:
            # Later rounds: last round's choices, listed, kept with one tap.
            expect(phone.locator("#keep-card")).to_contain_text("城乡居民医保")
            expect(phone.locator("#decide-btn")).to_contain_text("全部保持不变")
            decide(phone)
        wait_result(phone)
        expect(phone.locator("#ledger")).to_be_visible()
        expect(phone.locator("#round-score")).to_contain_text("/ 1000")
        expect(phone.locator("#leaderboard")).to_have_count(0)
        if round_no == total:
            break
        next_round(phone)
        round_no += 1
    assert total >= 3, total

    to_end(phone)
    scores = check_end_screen(phone)
    # Three different lives side by side.
    assert scores["insured"] != scores["uninsured"], scores
    expect(phone.locator("#counterfactual thead")).to_have_text(
        re.compile("你的选择.*全都参保.*什么都不交")
    )
    real_world = phone.locator("#real-world")
    expect(real_world.locator("[data-testid^=rw-sz-]")).to_have_count(4)
    expect(real_world).to_contain_text("12333")
    expect(real_world).to_contain_text("电子社保卡")
    expect(phone.locator("#call-12333")).to_have_attribute("href", "tel:12333")
    expect(phone.locator("#call-12333")).to_have_text("一键拨打12333")
    expect(phone.locator("#rw-link-si")).to_have_attribute("href", "https://si.12333.gov.cn/")
    expect(phone.locator("#rw-link-nhsa")).to_have_attribute("href", "https://fuwu.nhsa.gov.cn/")
    expect(phone.locator("#decided-by")).to_contain_text("。")
    expect(phone.locator("#plan-link")).to_have_attribute("href", "guide.html#plan")
    # The lesson comes first: score, the same life insured / not, do it for real, quiz, share.
    order = phone.evaluate(
        """() => ['final-score', 'counterfactual', 'real-world', 'post-quiz', 'share']
          .map((id) => document.getElementById(id).getBoundingClientRect().top)"""
    )
    assert order == sorted(order), order
    phone.locator("#timeline > summary").click()
    expect(phone.locator("#chart")).to_be_visible()
    expect(phone.locator("#timeline")).not_to_contain_text("图不完整")

    # The share picture: drawn on the phone, never uploaded.
    phone.locator("#share-btn").click()
    image = phone.locator("#share-img")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    expect(phone.locator("#share-download")).to_have_attribute("download", re.compile(r"\.png$"))
    # Its QR code scans, leads to the game, and is big enough for a camera (a fifth of the
    # card's width at least: the card is 1080 pixels wide).
    codes = qr_codes(phone, "#share-img")
    assert [text for text, _ in codes] == [pages.base_url.rstrip("/") + "/"], codes
    assert codes[0][1] >= 216, codes


def test_end_screen_pension_line_is_whole(pages: Pages) -> None:
    """A life with the employees' pension: the retirement card names the city that pays it,
    and the end screen's pension line has no hole where a city name should be."""
    phone = pages.phone()
    phone.goto("/play.html?solo=1")
    phone.locator("#scenario-hangzhou-rider").check()
    phone.locator("#solo-btn").click()
    phone.locator("#start-life-btn").click()
    retired, first = "", True
    while True:
        decide(phone, pension="employee" if first else None)
        first = False
        wait_result(phone)
        card = phone.locator("[data-testid=event-retired]")
        if card.count():
            retired = card.inner_text()
        button = phone.locator("#next-btn")
        expect(button).to_be_enabled()
        if "看看我的一生" in button.inner_text():
            break
        button.click()
    assert re.search(r"开始领职工养老金：每月 约?[\d,]+ 元（在[^）]+领）", retired), retired

    to_end(phone)
    line = phone.locator("#final-score p", has_text="职工养老金")
    expect(line).to_have_count(1)
    expect(line).to_have_text(re.compile(r"每月 约?[\d,]+ 元"))
    expect(line).not_to_have_text(re.compile(r"在领|（）"), timeout=5000)
    phone.locator("#lang-toggle").click()
    line = phone.locator("#final-score p", has_text="employees' pension")
    expect(line).to_have_count(1)
    expect(line).not_to_have_text(re.compile(r"in \)|\(\)"), timeout=5000)
