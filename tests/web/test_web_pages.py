"""Every page and its main states, visited once in a real workshop and checked three ways:

- accessibility: axe-core (bundled with axe-playwright-python, injected into the page) finds no
  violation of impact "serious" or "critical" in any state;
- screenshots: each state at 360×640 (a phone) and 1280×720 (a projector) is written to
  ``docs/screenshots/<state>-<width>.png`` (viewport only), so every test run refreshes them;
- privacy and weight: no request of any page leaves the local server, and the player page's
  first load is at most 150 KB over the wire.

The tour (a module fixture) runs a workshop with three phones — the first one is the phone the
screenshots show — and a host on a projector, from the home page to the debrief.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from e2e.e2e_support import ServerProcess
from playwright.sync_api import Browser, Page, expect
from web.web_support import (
    DESKTOP,
    PHONE,
    SCREENSHOT_DIR,
    WAIT_MS,
    Pages,
    Record,
    create_workshop,
    decide,
    host_open_round,
    is_local,
    join_typed,
    lines,
    next_round,
    round_title,
    settle,
    to_end,
    wait_result,
    walk_cards,
)

STATES = [
    "home",
    "guide",
    "play-start",
    "host-setup",
    "play-join",
    "play-lobby",
    "host-lobby",
    "play-round",
    "play-decide",
    "host-round",
    "play-result",
    "host-results",
    "play-pool",
    "host-pool",
    "play-end",
    "host-debrief",
]
"""The states visited, in order: the page (home, guide, play = the player, host) and what it
shows."""

WIDTHS = {360: PHONE, 1280: DESKTOP}
BLOCKING_IMPACTS = {"serious", "critical"}
FIRST_LOAD_BUDGET = 150 * 1024
MAX_PNG_BYTES = 400 * 1024


@dataclass
class Tour:
    started: float
    record: Record
    violations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    screenshots: list[Path] = field(default_factory=list)


class Visitor:
    """Checks a page in a state: axe-core, then viewport screenshots at both widths."""

    def __init__(self, tour: Tour) -> None:
        self.tour = tour
        self.axe = Axe()

    def __call__(self, page: Page, state: str, show: str | None = None) -> None:
        """Check ``page`` in ``state``; the screenshots show the top of the page, or the
        element ``show`` (a selector) near the top."""
        assert state in STATES, state
        settle(page)
        results = self.axe.run(page)
        self.tour.violations[state] = results.response["violations"]
        own = page.viewport_size
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        for width, size in WIDTHS.items():
            if page.viewport_size != size:
                page.set_viewport_size(size)
                settle(page)
            path = SCREENSHOT_DIR / f"{state}-{width}.png"
            page.evaluate(
                """(sel) => {
                  const el = sel && document.querySelector(sel);
                  if (!el) { window.scrollTo(0, 0); return; }
                  // Below the sticky top bar and status strip.
                  const covered = [...document.querySelectorAll('.topbar, #statusbar')]
                    .filter((e) => !e.hidden)
                    .reduce((m, e) => Math.max(m, e.getBoundingClientRect().bottom), 0);
                  const top = el.getBoundingClientRect().top + window.scrollY;
                  window.scrollTo(0, top - covered - 12);
                }""",
                show,
            )
            page.screenshot(path=path, animations="disabled", caret="hide", scale="css")
            self.tour.screenshots.append(path)
        if page.viewport_size != own and own is not None:
            page.set_viewport_size(own)


@pytest.fixture(scope="module")
def tour(browser: Browser, server: ServerProcess) -> Tour:
    record = Record()
    made = Pages(browser, server.http_url, record)
    result = Tour(started=time.time(), record=record)
    try:
        run_tour(made, Visitor(result))
    finally:
        made.close()
    return result


def run_tour(pages: Pages, visit: Visitor) -> None:
    phone = pages.phone(scale=1)
    host = pages.projector()
    others = [pages.phone(scale=1) for _ in range(2)]

    phone.goto("/")
    expect(phone.locator("#join-code")).to_be_visible()
    visit(phone, "home")

    phone.goto("/guide.html")
    expect(phone.locator("#scheme-employee_pension")).to_be_visible()
    expect(phone.locator("#calc-pension")).to_be_visible()
    phone.locator("#elig-btn").click()
    expect(phone.locator("#elig-result li").first).to_be_visible()
    visit(phone, "guide")

    phone.goto("/play.html")
    expect(phone.locator("#scenario-hangzhou-rider")).to_be_visible()
    visit(phone, "play-start")

    host.goto("/host.html")
    expect(host.locator("#host-scenario-hangzhou-rider")).to_be_visible()
    visit(host, "host-setup")
    code = create_workshop(host, scenario="hangzhou-rider", seconds=120)

    phone.goto(f"/?room={code}")
    expect(phone.locator("#join-code")).to_have_value(code)
    phone.locator("#nickname").fill("阿强")
    visit(phone, "play-join")
    join_typed(phone, code, None)
    for other, name in zip(others, ("小红", "Lily"), strict=True):
        other.goto(f"/play.html?room={code}")
        join_typed(other, code, name)
    expect(phone.locator("#player-count")).to_have_text("已有 3 人加入")
    visit(phone, "play-lobby")
    expect(host.locator("#host-players > li")).to_have_count(3)
    visit(host, "host-lobby")

    host.locator("#host-start").click()
    everyone = [phone, *others]
    round_no = 1
    while True:
        for p in everyone:
            expect(p.locator("#screen-round")).to_be_visible(timeout=WAIT_MS)
        _, total = round_title(phone)
        if round_no == 1:
            phone.locator("#pension-employee").check()
            expect(phone.locator("#base-pct")).to_be_visible()
            visit(phone, "play-round")
            walk_cards(phone, {})
            visit(phone, "play-decide", show="#month-summary")
            visit(host, "host-round")
        decide(phone)
        decide(others[0], pension="residents" if round_no == 1 else None)
        decide(others[1])
        for p in everyone:
            wait_result(p)
        if round_no == 1:
            visit(phone, "play-result")
            expect(host.locator("#host-round-results")).to_be_visible()
            visit(host, "host-results")
        if round_no == 2:
            expect(phone.locator("#pool-result")).to_be_visible()
            visit(phone, "play-pool", show="#pool-result")
            expect(host.locator("#host-pool-reveal")).to_be_visible()
            visit(host, "host-pool")
        if round_no == total:
            break
        host_open_round(host, pool=round_no == 1)
        for p in everyone:
            next_round(p)
        round_no += 1

    to_end(phone)
    expect(phone.locator("#counterfactual")).to_be_visible()
    visit(phone, "play-end")
    expect(host.locator("#podium")).to_be_visible()
    expect(host.locator("#debrief-stats")).to_be_visible()
    visit(host, "host-debrief")


# --- Accessibility ---------------------------------------------------------------------------


def describe(violations: list[dict[str, Any]]) -> str:
    out = []
    for v in violations:
        out.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v["nodes"][:6]:
            out.append(f"    at {node['target']}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            out.append(f"       {summary[:300]}")
        if len(v["nodes"]) > 6:
            out.append(f"    … and {len(v['nodes']) - 6} more")
    return "\n".join(out)


@pytest.mark.parametrize("state", STATES)
def test_no_serious_accessibility_violations(tour: Tour, state: str) -> None:
    assert state in tour.violations, f"the tour did not reach {state}"
    blocking = [v for v in tour.violations[state] if v["impact"] in BLOCKING_IMPACTS]
    minor = [v for v in tour.violations[state] if v["impact"] not in BLOCKING_IMPACTS]
    if minor:
        print(f"{state}: minor axe findings:\n{describe(minor)}")
    assert not blocking, f"axe-core on {state}:\n{describe(blocking)}"


PLAYER_STATES = [s for s in STATES if s.startswith("play-")]


@pytest.mark.parametrize("state", PLAYER_STATES)
def test_player_screens_have_no_accessibility_violation_at_all(tour: Tour, state: str) -> None:
    """The phone screens are the ones the game is for: axe-core finds nothing, of any impact."""
    assert not tour.violations[state], f"axe-core on {state}:\n{describe(tour.violations[state])}"


# --- Screenshots -----------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_screenshots_of_every_state(tour: Tour) -> None:
    expected = {SCREENSHOT_DIR / f"{s}-{w}.png" for s in STATES for w in WIDTHS}
    assert set(tour.screenshots) == expected
    for path in sorted(expected):
        assert path.stat().st_mtime >= tour.started - 1, f"{path} was not refreshed"
        width = int(path.stem.rsplit("-", 1)[1])
        assert png_size(path) == (WIDTHS[width]["width"], WIDTHS[width]["height"]), path
        assert path.stat().st_size <= MAX_PNG_BYTES, f"{path}: {path.stat().st_size} bytes"


# --- Nothing leaves the machine; the first load is light ----------------------------------


def test_no_request_leaves_localhost(tour: Tour) -> None:
    record = tour.record
    assert not record.foreign(), "requests that left localhost:\n  " + lines(record.foreign())
    assert not record.page_errors, "errors in the pages:\n  " + lines(record.page_errors)
    assert not record.csp_violations(), lines(record.csp_violations())
    # The tour did load the pages, the API and the socket (so the check above means something).
    paths = {u.split("?")[0].split("/", 3)[-1] for u in record.requests}
    for wanted in ("play.html", "host.html", "guide.html", "css/app.css", "api/scenarios"):
        assert wanted in paths, f"{wanted} not requested: {sorted(paths)}"
    assert any(u.startswith("ws://127.0.0.1:") and u.endswith("/ws") for u in record.websockets)
    assert all(is_local(u) for u in record.urls)


@dataclass
class Transfer:
    url: str
    encoded: int
    encoding: str


def first_load(page: Page, path: str, ready: str) -> list[Transfer]:
    """Load ``path`` in a fresh context with the cache off; every response's bytes on the wire
    (CDP ``Network.loadingFinished.encodedDataLength``: headers and compressed body)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls: dict[str, str] = {}
    encodings: dict[str, str] = {}
    done: dict[str, int] = {}

    def sent(e: dict[str, Any]) -> None:
        urls[e["requestId"]] = e["request"]["url"]

    def received(e: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in e["response"].get("headers", {}).items()}
        encodings[e["requestId"]] = headers.get("content-encoding", "")

    def finished(e: dict[str, Any]) -> None:
        done[e["requestId"]] = int(e["encodedDataLength"])

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    page.goto(path)
    expect(page.locator(ready)).to_be_visible()
    page.wait_for_load_state("networkidle")
    cdp.detach()
    return [Transfer(urls.get(i, i), n, encodings.get(i, "")) for i, n in done.items()]


