"""My plan, worked out by hand for the issue's four cases (and a few more), and the refusals.

Figures by hand, with the engine's rules: a flexible worker pays 20% of the base, 8% to the
account; basic pension = (average wage + indexed wage) / 2 × years × 1%; account pension =
balance / the months divisor for the age (国发〔2005〕38号); retirement ages and minimum years
from the 2024-09-13 decision."""

from __future__ import annotations

from typing import Any

import pytest

from game_server.content.loader import load_all
from game_server.service.plan import PlanError, make_plan, parse_request

SCENARIOS = load_all()


def plan(**fields: Any) -> dict[str, Any]:
    return make_plan(parse_request(fields), SCENARIOS, year=2026)


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in items]


def test_a_25_year_old_anhui_rider_in_hangzhou() -> None:
    p = plan(
        work_city="hangzhou",
        hukou_city="linquan",
        birth_year=2001,
        sex="male",
        years_paid=0,
        monthly_income=7000,
        work_kind="platform_rider",
    )
    # Born 2001: a man's age rises the full 36 months, 60 → 63, retiring in 2064; from 2039
    # the minimum is 20 years.
    assert p["retirement"] | {"source": ""} == p["retirement"] | {
        "age_years": 63, "age_months": 0, "pension_from_age": 63, "year": 2064,
        "minimum_years": 20.0, "already": False, "source": "",
    }  # fmt: skip
    assert p["years"]["at_retirement"] == 38
    # The lowest base is Zhejiang's floor, about 5,060 (an estimate); 20% of it = 1,012 a month.
    assert p["cost"]["base_monthly"] == 5060
    assert p["cost"]["pension_monthly"] == 1012
    # (8,433 + 5,060) / 2 × 38 × 1% = 2,563.7 (8,433: Zhejiang's formula wage, also its
    # average); 5,060 × 12 × 8% × 38 / 117 = 1,577.6.
    assert (p["pension"]["basic"], p["pension"]["account"], p["pension"]["monthly"]) == (
        2564,
        1578,
        4141,
    )
    assert p["cost"]["estimate"]
    assert p["pension"]["estimate"]
    assert ids(p["schemes"]) == [
        "employee_pension", "employee_medical", "residents_pension", "residents_medical",
        "injury_protection",
    ]  # fmt: skip
    pension = p["schemes"][0]
    assert pension["where"]["zh"] == "杭州"
    assert pension["monthly"] == 1012
    assert p["schemes"][2]["where"]["zh"].startswith("安徽临泉")
    assert ids(p["steps"])[0] == "register_flexible"
    assert "户口本" in "".join(d["zh"] for d in p["documents"])


def test_a_45_year_old_woman_in_beijing_with_8_years() -> None:
    p = plan(
        work_city="beijing",
        hukou_city="baoding-rural",
        birth_year=1981,
        sex="female",
        years_paid=8,
        monthly_income=6000,
        work_kind="domestic",
    )
    r = p["retirement"]
    # Women flexible workers: the 55 group; born mid-1981 is 138 months after January 1970,
    # 138 // 4 + 1 = 35 months later: 57 years 11 months, in June 2039, when the minimum is 20.
    assert (r["group"], r["age_years"], r["age_months"]) == ("female_55", 57, 11)
    assert (r["pension_from_age"], r["year"], r["minimum_years"]) == (57, 2039, 20.0)
    assert r["assumed_group"]
    # To the month: 8 + (57 11/12 − 45) = 20 11/12 years.
    assert p["years"] == {
        "paid": 8.0, "at_retirement": 20.92, "short_by": 0.0, "make_up_cost": 0,
    }  # fmt: skip
    # Base: Beijing's floor 7,162; 20% = 1,432.4 a month.
    assert p["cost"]["pension_monthly"] == 1432
    # (12,049 + 12,049 × 7,162 / 11,937) / 2 × 20 11/12 × 1% = 2,016.2 (12,049: Beijing's
    # formula wage); 7,162 × 0.96 × 20 11/12 / 158 (at 57) = 910.2.
    assert (p["pension"]["basic"], p["pension"]["account"]) == (2016, 910)


def test_a_dongguan_factory_worker_whose_employer_does_not_pay() -> None:
    p = plan(
        work_city="dongguan",
        hukou_city="chengdu",
        birth_year=1996,
        sex="male",
        years_paid=0,
        monthly_income=5500,
        work_kind="factory",
        employer_pays=False,
    )
    # The employer must insure them: that comes first, through 12333 or the inspectorate.
    assert ids(p["steps"])[0] == "ask_employer"
    assert p["steps"][0]["channel"] == "12333"
    assert ids(p["schemes"])[0] == "employer_insurance"
    assert "employee_pension" not in ids(p["schemes"])  # not sent to pay it all alone
    assert p["cost"]["pension_monthly"] is None  # the employee's share is on the pay slip
    assert "劳动合同" in "".join(d["zh"] for d in p["documents"])


