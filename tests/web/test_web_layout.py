"""The player page does not jump while it loads (cumulative layout shift, as Lighthouse counts
it, from the browser's own layout-shift entries)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Route, expect
from web.web_support import (
    WAIT_MS,
    Pages,
    create_workshop,
    decide,
    host_open_round,
    wait_result,
)

CLS_BUDGET = 0.1
"""Lighthouse's "good" threshold."""

WATCH = """
window.__cls = 0;
window.__shifted = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.hadRecentInput) continue;
    window.__cls += e.value;
    for (const s of e.sources || []) {
      const n = s.node;
      const name = n ? n.id || n.className || n.nodeName : '?';
      const rect = (r) => JSON.stringify([r.x, r.y, r.width, r.height]);
      window.__shifted.push(name + ' ' + rect(s.previousRect) + ' → ' + rect(s.currentRect));
    }
  }
}).observe({ type: 'layout-shift', buffered: true });
"""


@pytest.mark.parametrize("path", ["/play.html", "/play.html?solo=1"])
def test_play_page_does_not_shift_as_it_loads(pages: Pages, path: str) -> None:
    page = pages.phone()
    page.context.add_init_script(WATCH)

    def slow(route: Route) -> None:
        time.sleep(0.8)  # a slow phone network: the scenario list comes after the first paint
        route.continue_()

    page.route("**/api/scenarios", slow)
    page.goto(path)
    expect(page.locator("#scenario-hangzhou-rider")).to_be_visible()
    page.wait_for_timeout(1500)
    cls = float(page.evaluate("() => window.__cls"))
    print(f"{path}: CLS {cls:.3f}")
    assert cls <= CLS_BUDGET, cls


def test_a_round_arriving_does_not_shift_the_page(pages: Pages) -> None:
    """In a workshop the phone waits in the lobby, then the host opens a round; later it waits on
    a result until the host opens the next one: what arrives takes its own place (the round's
    screen, the way on under the result), nothing on show is pushed about."""
    host = pages.projector()
    code = create_workshop(host, scenario="hangzhou-rider", seconds=60)
    phone = pages.phone()
    phone.context.add_init_script(WATCH)
    phone.goto(f"/?room={code}")
    phone.locator("#join-btn").click()
    expect(phone.locator("#screen-lobby")).to_be_visible(timeout=WAIT_MS)
    phone.wait_for_timeout(1000)

    def assert_no_shift(what: str, arrive: Callable[[], None], shown: str) -> None:
        """Count layout shifts from now while ``arrive`` happens and ``shown`` appears."""
        phone.evaluate("() => { window.__cls = 0; }")
        arrive()
        expect(phone.locator(shown)).to_be_visible(timeout=WAIT_MS)
        phone.wait_for_timeout(1500)
        cls = float(phone.evaluate("() => window.__cls"))
        print(f"{what}: CLS {cls:.3f}")
        shifted = phone.evaluate("() => window.__shifted")
        assert not shifted, shifted
        assert cls <= CLS_BUDGET, cls

    assert_no_shift("round opened", host.locator("#host-start").click, "#screen-round")

    decide(phone)
    wait_result(phone)
    expect(phone.locator("#next-btn")).to_be_disabled(timeout=WAIT_MS)
    phone.wait_for_timeout(1000)
    assert_no_shift("next round opened under a result", lambda: host_open_round(host), "#keep-next")
