"""What the browser tests share: the Chromium to launch, browser contexts that keep a record of
every request and page error, and the steps of the game as a person does them (host a room,
join it, decide, move on).

Everything here uses Playwright's sync API on the real web client served by a real server
process (``ServerProcess`` from ``tests/e2e/e2e_support.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from e2e.e2e_support import ServerProcess
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="gig-shots-"))
"""Where the page tours' pictures go: a temporary folder, so that ``make test`` leaves the work
tree as it found it; ``make screenshots`` sets ``SCREENSHOTS_DIR=docs/screenshots``."""

WAIT_MS = 15_000
"""How long a step may take (a round closes 0.2 s after the last decision; the server and the
browser share two cores with the other pages)."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

PHONE: ViewportSize = {"width": 360, "height": 640}
DESKTOP: ViewportSize = {"width": 1280, "height": 720}

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"http", "https", "ws", "wss"}
INLINE_SCHEMES = {"data", "blob"}


class StartServer(Protocol):
    """``start_server(instance_id, extra_env)``, the conftest's session fixture."""

    def __call__(
        self, instance_id: str, extra_env: dict[str, str] | None = None
    ) -> ServerProcess: ...


ESTIMATE_OR_ZERO = re.compile(r"^\s*(?:[约≈].*\d.*|¥0|0 元)\s*$")
"""A sum shown as an estimate (约 1,234 元, ≈¥1,234), or an exact zero."""
ROUND_TITLE = re.compile(r"第\s*(\d+)\s*轮（共\s*(\d+)\s*轮）|Round (\d+) of (\d+)")


def chromium_executable() -> str | None:
    """``$CHROMIUM``, else the system's Chromium, else ``None`` (Playwright's own download)."""
    for candidate in (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def is_local(url: str) -> bool:
    """A URL that stays on this machine (the test server), or inline data."""
    parts = urlsplit(url)
    if parts.scheme in INLINE_SCHEMES:
        return True
    return parts.scheme in LOCAL_SCHEMES and (parts.hostname or "") in LOCAL_HOSTS


# --- Contexts that keep a record ----------------------------------------------------------


@dataclass
class Record:
    """What the pages of one test asked for and what went wrong in them."""

    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return self.requests + self.websockets

    def foreign(self) -> list[str]:
        return [u for u in self.urls if not is_local(u)]

    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]