def test_a_58_year_old_with_12_years() -> None:
    p = plan(
        work_city="chengdu",
        hukou_city="chengdu",
        birth_year=1968,
        sex="male",
        years_paid=12,
        monthly_income=4000,
        work_kind="flexible",
    )
    # Born mid-1968: 42 months after January 1965, 42 // 4 + 1 = 11 months: 60 years 11
    # months, in June 2029 (before 2030: 15 years); to the month 12 + 2 11/12 = 14 11/12 years,
    # one month short: made up at the floor, 1/12 × 12 × 4,588 × 20% = 917.6.
    r = p["retirement"]
    assert (r["age_years"], r["age_months"], r["pension_from_age"], r["year"]) == (60, 11, 60, 2029)
    assert r["minimum_years"] == 15.0
    assert p["years"]["at_retirement"] == 14.92
    assert p["years"]["short_by"] == 0.08
    assert p["years"]["make_up_cost"] == 918
    # (8,462 + 8,462 × 4,588 / 7,646) / 2 × 15 × 1% = 1,015.5 (8,462: Sichuan's formula wage);
    # 4,588 × 0.96 × 15 / 139 (at 60) = 475.3.
    assert (p["pension"]["basic"], p["pension"]["account"]) == (1015, 475)
    # Too late to gather 15 residents' years by 60: that scheme is not offered.
    assert "residents_pension" not in ids(p["schemes"])


def test_a_58_year_old_woman_is_past_her_age_and_must_complete_the_years() -> None:
    p = plan(
        work_city="chengdu",
        hukou_city="chengdu",
        birth_year=1968,
        sex="female",
        years_paid=12,
        monthly_income=4000,
        work_kind="flexible",
    )
    assert p["retirement"]["already"]
    assert p["retirement"]["age_years"] == 55
    assert p["years"]["short_by"] == 3
    # 3 years × 12 × 4,588 × 20% = 33,033.6 (Sichuan's floor, an estimate).
    assert p["years"]["make_up_cost"] == 33034
    assert "complete_years" in ids(p["steps"])


def test_one_year_paid_gives_no_monthly_pension_without_paying_on() -> None:
    p = plan(
        work_city="chengdu",
        hukou_city="chengdu",
        birth_year=1967,
        sex="male",
        years_paid=1,
        monthly_income=4000,
        work_kind="flexible",
    )
    # Retires at 60 years 8 months in 2028: 59 now, so 1 + 1 8/12 = 2 8/12 years, 12 4/12 short.
    assert p["years"]["at_retirement"] == 2.67
    assert p["years"]["short_by"] == 12.33
    assert "complete_years" in ids(p["steps"])


def test_a_place_in_no_scenario_gets_the_national_rules_marked_as_estimates() -> None:
    p = plan(
        work_city="other",
        hukou_city="other",
        birth_year=1990,
        sex="male",
        years_paid=5,
        monthly_income=8000,
        work_kind="platform_driver",
        local_average_wage=12000,
    )
    assert p["place"]["estimate"]
    assert p["cost"]["estimate"]
    assert p["cost"]["base_monthly"] == 7200
    assert p["cost"]["pension_monthly"] == 1440


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"birth_year": 2020}, "plan/bad_birth_year", "birth_year"),
        ({"years_paid": 20}, "plan/too_many_years", "years_paid"),
        ({"base_pct": 50}, "plan/bad_base", "base_pct"),
        ({"work_city": "other"}, "plan/need_average_wage", "local_average_wage"),
        ({"work_city": "shanghai"}, "plan/unknown_city", "work_city"),
        ({"hukou_city": "nowhere"}, "plan/unknown_city", "hukou_city"),
        ({"sex": None}, "plan/invalid", "sex"),
        ({"years_paid": -1}, "plan/invalid", "years_paid"),
        ({"work_kind": "astronaut"}, "plan/invalid", "work_kind"),
    ],
)
def test_bad_inputs_are_refused_with_a_reason(
    change: dict[str, Any], code: str, field: str
) -> None:
    fields: dict[str, Any] = {
        "work_city": "hangzhou", "hukou_city": "linquan", "birth_year": 2001, "sex": "male",
        "years_paid": 0, "monthly_income": 7000, "work_kind": "platform_rider",
    }  # fmt: skip
    fields.update(change)
    with pytest.raises(PlanError) as caught:
        plan(**fields)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert caught.value.zh
    assert caught.value.en


def test_a_missing_field_is_named() -> None:
    with pytest.raises(PlanError) as caught:
        make_plan(parse_request({"work_city": "hangzhou"}), SCENARIOS)
    assert caught.value.code == "plan/missing"
    assert "“" in caught.value.zh
