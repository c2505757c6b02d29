"""A refresh, and a lost network, in the middle of a workshop round: the phone lands back in the
same seat (same player, same nickname, same round, its unsent choice or its sent decision),
shows "reconnecting" while the socket is down, and can still decide; the round then closes."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from web.web_support import (
    WAIT_MS,
    Pages,
    create_workshop,
    decide,
    join_typed,
    round_title,
    session_of,
    visible_screen,
    wait_result,
    walk_cards,
)

WATCH_RECONNECTING = """
window.__reconnectingSeen = 0;
document.addEventListener('DOMContentLoaded', () => {
  const box = document.getElementById('reconnecting');
  if (!box) return;
  new MutationObserver(() => { if (!box.hidden) window.__reconnectingSeen += 1; })
    .observe(box, { attributes: true, attributeFilter: ['hidden'] });
});
"""
"""Counts the times the "reconnecting" banner was shown (it may be up only briefly)."""


def reload_into_round(phone: Page) -> None:
    phone.reload()
    expect(phone.locator("#screen-round")).to_be_visible(timeout=WAIT_MS)
    expect(phone.locator("#reconnecting")).to_be_hidden()


def test_refresh_and_reconnect_mid_round(pages: Pages) -> None:
    host = pages.projector()
    code = create_workshop(host, seconds=300)
    a = pages.phone()
    a.context.add_init_script(WATCH_RECONNECTING)
    b = pages.phone()
    a.goto(f"/play.html?room={code}")
    join_typed(a, code, "阿强")
    b.goto(f"/play.html?room={code}")
    join_typed(b, code, "小红")
    expect(host.locator("#host-count")).to_have_text("2 人已加入")
    host.locator("#host-start").click()
    for phone in (a, b):
        expect(phone.locator("#screen-round")).to_be_visible()
    seat = session_of(a, code)
    assert seat["nickname"] == "阿强"

    # 1. A refresh before deciding: the same seat and round, and the choice not sent yet.
    a.locator("#pension-residents").check()
    expect(a.locator("#residents-tier")).to_be_visible()
    reload_into_round(a)
    assert round_title(a) == (1, 10)
    again = session_of(a, code)
    assert (again["player_id"], again["nickname"], again["token"]) == (
        seat["player_id"],
        "阿强",
        seat["token"],
    )
    expect(a.locator("#pension-residents")).to_be_checked()
    walk_cards(a, {})
    expect(a.locator("#decide-btn")).to_have_text("就这么选")
    expect(host.locator("#host-count")).to_have_text("2 人已加入")
    expect(host.locator("#host-players > li")).to_have_count(2)

    # 2. Decide, then refresh: the decision is still in, waiting for the others.
    a.locator("#decide-btn").click()
    expect(a.locator("#decided-count")).to_have_text("已有 1 / 2 人选好")
    reload_into_round(a)
    assert round_title(a) == (1, 10)
    expect(a.locator("#waiting")).to_be_visible()
    expect(a.locator("#decision-form")).to_be_hidden()
    assert session_of(a, code)["player_id"] == seat["player_id"]

    # 3. The network goes away: "reconnecting" while the socket is down; then back.
    seen_before = a.evaluate("() => window.__reconnectingSeen")
    a.context.set_offline(True)
    expect(a.locator("#reconnecting")).to_be_visible()
    expect(a.locator("#reconnecting")).to_have_text("正在重新连接…")
    a.wait_for_timeout(1500)  # a retry or two fail while offline
    expect(a.locator("#reconnecting")).to_be_visible()
    a.context.set_offline(False)
    expect(a.locator("#reconnecting")).to_be_hidden(timeout=WAIT_MS)
    assert a.evaluate("() => window.__reconnectingSeen") > seen_before
    assert visible_screen(a) == "screen-round"

    # 4. Change the decision, and send it during a 20-second network loss: it waits to be
    # sent (and says so, not "sent"); back online it goes in, in the same seat.
    a.locator("#change-btn").click()
    expect(a.locator("#decision-form")).to_be_visible()
    while a.locator("#decision-form").get_attribute("data-step") != "pension":
        a.locator("#prev-step").click()
    a.locator("#pension-none").check()
    walk_cards(a, {})
    a.context.set_offline(True)
    expect(a.locator("#reconnecting")).to_be_visible()
    a.locator("#decide-btn").click()
    expect(a.locator("#waiting")).to_contain_text("等着发送")
    expect(a.locator("#live")).to_contain_text("等着发送")
    expect(a.locator("#waiting")).not_to_contain_text("已交上")
    a.wait_for_timeout(20_000)
    expect(a.locator("#waiting")).to_contain_text("等着发送")
    a.context.set_offline(False)
    expect(a.locator("#reconnecting")).to_be_hidden(timeout=WAIT_MS)
    expect(a.locator("#waiting")).to_contain_text("你的选择已交上", timeout=WAIT_MS)
    expect(a.locator("#decided-count")).to_have_text("已有 1 / 2 人选好")
    assert session_of(a, code)["player_id"] == seat["player_id"]
    decide(b)
    for phone in (a, b):
        wait_result(phone)
    expect(host.locator("#host-defaulted")).to_contain_text("2 人中 2 人自己选了")
    pension = host.locator("#host-round-results section").first.locator("li")
    expect(pension.nth(2)).to_contain_text(re.compile(r"^\D*2 · 100%"))
    assert session_of(a, code)["player_id"] == seat["player_id"]

    # 5. A refresh between rounds shows the result again, then the next round.
    a.reload()
    expect(a.locator("#screen-result")).to_be_visible()
    expect(a.locator("#next-btn")).to_be_disabled()
    host.locator("#host-open-round").click()
    a.locator("#next-btn").click()
    expect(a.locator("#screen-round")).to_be_visible()
    assert round_title(a) == (2, 10)