class Pages:
    """Makes browser contexts for one test (phones and a projector) and closes them after."""

    def __init__(self, browser: Browser, base_url: str, record: Record) -> None:
        self.browser = browser
        self.base_url = base_url
        self.record = record
        self.contexts: list[BrowserContext] = []
        self.opened = 0

    def context(self, **options: Any) -> BrowserContext:
        options.setdefault("locale", "zh-CN")
        options.setdefault("base_url", self.base_url)
        options.setdefault("service_workers", "block")
        ctx = self.browser.new_context(**options)
        ctx.set_default_timeout(WAIT_MS)
        ctx.on("request", lambda request: self.record.requests.append(request.url))
        ctx.on("page", self._watch)
        self.contexts.append(ctx)
        return ctx

    def _watch(self, page: Page) -> None:
        self.opened += 1
        name = f"page {self.opened}"
        page.on("websocket", lambda ws: self.record.websockets.append(ws.url))
        page.on("pageerror", lambda exc: self.record.page_errors.append(f"{page.url}: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.record.console_errors.append(f"{name} {page.url}: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )

    def phone(self, scale: float = 2, **options: Any) -> Page:
        """A phone: 360×640 CSS pixels, touch, a mobile viewport."""
        ctx = self.context(
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            device_scale_factor=scale,
            **options,
        )
        return ctx.new_page()

    def projector(self, **options: Any) -> Page:
        """The host's big screen: 1280×720."""
        return self.context(viewport=DESKTOP, **options).new_page()

    def close(self) -> None:
        for ctx in self.contexts:
            with contextlib.suppress(Exception):  # a context a test closed itself
                ctx.close()
        self.contexts.clear()


# --- Waiting -------------------------------------------------------------------------------


def settle(page: Page) -> None:
    """Wait until the page's finite animations (the reveal of events) have finished."""
    page.evaluate(
        """() => Promise.race([
            Promise.all(document.getAnimations()
              .filter((a) => a.effect && a.effect.getTiming().iterations !== Infinity)
              .map((a) => a.finished.catch(() => null))),
            new Promise((r) => setTimeout(r, 3000)),
        ])"""
    )


def visible_screen(page: Page) -> str:
    """The id of the player's visible screen (``screen-round`` …)."""
    return str(
        page.evaluate(
            "() => [...document.querySelectorAll('main > section.screen')]"
            ".filter((s) => !s.hidden).map((s) => s.id).join(',')"
        )
    )


def session_of(page: Page, code: str) -> dict[str, Any]:
    """The player's session as the page keeps it in localStorage."""
    raw = page.evaluate("(k) => localStorage.getItem(k)", f"gl.room.{code}")
    assert raw, f"no session gl.room.{code} in localStorage"
    session: dict[str, Any] = json.loads(raw)
    return session


# --- The host --------------------------------------------------------------------------------


def create_workshop(host: Page, scenario: str = "hangzhou-rider", seconds: int = 60) -> str:
    """On ``host.html``: pick the scenario and the round length, create; returns the code."""
    host.goto("/host.html")
    radio = host.locator(f"#host-scenario-{scenario}")
    radio.check()
    host.locator("#host-seconds").select_option(str(seconds))
    host.locator("#host-create").click()
    code = host.locator("#host-code")
    expect(code).to_have_text(re.compile(r"^\d{6}$"), timeout=WAIT_MS)
    expect(host.locator("#host-start")).to_be_visible()
    return code.inner_text().strip()


def host_open_round(host: Page, pool: bool = False) -> None:
    """Open the next round (a risk-pool round with ``pool``)."""
    button = host.locator("#host-open-round")
    expect(button).to_be_enabled(timeout=WAIT_MS)
    if pool:
        host.locator("#host-pool").check()
    button.click()
    expect(host.locator("#host-close-round")).to_be_visible(timeout=WAIT_MS)


# --- The player ------------------------------------------------------------------------------


def join_typed(page: Page, code: str, nickname: str | None) -> str:
    """On the player page: type the code (unless the page came from the room's link, which
    asks for the nickname only), and the nickname; join; returns the nickname."""
    field = page.locator("#join-code")
    if field.get_attribute("type") == "hidden":
        expect(field).to_have_value(code)
    else:
        field.fill(code)
    nick = page.locator("#nickname")
    if nickname is not None:
        nick.fill(nickname)
    name = nick.input_value()
    page.locator("#join-btn").click()
    expect(page.locator("#screen-lobby")).to_be_visible(timeout=WAIT_MS)
    return name


def round_title(page: Page) -> tuple[int, int]:
    """(round number from 1, rounds) from ``#round-title``."""
    text = page.locator("#round-title").inner_text()
    m = ROUND_TITLE.search(text)
    assert m, f"round title {text!r}"
    n, total = m.group(1) or m.group(3), m.group(2) or m.group(4)
    return int(n), int(total)


def decide(page: Page, pension: str | None = None) -> None:
    """On the round screen: keep everything, or (round 1, or ``pension`` given) go through the
    decision cards, tapping "none" where a card still needs an answer, then submit."""
    form = page.locator("#decision-form")
    expect(form).to_be_visible(timeout=WAIT_MS)
    if form.get_attribute("data-step") == "keep":
        if pension is None:
            page.locator("#decide-btn").click()
            return
        page.locator("#edit-btn").click()
    walk_cards(page, {"pension": pension} if pension else {})
    page.locator("#decide-btn").click()


UNANSWERED = {"pension": "#pension-none", "medical": "#medical-none", "injury": "#accident-no"}
"""What a tap-through player taps on a card that needs an explicit answer."""


def walk_cards(
    page: Page, picks: dict[str, str], on_card: Callable[[str], None] | None = None
) -> None:
    """Through the decision cards up to the last one (its ``#decide-btn`` in view): on each
    card, ``picks[step]`` is the value to choose (``pension: "employee"`` checks
    ``#pension-employee``), else "none" where an answer is needed; ``on_card(step)`` is called
    on each card as it shows."""
    form = page.locator("#decision-form")
    while True:
        step = form.get_attribute("data-step") or ""
        if on_card is not None:
            on_card(step)
        radio_name = {"injury": "accident", "work": "job"}.get(step, step)
        if step in picks:
            radio = page.locator(f"#{radio_name}-{picks[step]}")
            if radio.count() and radio.is_enabled():
                radio.check()
        elif step in UNANSWERED and not form.locator("input[type=radio]:checked").count():
            page.locator(UNANSWERED[step]).check()
        if page.locator("#decide-btn").count():
            return
        page.locator("#next-step").click()
        expect(form).not_to_have_attribute("data-step", step)


def wait_result(page: Page) -> None:
    """What happened in the round that just closed is on the screen."""
    expect(page.locator("#screen-result")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#event-list")).to_be_visible()
    expect(page.locator("#event-list > li").first).to_be_attached()


def next_round(page: Page) -> None:
    """On the result screen: the next round is open; go to it."""
    button = page.locator("#next-btn")
    expect(button).to_be_enabled(timeout=WAIT_MS)
    button.click()
    expect(page.locator("#screen-round")).to_be_visible(timeout=WAIT_MS)


def to_end(page: Page) -> None:
    """On the last result: "see my whole life" and the end screen."""
    button = page.locator("#next-btn")
    expect(button).to_have_text(re.compile("看看我的一生|See my whole life"), timeout=WAIT_MS)
    expect(button).to_be_enabled()
    button.click()
    expect(page.locator("#screen-end")).to_be_visible(timeout=WAIT_MS)


def check_end_screen(page: Page) -> dict[str, str]:
    """The end of a life: score, badges, the counterfactual and the "do it for real" cards.
    Returns the counterfactual's scores by column."""
    score = page.locator("#final-score")
    expect(score).to_be_visible()
    expect(score.locator(".big-number")).to_have_text(re.compile(r"^\s*[\d,]+\s*/\s*1000\s*$"))
    expect(page.locator("#score-parts > li")).to_have_count(4)
    expect(page.locator("#badges")).to_be_visible()
    expect(page.locator("#decided-by")).to_be_visible()
    cf = page.locator("#counterfactual")
    expect(cf).to_be_visible()
    scores = {}
    for col in ("actual", "insured", "uninsured"):
        for metric in ("score", "pension", "oop", "paid", "savings"):
            cell = cf.locator(f"[data-testid=cf-{col}-{metric}]")
            expect(cell).to_have_text(re.compile(r"\d"))
            if metric != "score":
                # Sums computed from estimates are shown as estimates (约 / ≈), zero excepted.
                expect(cell).to_have_text(ESTIMATE_OR_ZERO)
        scores[col] = cf.locator(f"[data-testid=cf-{col}-score]").inner_text()
    # The table fits the screen whatever its sums (it once widened a 360 px page).
    right = cf.locator("table").evaluate("(t) => t.getBoundingClientRect().right")
    assert right <= page.evaluate("document.documentElement.clientWidth") + 0.5, right
    rw = page.locator("#real-world")
    expect(rw).to_be_visible()
    assert rw.locator("[data-testid^=rw-]").count() >= 2
    expect(rw).to_contain_text(re.compile("12333|电子社保卡|社会保障卡|social security card"))
    return scores


def lines(items: Iterator[str] | list[str]) -> str:
    return "\n  ".join(items)
