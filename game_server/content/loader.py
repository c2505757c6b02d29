"""Load and check scenario files (YAML) from ``scenarios/``.

A file that does not load or does not validate raises :class:`ScenarioError`, whose message names
the file and the field, so a trainer who writes a scenario can find the mistake.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from game_server.content.schema import Scenario, Sourced, Text

SCENARIO_SUFFIXES = (".yaml", ".yml")
DEFAULT_SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"


class ScenarioError(Exception):
    """A scenario file is missing, unreadable or invalid; the message names file and field."""


def load_scenario(path: Path) -> Scenario:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: the top level must be a mapping of fields")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{path}: {'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ScenarioError("\n".join(lines)) from exc
    if path.stem != scenario.id:
        raise ScenarioError(f"{path}: id: the id {scenario.id!r} must match the file name")
    return scenario


def scenario_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ScenarioError(f"{path}: no such file or folder")
    return sorted(p for p in path.iterdir() if p.suffix in SCENARIO_SUFFIXES)


def load_all(path: Path = DEFAULT_SCENARIO_DIR) -> dict[str, Scenario]:
    """Every scenario under ``path`` by id; all errors of all files in one exception."""
    scenarios: dict[str, Scenario] = {}
    errors: list[str] = []
    files = scenario_files(path)
    if not files:
        raise ScenarioError(f"{path}: no scenario files (*.yaml)")
    for file in files:
        try:
            scenario = load_scenario(file)
        except ScenarioError as exc:
            errors.append(str(exc))
            continue
        if scenario.id in scenarios:
            errors.append(f"{file}: id: {scenario.id!r} is used by another file")
        scenarios[scenario.id] = scenario
    if errors:
        raise ScenarioError("\n".join(errors))
    return scenarios


def iter_texts(scenario: Scenario) -> Iterable[tuple[str, Text]]:
    """Every Text in a scenario with its field path (for checks such as 'both languages')."""
    yield from _walk(scenario, "", Text)  # type: ignore[misc]


def iter_sourced(scenario: Scenario) -> Iterable[tuple[str, Sourced]]:
    """Every sourced number in a scenario with its field path."""
    yield from _walk(scenario, "", Sourced)  # type: ignore[misc]


def _walk(node: object, where: str, kind: type) -> Iterable[tuple[str, object]]:
    if isinstance(node, kind):
        yield where, node
    elif isinstance(node, tuple):
        for i, item in enumerate(node):
            yield from _walk(item, f"{where}[{i}]", kind)
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk(getattr(node, name), f"{where}.{name}" if where else name, kind)