def test_player_page_first_load_is_light(pages: Pages) -> None:
    """play.html's first load: the HTML, the CSS, every JS module, the Chinese catalog, the icon
    and the scenario list (``/api/scenarios``) — everything until the network is idle — then the
    full scenario (``/api/scenarios/hangzhou-rider``, fetched once a player joins) on top."""
    page = pages.phone()
    loaded = first_load(page, "/play.html", "#scenario-hangzhou-rider")
    total = sum(t.encoded for t in loaded)
    report = "\n  ".join(
        f"{t.encoded:>7} B {t.encoding or 'identity':8} {t.url}"
        for t in sorted(loaded, key=lambda t: -t.encoded)
    )
    print(f"play.html first load: {total} bytes ({total / 1024:.1f} KiB)\n  {report}")
    kinds = {t.url.rsplit("/", 1)[-1] for t in loaded}
    for wanted in ("play.html", "app.css", "play.js", "zh-CN.js", "scenarios"):
        assert wanted in kinds, f"{wanted} not loaded: {sorted(kinds)}"
    assert "en.js" not in kinds, "only the catalog in use is loaded"
    compressible = [
        t for t in loaded if t.url.endswith((".js", ".css", ".html")) and t.encoded > 900
    ]
    assert all(t.encoding == "gzip" for t in compressible), report
    assert total <= FIRST_LOAD_BUDGET, f"{total} bytes > {FIRST_LOAD_BUDGET}:\n  {report}"

    # The scenario a player needs after joining, fetched the way the page does.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: list[int] = []
    cdp.on("Network.loadingFinished", lambda e: sizes.append(int(e["encodedDataLength"])))
    page.evaluate("() => fetch('/api/scenarios/hangzhou-rider').then((r) => r.text())")
    page.wait_for_timeout(200)
    cdp.detach()
    scenario = sum(sizes)
    print(f"+ /api/scenarios/hangzhou-rider: {scenario} bytes; together {total + scenario} bytes")
    assert scenario > 0
    assert total + scenario <= FIRST_LOAD_BUDGET, f"{total} + {scenario} bytes"
