"""The player page does not jump while it loads (cumulative layout shift, as Lighthouse counts
it, from the browser's own layout-shift entries)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Route, expect
from web.web_support import Pages

CLS_BUDGET = 0.1
"""Lighthouse's "good" threshold."""

WATCH = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
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
