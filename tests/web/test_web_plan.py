"""My plan over HTTP on the real server: ``POST /api/plan`` answers with a plan or a typed
error, stores nothing (no-store), and the guide's form shows it in the page."""

from __future__ import annotations

import httpx
from e2e.e2e_support import ServerProcess
from playwright.sync_api import expect
from web.web_support import Pages

RIDER = {
    "work_city": "hangzhou",
    "hukou_city": "linquan",
    "birth_year": 2001,
    "sex": "male",
    "years_paid": 0,
    "monthly_income": 7000,
    "work_kind": "platform_rider",
}


def test_plan_endpoint(server: ServerProcess) -> None:
    got = httpx.post(server.http_url + "/api/plan", json=RIDER, timeout=10)
    assert got.status_code == 200
    assert got.headers["cache-control"] == "no-store"
    assert got.json()["pension"]["monthly"] == 4141
    bad = httpx.post(server.http_url + "/api/plan", json=RIDER | {"years_paid": 30}, timeout=10)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "plan/too_many_years"
    assert bad.json()["error"]["message"]["zh"]
    junk = httpx.post(server.http_url + "/api/plan", content=b"not json", timeout=10)
    assert junk.status_code == 422
    assert junk.json()["error"]["code"] == "plan/invalid"


def test_plan_in_the_guide(pages: Pages) -> None:
    page = pages.phone()
    page.goto("/guide.html#plan")
    expect(page.locator("#plan-form")).to_be_visible()
    page.locator("#plan-work").select_option("hangzhou")
    page.locator("#plan-hukou").select_option("linquan")
    page.locator("#plan-birth").fill("2001")
    page.locator("#plan-years").fill("0")
    page.locator("#plan-income").fill("7000")
    page.locator("#plan-kind").select_option("platform_rider")
    page.locator("#plan-go").click()
    expect(page.locator("#plan-pension")).to_contain_text("约4,141 元")
    expect(page.locator("#plan-retire")).to_contain_text("63岁（2064年）起领")
    expect(page.locator("#plan-schemes")).to_contain_text("杭州")
    # An impossible input: refused, with the reason beside the field.
    page.locator("#plan-years").fill("30")
    page.locator("#plan-go").click()
    expect(page.locator("#plan-years-error")).to_contain_text("最多交了9年")
    expect(page.locator("#plan-result")).to_have_count(0)


def test_guide_texts_are_the_chosen_places_own(pages: Pages) -> None:
    """No raw catalogue key, and no other scenario's city in the steps for a place."""
    page = pages.phone()
    page.goto("/guide.html")
    place = page.locator("#guide-place")
    expect(place).to_be_visible()
    for value in place.locator("option").evaluate_all("(os) => os.map((o) => o.value)"):
        place.select_option(value)
        text = page.locator("#schemes").inner_text()
        assert "g.how" not in text, value
        if value.startswith("hangzhou-rider|hangzhou"):
            assert "河北" not in text
            assert "北京" not in text


def test_guide_calculator_follows_the_cohort_and_refuses_too_few_years(pages: Pages) -> None:
    page = pages.phone()
    page.goto("/guide.html#calc")
    expect(page.locator("#calc-pension")).to_be_visible()
    # Born 1990, a man: 63, and from 2039 at least 20 years.
    expect(page.locator("#calc-result")).to_contain_text("63岁退休")
    page.locator("#calc-years").fill("1")
    page.locator("#calc-btn").click()
    expect(page.locator("#calc-refusal")).to_contain_text("交 1 年拿不到按月的职工养老金")
    expect(page.locator("#calc-refusal")).to_contain_text("最少要交 20 年")
    expect(page.locator("#calc-pension")).to_have_count(0)
    # A woman born mid-1975 (a flexible worker, the 55 group): 66 months after January 1970,
    # 66 // 4 + 1 = 17 months later, 56 years 5 months, in December 2031: at least 16 years.
    page.locator("#calc-sex").select_option("female")
    page.locator("#calc-birth").fill("1975")
    page.locator("#calc-years").fill("17")
    page.locator("#calc-btn").click()
    expect(page.locator("#calc-result")).to_contain_text("交 17 年，56岁5个月退休")
    page.locator("#calc-years").fill("15")
    page.locator("#calc-btn").click()
    expect(page.locator("#calc-refusal")).to_contain_text("最少要交 16 年")


def test_retirement_endpoint(server: ServerProcess) -> None:
    got = httpx.get(server.http_url + "/api/retirement?sex=male&birth_year=1968", timeout=10)
    assert (got.json()["age_years"], got.json()["age_months"]) == (60, 11)
    assert got.json()["pension_from_age"] == 60
    assert got.json()["minimum_years"] == 15
    bad = httpx.get(server.http_url + "/api/retirement?sex=male&birth_year=2020", timeout=10)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "plan/bad_birth_year"
