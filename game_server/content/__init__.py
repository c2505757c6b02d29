"""Scenario content: the schema (pydantic) and the loader for the data in ``scenarios/``."""

from game_server.content.loader import ScenarioError, load_all, load_scenario
from game_server.content.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_all", "load_scenario"]
