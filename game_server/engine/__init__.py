"""The pure life-simulation engine: commands in, events and a new state out.

It imports nothing of asyncio, redis, sqlmodel, fastapi, time or random (a test checks this):
the randomness is a counter-based generator whose whole state is the seed kept in the life.
"""

from game_server.engine.counterfactual import Counterfactual, counterfactual
from game_server.engine.decisions import Decisions, Hours, MedicalChoice, PensionChoice
from game_server.engine.errors import RuleViolation
from game_server.engine.life import (
    Applied,
    Decide,
    apply,
    check,
    default_decisions,
    drawn_death_age,
    new_life,
    plan_stages,
    play_through,
    reaches_retirement,
    replay,
)
from game_server.engine.risk_pool import PoolMember, PoolResult, risk_pool
from game_server.engine.scoring import BADGE_TEXT, LifeSummary, summarize
from game_server.engine.state import LifeState, Phase, Stage

__all__ = [
    "BADGE_TEXT",
    "Applied",
    "Counterfactual",
    "Decide",
    "Decisions",
    "Hours",
    "LifeState",
    "LifeSummary",
    "MedicalChoice",
    "PensionChoice",
    "Phase",
    "PoolMember",
    "PoolResult",
    "RuleViolation",
    "Stage",
    "apply",
    "check",
    "counterfactual",
    "default_decisions",
    "drawn_death_age",
    "new_life",
    "plan_stages",
    "play_through",
    "reaches_retirement",
    "replay",
    "risk_pool",
    "summarize",
]
