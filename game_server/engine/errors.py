"""Rule violations are values with stable codes, never exceptions that crash a game.

Codes (clients switch on them; never rename one):

- ``rule/life_over``: the life has ended; nothing more can be decided.
- ``rule/round_closed``: the decision is for a round that is not the open one.
- ``rule/invalid_choice``: an option that does not exist or a number out of range.
- ``rule/not_eligible``: the option exists but this person cannot take it now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

LIFE_OVER: Final = "rule/life_over"
ROUND_CLOSED: Final = "rule/round_closed"
INVALID_CHOICE: Final = "rule/invalid_choice"
NOT_ELIGIBLE: Final = "rule/not_eligible"

CODES: Final = (LIFE_OVER, ROUND_CLOSED, INVALID_CHOICE, NOT_ELIGIBLE)


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """A refused command: the state it was applied to is unchanged."""

    code: str
    message: str
    field: str | None = None
