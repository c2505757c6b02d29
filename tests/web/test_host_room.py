"""The trainer's room in real browsers: a host on a 1280×720 projector and four phones (360×640).

Every step of the host's game is one screen: it must fit 720 px without scrolling, show what the
room reads in text of at least 28 px, and pass axe-core with no violation of any impact. The
lobby's join code is at least 120 px tall and its QR code at least 360 px, and the QR decodes
(zxing-cpp) to the join address. Phones from the QR link go straight to the nickname. In the
pool round the phones' bills, the pool's members and the host's total agree. The debrief shows
talking points with sources, the quiz live, where to enrol, and prints on one page.

The test server listens on 127.0.0.1 only (the tests' rule), so its host page must say that
phones cannot join; that the QR holds the LAN address when the server listens on every
interface is checked on the same app in process (``test_qr_holds_the_lan_address``).
"""

from __future__ import annotations

import asyncio
import base64
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from e2e.e2e_support import ServerProcess
from playwright.sync_api import Page, expect
from web.web_support import (
    SCREENSHOT_DIR,
    WAIT_MS,
    Pages,
    create_workshop,
    decide,
    join_typed,
    next_round,
    session_of,
    settle,
    to_end,
    wait_result,
)

from game_server.app import create_app
from game_server.config import Settings
from game_server.lan import is_loopback_host, lan_addresses

MIN_ROOM_TEXT_PX = 28
MIN_CODE_PX = 120
MIN_QR_PX = 360
PROJECTOR_HEIGHT = 720

EXEMPT = ".source, .hint, .live-note, .join-problem, .chip, .sr-only, .trainer-tools"
"""What the room need not read from the back: sources, hints, the trainer's tools and notes."""

MEASURE = """([exempt, MIN]) => {
  const body = document.querySelector('.stage-body');
  const small = [];
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest(exempt)) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < MIN) small.push(size + 'px: ' + n.textContent.trim().slice(0, 40));
  }
  return {
    overflow: body.scrollHeight - body.clientHeight,
    scroll: document.documentElement.scrollHeight,
    bottom: Math.max(...[...document.querySelectorAll('#stage *')]
      .map((e) => e.getBoundingClientRect().bottom)),
    small: small,
  };
}"""

QR_PIXELS = """async (sel) => {
  const img = document.querySelector(sel);
  await img.decode();
  const box = img.getBoundingClientRect();
  const w = Math.round(box.width), h = Math.round(box.height);
  const c = document.createElement('canvas');
  c.width = w + 40; c.height = h + 40;
  const x = c.getContext('2d');
  x.fillStyle = '#fff'; x.fillRect(0, 0, c.width, c.height);
  x.imageSmoothingEnabled = false;
  x.drawImage(img, 20, 20, w, h);
  const rgba = x.getImageData(0, 0, c.width, c.height).data;
  const gray = new Uint8Array(c.width * c.height);
  for (let i = 0; i < gray.length; i++) gray[i] = rgba[i * 4];
  let s = '';
  for (let i = 0; i < gray.length; i += 8192) {
    s += String.fromCharCode.apply(null, gray.subarray(i, i + 8192));
  }
  return { w: c.width, h: c.height, data: btoa(s) };
}"""


def decode_qr(page: Page, selector: str) -> str:
    """The text of the QR code as the page renders it (read back from a canvas)."""
    got = page.evaluate(QR_PIXELS, selector)
    pixels = memoryview(base64.b64decode(got["data"])).cast("B", (got["h"], got["w"]))
    found = zxingcpp.read_barcodes(pixels)
    assert found, f"no QR code could be read in {selector}"
    return str(found[0].text)


