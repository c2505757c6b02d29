"""Measuring what a player has to read and scroll: every screen a life shows, how tall it is in
screen-heights (its full scroll height over the viewport's height) and how many characters of
text it shows (the visible text, white space left out).

The figures are taken in the page itself: ``document.documentElement.scrollHeight`` and the
``innerText`` of the body, which leaves out hidden elements, closed ``<details>`` and the
``sr-only`` live region (that text is spoken, not read).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Page

MEASURE = r"""() => {
  const doc = document.documentElement;
  const live = document.getElementById('live');
  const hiddenText = live ? live.innerText.replace(/\s+/g, '').length : 0;
  // A closed <select> shows its chosen option only (innerText holds them all), and the skip
  // link is off screen until focused.
  let unseen = 0;
  for (const sel of document.querySelectorAll('select')) {
    for (const o of sel.options) if (!o.selected) unseen += o.text.replace(/\s+/g, '').length;
  }
  const skip = document.querySelector('.skip-link');
  if (skip) unseen += skip.innerText.replace(/\s+/g, '').length;
  // The game's name is for screen readers only while a life is played (clipped to nothing).
  const name = document.querySelector('.in-life .brand > span:not(.brand-mark)');
  if (name) unseen += name.innerText.replace(/\s+/g, '').length;
  const text = document.body.innerText.replace(/\s+/g, '');
  return {
    height: doc.scrollHeight / window.innerHeight,
    scrolls: doc.scrollHeight > window.innerHeight + 1,
    chars: text.length - hiddenText - unseen,
    han: (text.match(/\p{Script=Han}/gu) || []).length,
    text: document.body.innerText,
  };
}"""

OPENED_TEXT = r"""() => {
  const closed = [...document.querySelectorAll('details:not([open])')];
  closed.forEach((d) => { d.open = true; });
  const text = document.body.innerText;
  closed.forEach((d) => { d.open = false; });
  return text;
}"""
"""The text on show with every ``<details>`` opened (the detail panels, sources, the ledger)."""


@dataclass
class Screen:
    name: str
    heights: float
    chars: int
    scrolls: bool
    text: str
    han: int = 0
    opened: str = ""
    """The text with every detail panel open."""


@dataclass
class ReadingLoad:
    """The screens of one life in the order the player saw them."""

    label: str
    screens: list[Screen] = field(default_factory=list)

    def see(self, page: Page, name: str) -> Screen:
        """Measure the screen on show now under ``name``."""
        got = page.evaluate(MEASURE)
        opened = str(page.evaluate(OPENED_TEXT))
        screen = Screen(name, float(got["height"]), int(got["chars"]), bool(got["scrolls"]),
                        str(got["text"]), int(got["han"]), opened)  # fmt: skip
        self.screens.append(screen)
        return screen

    @property
    def heights(self) -> float:
        return sum(s.heights for s in self.screens)

    @property
    def chars(self) -> int:
        return sum(s.chars for s in self.screens)

    @property
    def han(self) -> int:
        """Chinese characters alone."""
        return sum(s.han for s in self.screens)

    def minutes(self, chars_per_minute: int = 300) -> float:
        """Reading time at an ordinary pace for Chinese (about 300 characters a minute)."""
        return self.chars / chars_per_minute

    def report(self) -> str:
        rows = [f"{s.name:<28} {s.heights:5.1f} screens {s.chars:6d} chars" for s in self.screens]
        rows.append(
            f"{self.label}: {len(self.screens)} screens, {self.heights:.1f} screen-heights, "
            f"{self.chars} characters ({self.han} Chinese), about {self.minutes():.0f} min to read"
        )
        return "\n".join(rows)
