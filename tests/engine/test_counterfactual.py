"""The counterfactual twins: the same answer whether replayed, found to be the life itself, or
taken from the cache of a room's lives."""

from __future__ import annotations

from dataclasses import replace

from game_server.content.loader import load_all
from game_server.engine import counterfactual, default_decisions, play_through
from game_server.engine.counterfactual import TwinKey, replay_with, uninsured
from game_server.engine.decisions import MedicalChoice
from game_server.engine.scoring import LifeSummary, summarize

SCENARIO = load_all()["hangzhou-rider"]


def test_a_life_without_cover_is_its_own_uninsured_twin() -> None:
    bare = play_through(
        SCENARIO,
        11,
        lambda st: uninsured(default_decisions(SCENARIO, st), st.stages[st.round].phase),
    )
    cf = counterfactual(SCENARIO, bare)
    assert cf.uninsured == cf.actual
    assert cf.uninsured == summarize(SCENARIO, replay_with(SCENARIO, bare, uninsured))


def test_lives_alike_share_their_twins_and_the_shared_answer_is_each_ones_own() -> None:
    twins: dict[TwinKey, LifeSummary] = {}
    one = play_through(SCENARIO, 5, lambda st: default_decisions(SCENARIO, st))
    other = play_through(
        SCENARIO,
        5,
        lambda st: replace(default_decisions(SCENARIO, st), medical=MedicalChoice.RESIDENTS),
    )
    first = counterfactual(SCENARIO, one, twins)
    insured_twins = set(twins)
    second = counterfactual(SCENARIO, other, twins)
    # The same work and savings: the insured twin was played already (only a new uninsured
    # twin, or none, was added).
    assert insured_twins <= set(twins)
    assert len(twins) <= len(insured_twins) + 1
    assert first.insured == second.insured
    assert second == counterfactual(SCENARIO, other)  # as if computed alone