class Screens:
    """Checks each host screen: fits the projector, room text ≥ 28 px, axe-core clean."""

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix
        self.axe = Axe()
        self.seen: dict[str, dict[str, Any]] = {}

    def check(self, host: Page, step: str) -> dict[str, Any]:
        expect(host.locator("#stage")).to_have_attribute("data-step", step, timeout=WAIT_MS)
        settle(host)
        host.wait_for_timeout(300)  # a burst redraw (250 ms) has landed
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOT_DIR / f"trainer-{step}{self.suffix}-1280.png"
        host.screenshot(path=shot, animations="disabled")
        m: dict[str, Any] = host.evaluate(MEASURE, [EXEMPT, MIN_ROOM_TEXT_PX])
        assert m["scroll"] <= PROJECTOR_HEIGHT, f"{step}: the page is {m['scroll']} px tall"
        assert m["bottom"] <= PROJECTOR_HEIGHT + 0.5, f"{step}: content ends at {m['bottom']} px"
        assert m["overflow"] <= 1, f"{step}: the screen's content overflows by {m['overflow']} px"
        assert not m["small"], f"{step}: room text under {MIN_ROOM_TEXT_PX} px: {m['small']}"
        violations = self.axe.run(host).response["violations"]
        found = [
            f"[{v['impact']}] {v['id']}: {[n['target'] for n in v['nodes'][:3]]}"
            for v in violations
        ]
        assert not found, f"{step}: axe-core: {found}"
        self.seen[step] = m
        return m


def join_from_link(phone: Page, code: str, nickname: str) -> None:
    """The QR link: the nickname only (no code to type, no solo list), then "you're in"."""
    phone.goto(f"/?room={code}")
    expect(phone).to_have_url(re.compile(rf"/play\.html\?room={code}$"))
    expect(phone.locator("#join-title")).to_contain_text(code)
    expect(phone.locator("#join-code")).to_be_hidden()
    expect(phone.locator("#solo-form")).to_have_count(0)
    phone.locator("#nickname").fill(nickname)
    phone.locator("#join-btn").click()
    expect(phone.locator("#lobby-title")).to_have_text(f"你已进入房间 {code}")


