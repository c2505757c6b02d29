"""A whole workshop in real browsers: a host on a projector-sized page and three phones.

The host creates a room (scenario, round length); the phones join with the code (typed on the
home page, typed on the player page, and through the QR link ``/?room=CODE``); the host starts
and opens every round (one of them a risk-pool round); the phones decide (one of them chooses
the employees' pension) until the life is over; the host shows the podium and the debrief and
the phones their end screens.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from web.web_support import (
    WAIT_MS,
    Pages,
    Record,
    StartServer,
    check_end_screen,
    create_workshop,
    decide,
    host_open_round,
    join_typed,
    next_round,
    round_title,
    to_end,
    wait_result,
)

POOL_ROUND = 3
"""The round (from 1) the host makes a risk-pool round."""


def test_workshop_end_to_end(pages: Pages) -> None:
    host = pages.projector()
    code = create_workshop(host, scenario="hangzhou-rider", seconds=60)
    expect(host.locator("#host-status")).to_have_text("等待玩家加入")
    expect(host.locator("#host-qr")).to_be_visible()
    expect(host.locator("#join-url")).to_contain_text(f"/?room={code}")

    # Three phones join: from the home page, on the player page, and through the QR link.
    phones = [pages.phone() for _ in range(3)]
    a, b, c = phones
    a.goto("/")
    a.locator("#join-code").fill(code)
    a.locator("#join-btn").click()
    expect(a).to_have_url(re.compile(rf"/play\.html\?room={code}$"))
    expect(a.locator("#join-code")).to_have_value(code)
    names = [join_typed(a, code, "阿强")]

    b.goto("/play.html")
    names.append(join_typed(b, code, "小红 🌸"))

    c.goto(f"/?room={code}")
    expect(c).to_have_url(re.compile(rf"/play\.html\?room={code}$"))
    expect(c.locator("#join-code")).to_have_value(code)
    default_name = c.locator("#nickname").input_value()
    assert default_name, "the nickname is prefilled with a friendly default"
    c.locator("#join-btn").click()
    expect(c.locator("#screen-lobby")).to_be_visible()
    names.append(default_name)

    expect(host.locator("#host-count")).to_have_text("3 人已加入")
    players = host.locator("#host-players > li")
    expect(players).to_have_count(3)
    for name in names:
        expect(host.locator("#host-players")).to_contain_text(name)
    for phone in phones:
        expect(phone.locator("#player-count")).to_have_text("已有 3 人加入")
        expect(phone.locator("#persona-card")).to_be_visible()

    # The lobby quiz, on one phone: acknowledged without saying whether it was right.
    a.locator("#pre-q0-0").check()
    a.locator("#pre-q0-submit").click()
    expect(a.locator("[data-testid^=quiz-]").first.locator(".ok-note")).to_be_visible()

    host.locator("#host-start").click()
    rounds = play_rounds(host, phones)
    assert rounds == 10

    # Game over: the podium and the debrief on the projector.
    expect(host.locator("#host-status")).to_have_text("游戏结束", timeout=WAIT_MS)
    podium = host.locator("#podium")
    expect(podium).to_be_visible()
    expect(podium.locator("li")).to_have_count(3)
    for name in names:
        expect(podium).to_contain_text(name)
    expect(host.locator("#debrief-stats")).to_be_visible()
    expect(host.locator("#debrief-stats")).to_contain_text("/ 3")
    # The debrief, one screen at a time: talking points, the quiz, where to do it for real.
    host.locator("#host-next").click()
    expect(host.locator("#debrief-points > li").first).to_contain_text("3 个人里")
    host.locator("#host-next").click()
    expect(host.locator("#debrief-quiz")).to_be_visible()
    host.locator("#host-next").click()
    expect(host.locator("#debrief-real")).to_contain_text("12333")

    # The phones: the end of their lives.
    for phone in phones:
        to_end(phone)
        check_end_screen(phone)
        expect(phone.locator("#end-title")).to_contain_text("岁")
    # The one who paid into the employees' pension has a monthly pension of it.
    expect(a.locator("#final-score")).to_contain_text("职工养老金：每月")


def play_rounds(host: Page, phones: list[Page]) -> int:
    """Every round until the game is over; returns the number of rounds."""
    a = phones[0]
    round_no, total = 1, 0
    while True:
        for phone in phones:
            expect(phone.locator("#screen-round")).to_be_visible(timeout=WAIT_MS)
            n, total = round_title(phone)
            assert n == round_no, f"phone shows round {n}, expected {round_no}"
        expect(host.locator("#host-status")).to_contain_text(f"第 {round_no} / {total} 轮进行中")
        expect(host.locator("#host-countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
        pool = round_no == POOL_ROUND
        if pool:
            expect(host.locator("#host-status")).to_contain_text("大家一起扛")
            for phone in phones:
                expect(phone.locator("#pool-notice")).to_be_visible()

        # Phone A changes its pension to the employees' scheme in the first round (it stays the
        # default after that); the others keep the defaults.
        decide(a, pension="employee" if round_no == 1 else None)
        expect(a.locator("#waiting")).to_be_visible()
        decide(phones[1])
        expect(phones[1].locator("#decided-count")).to_have_text("已有 2 / 3 人选好")
        decide(phones[2])
        for phone in phones:
            wait_result(phone)
            if pool:
                expect(phone.locator("#pool-result")).to_be_visible()
            expect(phone.locator("#leaderboard")).to_be_visible()

        if round_no == total:
            return total
        if pool:  # a pool round shows the pool first, then what happened
            reveal = host.locator("#host-pool-reveal")
            expect(reveal).to_be_visible()
            expect(reveal).to_contain_text("3 人里有")
            host.locator("#host-next").click()
        else:
            expect(host.locator("#host-pool-reveal")).to_have_count(0)
        results = host.locator("#host-round-results")
        expect(results).to_be_visible()
        expect(host.locator("#stage-title")).to_contain_text(f"第 {round_no} 轮")
        expect(host.locator("#host-status")).to_contain_text(f"第 {round_no} / {total} 轮已结束")
        expect(host.locator("#host-defaulted")).to_contain_text("3 人中 3 人自己选了")
        if round_no == 1:
            employee = results.locator("section").first.locator("li").first
            expect(employee).to_contain_text("1 · 33%")
        for phone in phones:
            expect(phone.locator("#next-btn")).to_be_disabled()

        host_open_round(host, pool=round_no + 1 == POOL_ROUND)
        for phone in phones:
            next_round(phone)
        # The choice of the first round is the new default (in the working rounds).
        if a.locator("#decision-form").get_attribute("data-phase") == "working":
            expect(a.locator("#keep-card")).to_contain_text("职工养老")
        round_no += 1


def test_host_sees_how_many_have_decided(pages: Pages) -> None:
    """The projector counts the decisions while the round is open (the server's passing
    ``decided`` events, which carry ``seq`` 0)."""
    host = pages.projector()
    code = create_workshop(host)
    phones = [pages.phone(), pages.phone()]
    for phone, name in zip(phones, ("阿强", "小红"), strict=True):
        phone.goto(f"/play.html?room={code}")
        join_typed(phone, code, name)
    host.locator("#host-start").click()
    expect(host.locator("#host-decided")).to_have_text("2 位玩家正在选择…")
    decide(phones[0])
    expect(phones[0].locator("#decided-count")).to_have_text("已有 1 / 2 人选好")
    expect(host.locator("#host-decided")).to_have_text("已有 1 / 2 人选好", timeout=5000)
    decide(phones[1])
    expect(host.locator("#host-defaulted")).to_contain_text("2 人中 2 人自己选了")


PUBLIC_URL = "http://192.0.2.10:8000"
"""The address the operator gives players (``PUBLIC_URL``; a documentation address, never
contacted: the test's pages only talk to 127.0.0.1)."""


def test_join_address_under_the_qr_is_the_public_one(
    browser: Browser, start_server: StartServer
) -> None:
    """With ``PUBLIC_URL`` set, the address printed under the QR code is the one the QR code
    holds (``join_url``), not the address the host's own browser happens to use."""
    server = start_server("web-public", {"PUBLIC_URL": PUBLIC_URL})
    record = Record()
    pages = Pages(browser, server.http_url, record)
    try:
        host = pages.projector()
        code = create_workshop(host)
        expected = server.get(f"/api/rooms/{code}").json()["join_url"]
        assert expected == f"{PUBLIC_URL}/?room={code}"
        expect(host.locator("#host-qr")).to_be_visible()
        expect(host.locator("#join-url")).to_have_text(expected, timeout=5000)
        expect(host.locator("#host-qr")).to_have_attribute("alt", re.compile(re.escape(expected)))
    finally:
        pages.close()
    assert not record.foreign(), record.foreign()
    assert not record.page_errors, record.page_errors
