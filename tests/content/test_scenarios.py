"""The scenario files: they load, they are complete and bilingual, every number has a source;
and a broken file is refused with a message that names the file and the field."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from game_server.content.loader import (
    DEFAULT_SCENARIO_DIR,
    SCENARIO_SUFFIXES,
    ScenarioError,
    iter_sourced,
    iter_texts,
    load_all,
    load_scenario,
)
from game_server.content.schema import REQUIRED_EVENT_KINDS, EventKind, Scenario, Sourced, Text

SCENARIO_FILES = sorted(p for p in DEFAULT_SCENARIO_DIR.iterdir() if p.suffix in SCENARIO_SUFFIXES)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
BASE_FILE = DEFAULT_SCENARIO_DIR / "hangzhou-rider.yaml"


# --- The real scenarios --------------------------------------------------------------------------


def test_there_are_at_least_four_scenarios(scenarios: dict[str, Scenario]) -> None:
    assert len(SCENARIO_FILES) >= 4
    assert len(scenarios) == len(SCENARIO_FILES) >= 4


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_each_scenario_file_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.id == path.stem


def test_every_text_is_bilingual(scenario: Scenario) -> None:
    texts = list(iter_texts(scenario))
    assert texts
    for where, text in texts:
        assert text.zh.strip(), where
        assert text.en.strip(), where
        assert CJK.search(text.zh), f"{scenario.id} {where}: no Chinese in {text.zh!r}"


def test_every_number_has_a_source(scenario: Scenario) -> None:
    sourced = list(iter_sourced(scenario))
    assert sourced
    for where, value in sourced:
        assert value.source.strip(), where
        assert len(value.source.strip()) >= 3, where


def test_every_news_quiz_and_card_has_a_source(scenario: Scenario) -> None:
    for news in scenario.news:
        assert news.source.strip(), news.id
    for question in scenario.quiz:
        assert question.source.strip(), question.id
    for card in scenario.real_world:
        assert card.source.strip(), card.id
    assert scenario.persona.retirement_group_source.strip()
    for city in scenario.cities:
        assert city.residents_pension_tiers_source.strip(), city.id


def test_quiz_has_at_least_three_questions(scenario: Scenario) -> None:
    assert len(scenario.quiz) >= 3
    for q in scenario.quiz:
        assert 0 <= q.answer < len(q.options)


def test_every_event_kind_is_there(scenario: Scenario) -> None:
    kinds = {e.kind for e in scenario.events}
    assert kinds == set(EventKind)
    assert len(kinds) == 7


def test_references_resolve(scenario: Scenario) -> None:
    city_ids = {c.id for c in scenario.cities}
    assert scenario.persona.hukou_city in city_ids
    assert all(job.city in city_ids for job in scenario.jobs)
    assert scenario.defaults.job in {j.id for j in scenario.jobs}


# --- Broken files ---------------------------------------------------------------------------------


def _raw() -> dict[str, Any]:
    data = yaml.safe_load(BASE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: object, name: str | None = None) -> Path:
    path = tmp_path / (name or BASE_FILE.name)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _drop_birth_year(d: dict[str, Any]) -> None:
    del d["persona"]["birth_year"]


def _unknown_city(d: dict[str, Any]) -> None:
    d["jobs"][0]["city"] = "atlantis"


def _no_source(d: dict[str, Any]) -> None:
    del d["cities"][0]["average_wage_monthly"]["source"]


def _blank_source(d: dict[str, Any]) -> None:
    d["jobs"][1]["monthly_income_full_time"]["source"] = "  "


def _typo(d: dict[str, Any]) -> None:
    d["persona"]["nmae"] = d["persona"].pop("name")


def _missing_kind(d: dict[str, Any]) -> None:
    d["events"] = [e for e in d["events"] if e["kind"] != "windfall"]


def _rate_above_one(d: dict[str, Any]) -> None:
    d["cities"][0]["residents_medical"]["inpatient_rate"]["value"] = 1.5


def _answer_out_of_range(d: dict[str, Any]) -> None:
    d["quiz"][1]["answer"] = 9


def _empty_zh(d: dict[str, Any]) -> None:
    d["title"]["zh"] = "   "


def _two_quiz_questions(d: dict[str, Any]) -> None:
    d["quiz"] = d["quiz"][:2]


def _unknown_default_job(d: dict[str, Any]) -> None:
    d["defaults"]["job"] = "astronaut"


BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, ...]]] = [
    ("missing field", _drop_birth_year, ("persona.birth_year",)),
    ("job in an unknown city", _unknown_city, ("jobs.", ".city", "atlantis")),
    ("Sourced without source", _no_source, ("cities.0.average_wage_monthly.source",)),
    ("blank source", _blank_source, ("jobs.1.monthly_income_full_time.source",)),
    ("misspelt field", _typo, ("persona.nmae",)),
    ("an event kind missing", _missing_kind, ("events", "windfall")),
    ("rate above 1", _rate_above_one, ("cities.0.residents_medical", "inpatient_rate")),
    ("answer not an option", _answer_out_of_range, ("quiz.1",)),
    ("empty Chinese text", _empty_zh, ("title.zh",)),
    ("two quiz questions", _two_quiz_questions, ("quiz",)),
    ("unknown default job", _unknown_default_job, ("defaults.job", "astronaut")),
]


@pytest.mark.parametrize(
    ("breaking", "expected"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_scenario_names_file_and_field(
    tmp_path: Path, breaking: Callable[[dict[str, Any]], None], expected: tuple[str, ...]
) -> None:
    data = _raw()
    assert load_scenario(_write(tmp_path, data)).id == data["id"]  # the copy itself is fine
    breaking(data)
    path = _write(tmp_path, data)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in expected:
        assert fragment in message, message


def test_invalid_yaml_names_the_file_and_the_place(tmp_path: Path) -> None:
    path = tmp_path / "hangzhou-rider.yaml"
    path.write_text("id: hangzhou-rider\ntitle: [unclosed\n  zh: x\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML") as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)
    assert "line" in str(caught.value)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, ["a", "list"])
    with pytest.raises(ScenarioError, match="top level") as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)


def test_id_must_match_the_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, _raw(), name="some-other-name.yaml")
    with pytest.raises(ScenarioError, match="id") as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)
    assert "hangzhou-rider" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ScenarioError, match="cannot read") as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)


def test_load_all_reports_every_broken_file(tmp_path: Path) -> None:
    good = _write(tmp_path, _raw())
    broken = _raw()
    broken["id"] = "broken-one"
    del broken["quiz"]
    bad = _write(tmp_path, broken, name="broken-one.yaml")
    also = tmp_path / "broken-two.yml"
    also.write_text("{not: [valid\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_all(tmp_path)
    message = str(caught.value)
    assert str(bad) in message
    assert "quiz" in message
    assert str(also) in message
    assert str(good) not in message
    assert "notes.txt" not in message
    # without the broken files the folder loads
    bad.unlink()
    also.unlink()
    assert set(load_all(tmp_path)) == {"hangzhou-rider"}


def test_load_all_refuses_a_duplicate_id(tmp_path: Path) -> None:
    _write(tmp_path, _raw(), name="hangzhou-rider.yaml")
    _write(tmp_path, _raw(), name="hangzhou-rider.yml")
    with pytest.raises(ScenarioError, match="used by another file"):
        load_all(tmp_path)


def test_load_all_of_an_empty_or_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no scenario files"):
        load_all(tmp_path)
    with pytest.raises(ScenarioError, match="no such file or folder"):
        load_all(tmp_path / "missing")


# --- Walking the values ---------------------------------------------------------------------------


def test_iter_sourced_finds_nested_values(scenarios: dict[str, Scenario]) -> None:
    sc = scenarios["hangzhou-rider"]
    found = dict(iter_sourced(sc))
    assert found["persona.household_size"] is sc.persona.household_size
    city = sc.cities[0]
    assert found["cities[0].residents_medical.annual_cap"] is city.residents_medical.annual_cap
    assert (
        found["cities[0].employee_medical.inpatient_rate"] is city.employee_medical.inpatient_rate
    )
    assert found["commercial_accident_insurance.premium_yearly"] is (
        sc.commercial_accident_insurance.premium_yearly
    )
    for i, event in enumerate(sc.events):
        assert found[f"events[{i}].chance_per_year"] is event.chance_per_year
        assert (f"events[{i}].cost" in found) is (event.cost is not None)
    for i, job in enumerate(sc.jobs):
        pilot = f"jobs[{i}].injury_pilot_from_year"
        assert (pilot in found) is (job.injury_pilot_from_year is not None)
    assert all(isinstance(v, Sourced) for v in found.values())


def test_iter_sourced_finds_them_all(scenario: Scenario) -> None:
    # By hand from the schema: persona.household_size; per city 4 money figures, the minimum
    # living standard, the residents' premium, 3 × 2 medical plan figures, 3 critical-illness
    # and 2 medical-assistance figures, the employees' medical rate and years, the residents'
    # basic pension (20), the optional formula wage and the optional hukou limit; per job income,
    # risk and spread, and the optional pilot year; 3 for accident insurance; per event the
    # chance and the optional cost.
    expected = 1 + 3
    expected += sum(
        20 + (c.pension_formula_wage_monthly is not None) + (c.hukou_limit_lifted_year is not None)
        for c in scenario.cities
    )
    expected += sum(3 + (j.injury_pilot_from_year is not None) for j in scenario.jobs)
    expected += sum(1 + (e.cost is not None) for e in scenario.events)
    paths = [p for p, _ in iter_sourced(scenario)]
    assert len(paths) == expected
    assert len(set(paths)) == len(paths)


def test_iter_texts_finds_them_all(scenario: Scenario) -> None:
    # title, teaches, persona name and story (4); per city name and province; per job name and
    # description; per event and news title and story; per quiz question, options and
    # explanation; per card title and steps.
    expected = 4 + 2 * len(scenario.cities) + 2 * len(scenario.jobs)
    expected += 2 * len(scenario.events) + 2 * len(scenario.news)
    expected += sum(2 + len(q.options) for q in scenario.quiz)
    expected += 2 * len(scenario.real_world)
    found = dict(iter_texts(scenario))
    assert len(found) == expected
    assert found["title"] is scenario.title
    assert found["persona.story"] is scenario.persona.story
    assert found["quiz[0].options[1]"] is scenario.quiz[0].options[1]
    assert found[f"events[{len(scenario.events) - 1}].title"] is scenario.events[-1].title
    assert all(isinstance(t, Text) for t in found.values())


def test_required_kinds_are_all_kinds() -> None:
    assert frozenset(EventKind) == REQUIRED_EVENT_KINDS