def test_the_trainers_room(pages: Pages, server: ServerProcess) -> None:
    host = pages.projector()
    screens = Screens()
    # The setup, on the trainer's laptop: one screen too.
    host.goto("/host.html")
    expect(host.locator("#host-scenario-hangzhou-rider")).to_be_visible()
    assert host.evaluate("() => document.documentElement.scrollHeight") <= PROJECTOR_HEIGHT
    assert not screens.axe.run(host).response["violations"]
    code = create_workshop(host, scenario="hangzhou-rider", seconds=300)

    # --- The lobby: the code and QR read from the back; the join address; the warning -------
    screens.check(host, "lobby")
    code_box = host.locator("#host-code").bounding_box()
    qr_box = host.locator("#host-qr").bounding_box()
    assert code_box is not None
    assert qr_box is not None
    assert code_box["height"] >= MIN_CODE_PX, code_box
    assert min(qr_box["width"], qr_box["height"]) >= MIN_QR_PX, qr_box
    url = decode_qr(host, "#host-qr")
    assert url == host.locator("#join-url").inner_text().strip()
    assert url.endswith(f"/?room={code}")
    room = server.get(f"/api/rooms/{code}").json()
    assert room["join_url"] == url
    # This server listens on 127.0.0.1 (as every test server must): phones could not reach it,
    # and the host screen says so and what to do.
    assert is_loopback_host(urlsplit(url).hostname or "")
    assert room["join_problem"] == "bound_to_loopback"
    problem = host.locator("#join-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("HOST=0.0.0.0")
    expect(problem).to_contain_text("Wi-Fi")

    # --- Four phones: two from the QR link, one from the home page, one typing the code ------
    phones = [pages.phone() for _ in range(4)]
    a, b, c, d = phones
    join_from_link(a, code, "阿强")
    join_from_link(b, code, "小红")
    c.goto("/")
    c.locator("#join-code").fill(code)
    c.locator("#join-btn").click()
    expect(c.locator("#join-code")).to_be_hidden()  # the code is taken: the nickname is left
    c.locator("#nickname").fill("Lily")
    c.locator("#join-btn").click()
    expect(c.locator("#screen-lobby")).to_be_visible()
    d.goto("/play.html")
    join_typed(d, code, "老王")
    expect(host.locator("#host-count")).to_have_text("4 人已加入")
    expect(host.locator("#host-recent > li")).to_have_count(4)
    screens.check(host, "lobby")

    # A fifth joins and is removed from the player list.
    extra = pages.phone()
    join_from_link(extra, code, "捣乱")
    expect(host.locator("#host-count")).to_have_text("5 人已加入")
    host.locator("#host-players-btn").click()
    panel = host.locator("#host-players-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#host-players > li")).to_have_count(5)
    expect(panel.locator(".dot.on")).to_have_count(5, timeout=WAIT_MS)
    panel.locator("li", has_text="捣乱").locator(".kick-btn").click()
    expect(panel.locator("li.kicked")).to_have_count(1)
    expect(extra.locator("#screen-message")).to_be_visible()
    expect(host.locator("#host-count")).to_have_text("4 人已加入")
    host.locator("#host-players-close").click()
    expect(panel).to_be_hidden()

    # --- Round 1, a pool round: live bars and who is still choosing -----------------------
    host.locator("#host-pool").check()
    host.locator("#host-start").click()
    screens.check(host, "round")
    expect(host.locator("#join-strip #host-code")).to_have_text(code)
    expect(host.locator("#host-choosing")).to_contain_text("4")
    decide(a, pension="employee")
    expect(host.locator("#host-decided")).to_have_text("已有 1 / 4 人选好")
    expect(host.locator("#live-pension-bars > li").first).to_contain_text("1 · 100%")
    expect(host.locator("#host-choosing")).to_contain_text("还在选的：3 人")
    expect(host.locator("#host-choosing")).not_to_contain_text("阿强")
    screens.check(host, "round")
    for phone in (b, c, d):
        decide(phone)
    for phone in phones:
        wait_result(phone)

    # The pool: each phone's bills are its own result's bills; the host's total is their sum.
    screens.check(host, "pool")
    total = int(host.locator("#host-pool-total").get_attribute("data-total") or "-1")
    met = 0
    for phone in phones:
        expect(phone.locator("#pool-result")).to_be_visible()
        session = session_of(phone, code)
        stage, closed = session["cache"]["lastStage"], session["cache"]["lastClosed"]
        mine = closed["pool"]["losses"][session["player_id"]]
        assert mine == stage["ledger"]["bills"]
        listed = sum(e.get("bill", 0) for e in stage["events"] if e["type"] == "happening")
        assert abs(mine - listed) <= len(stage["events"])  # each event's bill rounded
        met += stage["ledger"]["bills"]
    assert total == met

    host.locator("#host-next").click()
    screens.check(host, "reveal")
    expect(host.locator("#host-defaulted")).to_contain_text("4 人中 4 人自己选了")
    host.locator("#host-next").click()
    screens.check(host, "board")
    expect(host.locator("#host-leaderboard > li")).to_have_count(4)

    # --- The other rounds, quickly --------------------------------------------------------
    while True:
        host.locator("#host-open-round").click()
        for phone in phones:
            next_round(phone)
        for phone in phones:
            decide(phone)
        for phone in phones:
            wait_result(phone)
        if host.locator("#stage[data-step=podium]").count():
            break
        expect(host.locator("#stage")).to_have_attribute("data-step", "reveal")
        screens.check(host, "reveal")

    # --- The end: podium, talking points, quiz (live), where to enrol, print ----------------
    screens.check(host, "podium")
    expect(host.locator("#podium li")).to_have_count(3)
    expect(host.locator("#debrief-stats")).to_contain_text("/ 4")
    host.locator("#host-next").click()
    screens.check(host, "talk")
    points = host.locator("#debrief-points > li")
    assert points.count() >= 3
    for i in range(points.count()):
        expect(points.nth(i).locator(".source")).to_contain_text("来源")
    expect(host.locator("[data-point=pension] .point-fact")).to_contain_text("4 个人里")
    host.locator("#host-next").click()
    screens.check(host, "quiz")
    after = host.locator("#debrief-quiz [data-phase=post]").first
    expect(after).to_contain_text("（0 人答）")
    to_end(a)
    a.locator("#post-q0-0").check()
    a.locator("#post-q0-submit").click()
    expect(after).to_contain_text("（1 人答）", timeout=12_000)  # no refresh pressed
    host.locator("#host-next").click()
    screens.check(host, "real")
    expect(host.locator("#debrief-real")).to_contain_text("12333")

    host.emulate_media(media="print")
    expect(host.locator("#print-summary")).to_be_visible()
    expect(host.locator("#stage")).to_be_hidden()
    pdf = host.pdf(format="A4")
    pages_in_pdf = re.findall(rb"/Type\s*/Page(?!s)", pdf)
    assert len(pages_in_pdf) == 1, f"the summary prints on {len(pages_in_pdf)} pages"
    host.emulate_media(media="screen")

    assert set(screens.seen) == {"lobby", "round", "pool", "reveal", "board", "podium", "talk",
                                 "quiz", "real"}  # fmt: skip


