"""The end screen's timeline chart: one scale (the savings, in 元, on the left: no second scale
for health), and the life's big events and the retirement marked on the line with short labels
that do not overlap, said again in words under the chart and in the chart's accessible name."""

from __future__ import annotations

from playwright.sync_api import expect
from web.player_life import live_a_life
from web.web_support import Pages

CHART = r"""() => {
  const chart = document.getElementById('chart');
  const vb = chart.viewBox.baseVal;
  const axis = chart.querySelector('[data-testid=chart-axis]');
  const axisX = [...axis.querySelectorAll('text')].map((t) => t.getAttribute('x'));
  // Every tick label that is not an age (the bottom row) must belong to the one money axis.
  const ticks = [...chart.querySelectorAll('text.tick')];
  const bottom = Math.max(...ticks.map((t) => +t.getAttribute('y')));
  const stray = ticks
    .filter((t) => +t.getAttribute('y') < bottom && !axis.contains(t)).map((t) => t.textContent);
  const events = [...chart.querySelectorAll('[data-testid=chart-event]')].map((g) => {
    const box = g.querySelector('.event-label').getBoundingClientRect();
    return {
      kinds: g.dataset.kinds.split(' '), age: +g.dataset.age,
      label: g.querySelector('.event-label').textContent,
      title: g.querySelector('title').textContent,
      box: [box.left, box.top, box.right, box.bottom],
    };
  });
  return {
    width: vb.width, axisX, stray, events,
    name: chart.getAttribute('aria-label'),
    words: [...document.querySelectorAll('#chart-events li')].map((li) => li.textContent),
  };
}"""


def test_chart_one_scale_and_labelled_events(pages: Pages) -> None:
    phone = pages.phone()
    # Uninsured, full time, tapping through: big bills come, and a retirement at 63.
    live_a_life(phone, "shenzhen-driver", {})
    phone.locator("#timeline > summary").click()
    expect(phone.locator("#chart")).to_be_visible()
    got = phone.evaluate(CHART)

    # One scale: the money axis has its labels in one column on the left, nothing else.
    assert len(got["axisX"]) >= 3, got
    assert len(set(got["axisX"])) == 1, got
    assert float(got["axisX"][0]) < got["width"] / 4, got
    assert not got["stray"], got["stray"]
    expect(phone.locator("#chart .tick-health")).to_have_count(0)

    # The events on the line: the retirement and at least one big event, each labelled.
    # (one mark per age: two things at one age share it, their labels together).
    events = got["events"]
    kinds = [k for e in events for k in e["kinds"]]
    assert "retired" in kinds, events
    assert any(k != "retired" for k in kinds), events
    retired = next(e for e in events if "retired" in e["kinds"])
    assert "退休" in retired["label"], retired
    assert retired["age"] == 63, retired
    assert len({e["age"] for e in events}) == len(events), events
    for e in events:
        # A short label per event: two characters each, with a mark between.
        assert len(e["label"]) <= 3 * len(e["kinds"]), e
        assert e["title"].count("岁") == len(e["kinds"]), e
    # No label drawn over another.
    boxes = [e["box"] for e in events]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b, events)

    # The text alternative: the same events in words, in the list under the chart and in the
    # chart's accessible name.
    assert len(got["words"]) == len(kinds), got
    assert sorted({int(w.split("岁")[0]) for w in got["words"]}) == [e["age"] for e in events]
    assert "63岁 退休" in got["words"], got["words"]
    for w in got["words"]:
        assert w in got["name"], (w, got["name"])