def test_the_lobby_scales_to_1920(pages: Pages) -> None:
    host = pages.context(viewport={"width": 1920, "height": 1080}).new_page()
    create_workshop(host)
    settle(host)

    # The lobby is drawn again as the room's state comes in (an element may be replaced just
    # as it is measured): measure the one on the page now, and again if it was replaced.
    def box_of(selector: str) -> dict[str, float]:
        for _ in range(50):
            box = host.locator(selector).bounding_box()
            if box is not None:
                return {
                    "x": box["x"],
                    "y": box["y"],
                    "width": box["width"],
                    "height": box["height"],
                }
            host.wait_for_timeout(100)
        raise AssertionError(f"{selector} is not on the page")

    expect(host.locator("#host-qr")).to_be_visible(timeout=10_000)
    assert box_of("#host-code")["height"] >= MIN_CODE_PX * 1.5
    assert box_of("#host-qr")["width"] >= MIN_QR_PX * 1.5
    assert host.evaluate("() => document.documentElement.scrollHeight") <= 1080


def test_qr_holds_the_lan_address(pages: Pages) -> None:
    """The same app, listening on every interface (``HOST=0.0.0.0``) and asked on loopback:
    the QR code holds this machine's LAN address, or — on a machine with loopback only — the
    loopback address (the host page then warns). The app runs in process: no server of a
    test may listen beyond 127.0.0.1."""
    settings = Settings(redis_url="redis://127.0.0.1:9", host="0.0.0.0", port=8000)
    app = create_app(settings)
    app.state.settings = settings  # no lifespan: the QR route needs the settings only

    async def fetch() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            return (await c.get("/api/qr.svg")).text

    # Its own thread: Playwright's sync API keeps this thread's event loop marked as running.
    with ThreadPoolExecutor(1) as pool:
        svg = pool.submit(asyncio.run, fetch()).result()
    # As the page's qr.js does: an SVG file (not inline in HTML) needs its namespace.
    svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    page = pages.projector()
    page.set_content(
        '<img id="qr" width="400" height="400" src="data:image/svg+xml;base64,'
        + base64.b64encode(svg.encode()).decode()
        + '">'
    )
    url = decode_qr(page, "#qr")
    candidates = lan_addresses()
    if candidates:
        assert url == f"http://{candidates[0]}:8000/"
        assert not is_loopback_host(urlsplit(url).hostname or "")
        print(f"the QR holds the LAN address {url}")
    else:  # a machine with loopback only: the QR keeps loopback and the room says why
        assert url == "http://127.0.0.1:8000/"
        print("this machine has loopback only: the QR holds the loopback address")


def test_the_room_in_english(pages: Pages) -> None:
    """English runs longer than Chinese: the steps of a round still fit, at 28 px."""
    host = pages.projector(locale="en-US")
    screens = Screens("-en")
    code = create_workshop(host, seconds=300)
    expect(host.locator("#stage-title")).to_have_text("Waiting for players")
    screens.check(host, "lobby")
    phones = [pages.phone(), pages.phone()]
    for phone, name in zip(phones, ("Ana", "Bo"), strict=True):
        phone.goto(f"/play.html?room={code}")
        join_typed(phone, code, name)
    host.locator("#host-pool").check()
    host.locator("#host-start").click()
    decide(phones[0], pension="employee")
    screens.check(host, "round")
    # Paused, and asking "end the game?": still one screen.
    host.locator("#host-pause").click()
    expect(host.locator("#host-countdown")).to_contain_text("Paused")
    screens.check(host, "round")
    host.locator("#host-resume-round").click()
    host.locator("#host-end").click()
    expect(host.locator("#host-end-confirm")).to_be_focused()
    screens.check(host, "round")
    host.locator("#host-end-cancel").click()
    decide(phones[1])
    for phone in phones:
        wait_result(phone)
    for step in ("pool", "reveal", "board"):
        screens.check(host, step)
        if step != "board":
            host.locator("#host-next").click()
